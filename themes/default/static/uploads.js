// Files in the editor: a button, drag and drop onto the text, and paste (screenshots)
// upload through the files API into the page's folder, one commit each, and put the
// Markdown for them at the cursor (an image for images, a link for the rest).
// Plain JavaScript, no external code.
(function () {
  "use strict";
  // the page's language: texts handed over by the server (data-texts on <body>)
  var TEXTS = (function () {
    try { return JSON.parse(document.body.getAttribute("data-texts") || "{}"); } catch (e) { return {}; }
  })();
  function t(text, values) {
    var out = TEXTS[text] || text;
    Object.keys(values || {}).forEach(function (k) { out = out.split("%(" + k + ")s").join(values[k]); });
    return out;
  }
  var form = document.getElementById("editor");
  if (!form) return;
  var textarea = form.querySelector("textarea[name=content]");
  var token = form.querySelector("input[name=csrf_token]").value;
  var base = form.getAttribute("data-files-url");
  var picker = document.getElementById("attach-input");
  var button = document.getElementById("attach-button");
  var status = document.getElementById("attach-status");
  if (!textarea || !base) return;

  function folder() {
    var chosen = document.getElementById("attach-folder");
    if (chosen && chosen.value.trim()) return chosen.value.trim().replace(/^\/+|\/+$/g, "");
    var field = document.getElementById("name");
    var name = (field && field.value) || form.getAttribute("data-name") || "";
    var at = name.lastIndexOf("/");
    return at >= 0 ? name.slice(0, at) : "";
  }

  function pageFolder() {
    var field = document.getElementById("name");
    var name = (field && field.value) || form.getAttribute("data-name") || "";
    var at = name.lastIndexOf("/");
    return at >= 0 ? name.slice(0, at) : "";
  }

  // the link from the page's folder to the file, as it reads in a clone too
  function relative(from, path) {
    var a = from ? from.split("/") : [], b = path.split("/");
    var i = 0;
    while (i < a.length && i < b.length - 1 && a[i] === b[i]) i++;
    var up = [];
    for (var j = i; j < a.length; j++) up.push("..");
    return up.concat(b.slice(i)).join("/");
  }

  // the `lang:` of the front matter being edited ("" when it has none: the space's)
  function pageLanguage() {
    var head = /^---\r?\n([\s\S]*?)\r?\n---/.exec(textarea.value);
    var found = head && /^lang:[ \t]*["']?([A-Za-z]{2,3})["']?[ \t]*$/m.exec(head[1]);
    return found ? found[1].toLowerCase() : "";
  }

  function say(text, problem) {
    if (!status) return;
    status.textContent = text;
    status.className = problem ? "attach-status problem" : "attach-status";
  }

  function insert(markdown) {
    var start = textarea.selectionStart, end = textarea.selectionEnd;
    var before = textarea.value.slice(0, start), after = textarea.value.slice(end);
    var gap = before && !/\n$/.test(before) ? "\n" : "";
    textarea.value = before + gap + markdown + "\n" + after;
    var cursor = (before + gap + markdown + "\n").length;
    textarea.selectionStart = textarea.selectionEnd = cursor;
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function fileName(file) {
    var name = (file.name || "").replace(/[\\/]/g, "-").trim();
    if (!name || name === "image.png") {
      var stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*$/, "").replace("T", "-");
      name = "screenshot-" + stamp + "." + ((file.type || "image/png").split("/")[1] || "png");
    }
    return name;
  }

  function upload(file) {
    var name = fileName(file);
    var path = folder() ? folder() + "/" + name : name;
    var body = new FormData();
    body.append("file", file, name);
    var lang = pageLanguage();
    if (lang) body.append("lang", lang);  // the file is in the page's language
    say(t("Uploading %(name)s…", { name: name }));
    return fetch(base + path.split("/").map(encodeURIComponent).join("/"), {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRF-Token": token }
    }).then(function (response) {
      return response.json().then(function (answer) {
        if (!response.ok) throw new Error(answer.error || t("upload failed (%(status)s)", { status: response.status }));
        var link = encodeURI(relative(pageFolder(), path)).replace(/\(/g, "%28").replace(/\)/g, "%29");
        var label = name.replace(/[\[\]]/g, "");
        insert(/^image\//.test(file.type) ? "![" + label + "](" + link + ")" : "[" + label + "](" + link + ")");
        say(t(response.status === 201 ? "%(name)s uploaded." : "%(name)s uploaded as a new version.", { name: name }));
      });
    }).catch(function (error) { say(name + ": " + error.message, true); });
  }

  function uploadAll(files) {
    var chain = Promise.resolve();
    Array.prototype.forEach.call(files, function (file) {
      chain = chain.then(function () { return upload(file); });
    });
    return chain;
  }

  if (button && picker) {
    button.addEventListener("click", function () { picker.click(); });
    picker.addEventListener("change", function () {
      uploadAll(picker.files).then(function () { picker.value = ""; });
    });
  }
  textarea.addEventListener("dragover", function (event) {
    if (event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") >= 0) {
      event.preventDefault();
      textarea.classList.add("dropping");
    }
  });
  textarea.addEventListener("dragleave", function () { textarea.classList.remove("dropping"); });
  textarea.addEventListener("drop", function (event) {
    textarea.classList.remove("dropping");
    if (event.dataTransfer && event.dataTransfer.files && event.dataTransfer.files.length) {
      event.preventDefault();
      uploadAll(event.dataTransfer.files);
    }
  });
  textarea.addEventListener("paste", function (event) {
    var files = event.clipboardData && event.clipboardData.files;
    if (files && files.length) {
      event.preventDefault();
      uploadAll(files);
    }
  });
})();
