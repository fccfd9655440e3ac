// Copy buttons: a <button data-copy="ID" hidden> copies the text of the element with that
// id (a one-time link, a new token, the git address). The buttons stay hidden without
// this script. Where the clipboard cannot be written (plain http on another machine,
// an old browser), the text is selected for Ctrl+C instead. Plain JavaScript.
(function () {
  "use strict";
  var TEXTS = (function () {
    try { return JSON.parse(document.body.getAttribute("data-texts") || "{}"); } catch (e) { return {}; }
  })();
  function t(text) { return TEXTS[text] || text; }

  function select(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function say(button, text) {
    var status = button.nextElementSibling;
    if (!status || !status.classList.contains("copy-status")) {
      status = document.createElement("span");
      status.className = "copy-status";
      status.setAttribute("role", "status");
      button.insertAdjacentElement("afterend", status);
    }
    status.textContent = text;
    clearTimeout(button._copyTimer);
    button._copyTimer = setTimeout(function () { status.textContent = ""; }, 4000);
  }

  function fallback(button, source) {
    select(source);
    var copied = false;
    try { copied = document.execCommand("copy"); } catch (e) { copied = false; }
    say(button, copied ? t("Copied") : t("Selected: press Ctrl+C to copy."));
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = source.textContent.trim();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(
          function () { say(button, t("Copied")); },
          function () { fallback(button, source); }
        );
      } else {
        fallback(button, source);
      }
    });
  });
})();
