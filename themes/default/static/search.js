// Title suggestions under the header search box, as the user types.
// window.wikiSuggestionLink draws one suggestion (the editor's link list uses it too).
window.wikiSuggestionLink = function (item, href) {
  var a = document.createElement("a");
  a.href = href;
  a.textContent = item.title;
  if (item.title !== item.name) {
    var small = document.createElement("span");
    small.className = "muted";
    small.textContent = item.name;
    a.appendChild(small);
  }
  return a;
};
(function () {
  "use strict";
  var input = document.getElementById("q");
  if (!input) return;
  var form = input.form;
  var list = document.createElement("ul");
  list.className = "suggestions";
  list.id = "q-suggestions";
  list.setAttribute("role", "listbox");
  list.hidden = true;
  form.appendChild(list);
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-autocomplete", "list");
  var timer = null, pending = null, active = -1;
  var base = form.getAttribute("data-suggest-url");

  function close() { list.hidden = true; active = -1; input.setAttribute("aria-expanded", "false"); }
  function links() { return list.querySelectorAll("a"); }
  function mark(i) {
    var all = links();
    for (var k = 0; k < all.length; k++) all[k].classList.toggle("active", k === i);
    active = i;
    if (all[i]) all[i].focus();
  }
  function show(items) {
    list.textContent = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.setAttribute("role", "option");
      li.appendChild(window.wikiSuggestionLink(item, item.url));
      list.appendChild(li);
    });
    list.hidden = items.length === 0;
    input.setAttribute("aria-expanded", items.length ? "true" : "false");
  }
  function fetchSuggestions() {
    var text = input.value.trim();
    if (text.length < 2) { close(); return; }
    if (pending) pending.abort();
    pending = new AbortController();
    fetch(base + "?q=" + encodeURIComponent(text), { credentials: "same-origin", signal: pending.signal })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (items) {
        show(items.map(function (it) {
          return { name: it.name, title: it.title, url: "/" + it.name.split("/").map(encodeURIComponent).join("/") };
        }));
      })
      .catch(function () {});
  }
  input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(fetchSuggestions, 120); });
  input.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown" && !list.hidden) { e.preventDefault(); mark(0); }
    if (e.key === "Escape") close();
  });
  list.addEventListener("keydown", function (e) {
    var n = links().length;
    if (e.key === "ArrowDown") { e.preventDefault(); mark(Math.min(n - 1, active + 1)); }
    if (e.key === "ArrowUp") { e.preventDefault(); if (active <= 0) { close(); input.focus(); } else mark(active - 1); }
    if (e.key === "Escape") { close(); input.focus(); }
  });
  document.addEventListener("click", function (e) { if (!form.contains(e.target)) close(); });
})();

// Page content ids carry the prefix "user-content-" (so that a page cannot take the
// wiki's own ids); a link to "#section" still lands on the page's "#user-content-section".
(function () {
  "use strict";
  function follow() {
    var hash = decodeURIComponent(window.location.hash.slice(1));
    if (!hash || document.getElementById(hash)) return;
    var target = document.getElementById("user-content-" + hash);
    if (target) target.scrollIntoView();
  }
  window.addEventListener("hashchange", follow);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", follow);
  } else {
    follow();
  }
})();
