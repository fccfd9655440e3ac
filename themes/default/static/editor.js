// The page editor: live preview beside the text, Ctrl+S saves, a warning before
// leaving with unsaved changes. Plain JavaScript, no external code.
(function () {
  "use strict";
  var form = document.getElementById("editor");
  if (!form) return;
  var textarea = form.querySelector("textarea[name=content]");
  var preview = document.getElementById("preview");
  var token = form.querySelector("input[name=csrf_token]").value;
  var url = form.getAttribute("data-preview-url");
  var name = form.getAttribute("data-name") || "";
  var saved = textarea.value;
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
      if (!response.ok) throw new Error("preview " + response.status);
      return response.text();
    }).then(function (html) {
      // The server returns HTML already sanitized against the same allow-list as pages.
      preview.innerHTML = html;
    }).catch(function (err) {
      if (err.name !== "AbortError") preview.setAttribute("data-error", "The preview is not available right now.");
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
  window.addEventListener("beforeunload", function (event) {
    if (!submitting && textarea.value !== saved) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
