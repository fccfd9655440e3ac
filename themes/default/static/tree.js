// The page index: a large folder's pages are fetched when it is first opened.
(function () {
  "use strict";
  var index = document.querySelector(".page-index");
  if (!index) return;
  var partUrl = index.getAttribute("data-part-url");
  index.addEventListener("toggle", function (event) {
    var folder = event.target;
    if (!folder.open || !folder.hasAttribute("data-folder") || folder.dataset.loaded) return;
    folder.dataset.loaded = "1";
    var url = partUrl + "?folder=" + encodeURIComponent(folder.getAttribute("data-folder"));
    fetch(url, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.text();
      })
      .then(function (html) {
        var more = folder.querySelector(":scope > .tree-more");
        var holder = document.createElement("div");
        holder.innerHTML = html;  // the wiki's own escaped template output
        var list = holder.querySelector("ul.tree");
        if (list && more) more.replaceWith(list);
      })
      .catch(function () { delete folder.dataset.loaded; });  // the link still works
  }, true);
})();
