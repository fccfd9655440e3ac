// The page editor: live preview beside the text that follows the caret, Ctrl+S saves,
// a warning before leaving with unsaved changes (or after a refused save), and on phones
// the text and the preview as two tabs. Plain JavaScript, no external code.
(function () {
  "use strict";
  // the page's language: texts handed over by the server (data-texts on <body>)
  var TEXTS = (function () {
    try { return JSON.parse(document.body.getAttribute("data-texts") || "{}"); } catch (e) { return {}; }
  })();
  function t(text) { return TEXTS[text] || text; }
  var form = document.getElementById("editor");
  if (!form) return;
  var textarea = form.querySelector("textarea[name=content]");
  var preview = document.getElementById("preview");
  var token = form.querySelector("input[name=csrf_token]").value;
  var url = form.getAttribute("data-preview-url");
  var name = form.getAttribute("data-name") || "";
  var saved = textarea.value;
  // the answer to a refused save: the text in the editor is not saved anywhere yet
  var refused = form.hasAttribute("data-refused");
  var submitting = false;
  var timer = null;
  var pending = null;

  function refresh() {
    if (pending) pending.abort();
    pending = new AbortController();
    var body = new FormData();
    body.append("content", textarea.value);
    body.append("name", name);
    body.append("csrf_token", token);
    fetch(url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRF-Token": token }, signal: pending.signal
    }).then(function (response) {
      // a problem with the text itself (e.g. its front matter) comes as a marked 400
      var problem = response.status === 400 && response.headers.get("X-Preview-Problem");
      if (!response.ok && !problem) throw new Error("preview " + response.status);
      return response.text();
    }).then(function (html) {
      // The server returns HTML already sanitized against the same allow-list as pages.
      preview.innerHTML = html;
      follow();
    }).catch(function (err) {
      if (err.name !== "AbortError") preview.setAttribute("data-error", t("The preview is not available right now."));
    });
  }

  textarea.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  });
  refresh();

  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && (event.key === "s" || event.key === "S")) {
      event.preventDefault();
      if (form.requestSubmit) form.requestSubmit(); else form.submit();
    }
  });
  form.addEventListener("submit", function () { submitting = true; });
  // back from a page that never came (or from the bfcache): the form is live again
  window.addEventListener("pageshow", function () { submitting = false; });
  window.addEventListener("beforeunload", function (event) {
    if (!submitting && (refused || textarea.value !== saved)) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // -- the preview follows the caret ------------------------------------------------------
  // The headings are the anchors: the k-th heading of the source is the k-th heading of the
  // preview (both in document order; lists, tables, HTML or footnotes between them do not
  // matter). Between two anchors the position is interpolated by lines; the last line is
  // the end of the preview. When the counts differ (a heading inside a quote, say), the
  // whole text maps proportionally. (A first "# Title" is not in the preview: the page
  // shows it in its header.)
  function sourceHeadings(lines) {
    var found = [], fence = null, i = 0;
    if (/^---\s*$/.test(lines[0] || "")) {  // front matter: shown as a box, no headings
      for (i = 1; i < lines.length && !/^(---|\.\.\.)\s*$/.test(lines[i]); i++) {}
      i++;
    }
    var first = i;
    while (first < lines.length && !/\S/.test(lines[first])) first++;
    for (; i < lines.length; i++) {
      var line = lines[i];
      var mark = /^ {0,3}(`{3,}|~{3,})/.exec(line);
      if (fence) {
        if (mark && mark[1].charAt(0) === fence.charAt(0) && mark[1].length >= fence.length) fence = null;
        continue;
      }
      if (mark) { fence = mark[1]; continue; }
      if (/^ {0,3}#{1,6}(\s|$)/.test(line)) found.push(i);
      else if (/^ {0,3}(=+|-+)\s*$/.test(line) && i > first && /\S/.test(lines[i - 1]) &&
               !/^ {0,3}([-*+]|\d+[.)]|>|#|\|)/.test(lines[i - 1]) && found[found.length - 1] !== i - 1) {
        found.push(i - 1);  // a setext heading: the text line above its underline
      }
    }
    // a first "# Title" is shown in the page's header, not in the preview
    var title = found[0] === first && (/^ {0,3}#(\s|$)/.test(lines[first]) || /^ {0,3}=+\s*$/.test(lines[first + 1] || ""));
    return { first: first, lines: found, title: title };
  }

  function previewHeadings() {
    return Array.prototype.filter.call(preview.querySelectorAll("h1, h2, h3, h4, h5, h6"), function (h) {
      return !h.closest(".metabox, .toc, nav, .flash");
    });
  }

  function caretY() {
    var lines = textarea.value.split("\n");
    var caret = textarea.value.slice(0, textarea.selectionEnd).split("\n").length - 1;
    var source = sourceHeadings(lines);
    var shown = previewHeadings();
    var top = preview.getBoundingClientRect().top - preview.scrollTop;
    var anchors = [[source.first, 0]];
    if (source.title && shown.length === source.lines.length - 1) source.lines.shift();
    if (shown.length === source.lines.length) {
      source.lines.forEach(function (line, k) {
        anchors.push([line, shown[k].getBoundingClientRect().top - top]);
      });
    }
    anchors.push([Math.max(lines.length - 1, source.first + 1), preview.scrollHeight]);
    for (var k = anchors.length - 1; k > 0; k--) {
      var a = anchors[k - 1], b = anchors[k];
      if (caret >= a[0] || k === 1) {
        var span = b[0] - a[0];
        var part = span > 0 ? Math.min(1, Math.max(0, (caret - a[0]) / span)) : 1;
        return a[1] + part * (b[1] - a[1]);
      }
    }
    return 0;
  }

  var following = false;
  function follow() {
    if (following || !preview.offsetParent) return;  // hidden (the Edit tab on a phone)
    following = true;
    window.requestAnimationFrame(function () {
      following = false;
      // the part of the pane that can be seen: inside the window, above the sticky Save bar
      var box = preview.getBoundingClientRect();
      var bar = form.querySelector(".editor-bar");
      var bottom = Math.min(box.bottom, window.innerHeight, bar ? bar.getBoundingClientRect().top : Infinity);
      var hidden = Math.max(0, box.bottom - bottom);
      // room below the end, so that the last lines can come up into the seen part
      preview.style.paddingBottom = hidden ? hidden + 16 + "px" : "";
      var from = preview.scrollTop + Math.max(0, -box.top);
      var h = Math.max(40, bottom - Math.max(box.top, 0));
      var y = caretY();
      // only when the place left the middle of what is seen: no jumps while typing in view
      if (y < from + h * 0.15 || y > from + h * 0.85) {
        preview.scrollTop = Math.max(0, y - Math.max(0, -box.top) - h * 0.5);
      }
    });
  }
  ["keyup", "click", "focus"].forEach(function (type) { textarea.addEventListener(type, follow); });

  // -- phones: the text and the preview as tabs (the CSS shows them only on narrow screens)
  var tabs = [document.getElementById("tab-source"), document.getElementById("tab-preview")];
  function show(which) {
    form.classList.toggle("show-preview", which === 1);
    tabs.forEach(function (tab, i) {
      tab.setAttribute("aria-selected", i === which ? "true" : "false");
      tab.tabIndex = i === which ? 0 : -1;
    });
    if (which === 1) follow();
  }
  if (tabs[0] && tabs[1]) {
    form.classList.add("tabbed");
    tabs.forEach(function (tab, i) {
      tab.addEventListener("click", function () { show(i); });
      tab.addEventListener("keydown", function (e) {
        if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
          e.preventDefault();
          show(1 - i);
          tabs[1 - i].focus();
        }
      });
    });
  }
})();

// Links to other pages: typing "[[" and part of a title or name offers matching pages
// (the same suggestions as the search box); Enter, Tab or a click inserts [[Name]].
(function () {
  "use strict";
  // the page's language: texts handed over by the server (data-texts on <body>)
  var TEXTS = (function () {
    try { return JSON.parse(document.body.getAttribute("data-texts") || "{}"); } catch (e) { return {}; }
  })();
  function t(text) { return TEXTS[text] || text; }
  var form = document.getElementById("editor");
  if (!form) return;
  var textarea = form.querySelector("textarea[name=content]");
  var base = form.getAttribute("data-suggest-url");
  var button = document.getElementById("insert-link");
  if (!base || !textarea) return;
  var list = document.createElement("ul");
  list.className = "suggestions link-suggestions";
  list.id = "link-suggestions";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", t("Pages to link to"));
  list.hidden = true;
  textarea.parentNode.appendChild(list);
  textarea.setAttribute("aria-controls", list.id);
  var items = [], active = -1, pending = null, timer = null, start = -1;

  function typed() {
    // the "[[text" just before the caret, if the caret is inside an unfinished link
    var before = textarea.value.slice(0, textarea.selectionStart);
    var m = /\[\[([^\[\]\n|#]{0,80})$/.exec(before);
    if (!m) return null;
    start = before.length - m[1].length;
    return m[1];
  }
  function close() {
    list.hidden = true; items = []; active = -1;
    textarea.removeAttribute("aria-activedescendant");
  }
  function mark(i) {
    active = i;
    var all = list.querySelectorAll("li");
    for (var k = 0; k < all.length; k++) all[k].classList.toggle("active", k === i);
    if (all[i]) textarea.setAttribute("aria-activedescendant", all[i].id);
  }
  function show(found) {
    items = found; list.textContent = "";
    found.forEach(function (item, i) {
      var li = document.createElement("li");
      li.id = "link-option-" + i;
      li.setAttribute("role", "option");
      var a = window.wikiSuggestionLink(item, "#");
      a.addEventListener("mousedown", function (e) { e.preventDefault(); insert(i); });
      li.appendChild(a);
      list.appendChild(li);
    });
    list.hidden = found.length === 0;
    place();
    mark(found.length ? 0 : -1);
  }
  function place() {
    // just under the line being typed (wrapped lines make this approximate)
    var style = getComputedStyle(textarea);
    var line = parseFloat(style.lineHeight) || 20;
    var row = textarea.value.slice(0, textarea.selectionStart).split("\n").length;
    var top = textarea.offsetTop + parseFloat(style.paddingTop) + row * line - textarea.scrollTop + 4;
    top = Math.max(textarea.offsetTop + line, Math.min(top, textarea.offsetTop + textarea.offsetHeight));
    list.style.top = top + "px";
  }
  function lookup() {
    var text = typed();
    if (text === null || text.trim().length < 1) { close(); return; }
    if (pending) pending.abort();
    pending = new AbortController();
    fetch(base + "?q=" + encodeURIComponent(text.trim()), { credentials: "same-origin", signal: pending.signal })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (found) { if (typed() !== null) show(found); })
      .catch(function () {});
  }
  function insert(i) {
    var item = items[i];
    if (!item || start < 0) return;
    var value = textarea.value, end = textarea.selectionStart;
    var after = value.slice(end);
    var closing = after.slice(0, 2) === "]]" ? "" : "]]";
    textarea.value = value.slice(0, start) + item.name + closing + after;
    var caret = start + item.name.length + 2;
    textarea.setSelectionRange(caret, caret);
    close();
    textarea.focus();
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }
  textarea.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(lookup, 120); });
  textarea.addEventListener("keydown", function (e) {
    if (list.hidden) return;
    if (e.key === "ArrowDown") { e.preventDefault(); mark(Math.min(items.length - 1, active + 1)); }
    else if (e.key === "ArrowUp") { e.preventDefault(); mark(Math.max(0, active - 1)); }
    else if (e.key === "Enter" || e.key === "Tab") { if (active >= 0) { e.preventDefault(); insert(active); } }
    else if (e.key === "Escape") { e.preventDefault(); close(); }
  });
  textarea.addEventListener("blur", function () { setTimeout(close, 150); });
  if (button) {
    button.addEventListener("click", function () {
      var at = textarea.selectionStart, value = textarea.value;
      textarea.focus();
      var done = false;
      try { done = document.execCommand("insertText", false, "[["); } catch (e) { done = false; }
      if (!done) {  // the browser's undo does not know this one
        textarea.value = value.slice(0, at) + "[[" + value.slice(textarea.selectionEnd);
        textarea.dispatchEvent(new Event("input", { bubbles: true }));
      }
      textarea.setSelectionRange(at + 2, at + 2);
    });
  }
})();
