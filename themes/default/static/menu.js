// Phones: the navigation is a panel that slides in from the left. The menu button in the
// header opens it; its close button, Escape, a tap outside it or following one of its
// links close it. On phones the header's account links (.usernav) live in the panel.
// Without this script the menu link in the header leads down to the navigation.
(function () {
  "use strict";
  var button = document.querySelector("[data-menu-open]");
  var panel = document.getElementById("sidebar");
  if (!button || !panel) return;
  var root = document.documentElement;
  var closer = panel.querySelector("[data-menu-close]");
  var fallback = document.querySelector(".topbar .menu-link");
  var usernav = document.querySelector(".topbar .usernav");
  var usernavHome = usernav ? usernav.parentNode : null;
  var usernavNext = usernav ? usernav.nextSibling : null;
  var narrow = window.matchMedia("(max-width: 52rem)");
  // while the panel is open the rest of the page takes no clicks, focus or reading
  var rest = [document.querySelector(".topbar"), document.getElementById("main"),
              document.querySelector(".footer")].filter(Boolean);
  var backdrop = document.createElement("div");
  backdrop.className = "menu-backdrop";
  backdrop.hidden = true;
  document.body.appendChild(backdrop);

  root.classList.add("js-menu");
  button.hidden = false;
  if (closer) closer.hidden = false;
  if (fallback) fallback.hidden = true;

  function isOpen() {
    return panel.classList.contains("open");
  }

  function open() {
    root.classList.add("menu-used");
    panel.classList.add("open");
    root.classList.add("menu-open");
    button.setAttribute("aria-expanded", "true");
    backdrop.hidden = false;
    rest.forEach(function (el) { el.inert = true; });
    (closer || panel).focus();
  }

  function close(giveFocusBack) {
    if (!isOpen()) return;
    panel.classList.remove("open");
    root.classList.remove("menu-open");
    button.setAttribute("aria-expanded", "false");
    backdrop.hidden = true;
    rest.forEach(function (el) { el.inert = false; });
    if (giveFocusBack) button.focus();
  }

  button.addEventListener("click", function () {
    if (isOpen()) close(true); else open();
  });
  if (closer) closer.addEventListener("click", function () { close(true); });
  backdrop.addEventListener("click", function () { close(true); });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && isOpen()) {
      event.preventDefault();
      close(true);
    }
  });
  panel.addEventListener("click", function (event) {
    if (isOpen() && event.target.closest("a[href]")) close(false);
  });

  // the account links: in the panel on phones, in the header on wider screens
  function place() {
    if (!usernav) return;
    if (narrow.matches) {
      panel.insertBefore(usernav, closer ? closer.nextSibling : panel.firstChild);
    } else {
      close(false);
      usernavHome.insertBefore(usernav, usernavNext);
    }
  }
  if (narrow.addEventListener) narrow.addEventListener("change", place);
  else narrow.addListener(place);
  place();
})();
