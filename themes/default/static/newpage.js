// The new-page form: while the name is typed, the server says whether it can be a page
// (the rules of page names), whether that page exists already (with links to it), and the
// search box's suggestions show pages of similar names. Sending the form opens the editor.
// Plain JavaScript, no external code.
(function () {
  "use strict";
  var form = document.getElementById("new-page-form");
  if (!form) return;
  var folder = document.getElementById("new-folder");
  var name = document.getElementById("new-name");
  var status = document.getElementById("new-status");
  var similar = document.getElementById("new-similar");
  var list = document.getElementById("new-similar-list");
  var suggestUrl = form.getAttribute("data-suggest-url");
  var timer = null, checking = null, suggesting = null;

  function link(label, url) {
    var a = document.createElement("a");
    a.href = url;
    a.textContent = label;
    return a;
  }

  function say(answer) {
    status.textContent = "";
    if (!answer || !name.value.trim()) return;
    var span = document.createElement("span");
    if (answer.problem) {
      span.className = "problem";
      span.textContent = answer.problem;
    } else if (answer.exists) {
      span.className = "exists";
      span.appendChild(document.createTextNode(answer.message + " "));
      span.appendChild(link(answer.open.label, answer.open.url));
      span.appendChild(document.createTextNode(" · "));
      span.appendChild(link(answer.edit.label, answer.edit.url));
    } else {
      span.className = "muted";
      span.textContent = answer.message;
    }
    status.appendChild(span);
  }

  function check() {
    if (checking) checking.abort();
    checking = new AbortController();
    var query = "?check=1&folder=" + encodeURIComponent(folder.value) + "&name=" + encodeURIComponent(name.value);
    fetch(form.getAttribute("action") + query, { credentials: "same-origin", signal: checking.signal })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(say)
      .catch(function () {});
  }

  function suggest() {
    var text = name.value.trim();
    if (suggesting) suggesting.abort();
    if (text.length < 2 || !suggestUrl) { similar.hidden = true; return; }
    suggesting = new AbortController();
    fetch(suggestUrl + "?q=" + encodeURIComponent(text), { credentials: "same-origin", signal: suggesting.signal })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (found) {
        list.textContent = "";
        (found || []).slice(0, 6).forEach(function (item) {
          var li = document.createElement("li");
          var url = "/" + item.name.split("/").map(encodeURIComponent).join("/");
          li.appendChild(window.wikiSuggestionLink ? window.wikiSuggestionLink(item, url) : link(item.name, url));
          list.appendChild(li);
        });
        similar.hidden = !list.firstChild;
      })
      .catch(function () {});
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(function () { check(); suggest(); }, 200);
  }
  name.addEventListener("input", later);
  folder.addEventListener("input", later);
  if (name.value.trim()) later();
  // the caret after the prefilled text, ready to type the name
  if (document.activeElement === name) name.setSelectionRange(name.value.length, name.value.length);
})();
