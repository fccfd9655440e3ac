// Drafts in the browser: while typing, the text, the summary and a new page's name are kept
// in localStorage under the page's editor address and the revision the editor started from,
// so that a crash, a closed tab or an expired session loses nothing. When the editor opens
// and a draft differs from the text the server gave, it is offered back.
//
// When is a draft done with? Sending the form does not say the save worked: a refused save
// (a conflict, bad front matter, an expired session) answers with the editor again, which
// stores the text at once (and marks nothing as saved). So a submit only marks the draft
// "sent"; a sent draft is dropped silently the next time its editor opens if the page now
// has that text or the wiki has moved on from the draft's revision (the save went through);
// otherwise (the request never arrived) it is offered like any other. Drafts older than 30
// days are pruned. Plain JavaScript, no external code.
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
  var PREFIX = "wiki-draft:";
  var MAX_AGE = 30 * 24 * 3600 * 1000;
  var form = document.getElementById("editor");
  var textarea = form && form.querySelector("textarea[name=content]");
  var store = (function () {
    try { var s = window.localStorage; s.getItem("x"); return s; } catch (e) { return null; }
  })();
  if (!textarea || !store) return;
  var baseField = form.querySelector("input[name=base_revision]");
  var message = form.querySelector("input[name=message]");
  var nameField = form.querySelector("input[name=name]");
  var refused = form.hasAttribute("data-refused");
  var serverText = textarea.defaultValue;
  // the editor's address names the page (a new page's name field may change; this does not)
  var page = (function () {
    var path = new URL(form.getAttribute("action"), location.href).pathname;
    try { return decodeURIComponent(path).normalize("NFC"); } catch (e) { return path; }
  })();

  function keyFor(base) { return PREFIX + page + "@" + (base || ""); }
  function read(key) {
    try { return JSON.parse(store.getItem(key) || "null"); } catch (e) { return null; }
  }
  function remove(key) { try { store.removeItem(key); } catch (e) { /* nothing to do */ } }
  function drafts() {  // [key, draft] of this page, the newest first
    var found = [];
    for (var i = 0; i < store.length; i++) {
      var key = store.key(i);
      if (key && key.indexOf(PREFIX + page + "@") === 0) {
        var draft = read(key);
        if (draft && typeof draft.text === "string") found.push([key, draft]);
      }
    }
    return found.sort(function (a, b) { return b[1].time - a[1].time; });
  }
  function prune() {
    var now = Date.now(), old = [];
    for (var i = 0; i < store.length; i++) {
      var key = store.key(i);
      if (key && key.indexOf(PREFIX) === 0) {
        var draft = read(key);
        if (!draft || !(now - draft.time < MAX_AGE)) old.push(key);
      }
    }
    old.forEach(remove);
  }

  var offered = null;  // a draft waiting for Restore or Discard is not overwritten
  function current() {
    return {
      text: textarea.value,
      message: message ? message.value : "",
      name: nameField ? nameField.value : "",
      base: baseField ? baseField.value : "",
      time: Date.now()
    };
  }
  function keep(sent) {
    if (offered) return;
    var draft = current();
    var key = keyFor(draft.base);
    if (!refused && !sent && draft.text === serverText) {
      remove(key);  // back to the saved text: nothing to keep
      return;
    }
    if (sent) draft.sent = true;
    try { store.setItem(key, JSON.stringify(draft)); } catch (e) { /* full: the form still works */ }
  }

  var timer = null, sending = false;
  function now() { clearTimeout(timer); timer = null; keep(sending); }
  function later() { clearTimeout(timer); timer = setTimeout(now, 400); }
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  form.addEventListener("submit", function () { sending = true; now(); });
  // leaving: what was typed in the last moment; back to this page from one that never
  // came (the bfcache): the draft is not sent after all
  window.addEventListener("pagehide", function () { if (timer) now(); });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { sending = false; now(); }
  });

  function offer(key, draft) {
    offered = [key, draft];
    var box = document.createElement("div");
    box.className = "draft-offer";
    box.setAttribute("role", "alert");
    var when = new Date(draft.time);
    var text = document.createElement("span");
    var lang = document.documentElement.lang || undefined;
    var stamp;
    try {
      stamp = when.toLocaleString(lang, { dateStyle: "medium", timeStyle: "short" });
    } catch (e) { stamp = when.toLocaleString(); }
    text.textContent = t("A draft from %(time)s was not saved.", { time: stamp });
    var restore = document.createElement("button");
    restore.type = "button";
    restore.className = "primary small";
    restore.textContent = t("Restore");
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "small";
    discard.textContent = t("Discard");
    var choices = document.createElement("span");
    choices.className = "draft-choices";
    choices.appendChild(restore);
    choices.appendChild(discard);
    box.appendChild(text);
    box.appendChild(choices);
    form.insertBefore(box, form.firstChild);
    restore.addEventListener("click", function () {
      offered = null;
      box.remove();
      remove(key);
      bring(draft);
      keep(false);
    });
    discard.addEventListener("click", function () {
      offered = null;
      box.remove();
      remove(key);
      keep(false);
      textarea.focus();
    });
  }

  // the draft's text, as an edit that Ctrl+Z undoes; the draft's revision goes with it so
  // that the save merges with what others saved meanwhile instead of overwriting it
  function bring(draft) {
    textarea.focus();
    textarea.select();
    var done = false;
    try { done = document.execCommand("insertText", false, draft.text); } catch (e) { done = false; }
    if (!done || textarea.value !== draft.text) {
      textarea.value = draft.text;
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    }
    textarea.setSelectionRange(0, 0);
    textarea.scrollTop = 0;
    if (message && draft.message) message.value = draft.message;
    if (nameField && draft.name) nameField.value = draft.name;
    if (baseField && draft.base && draft.base !== baseField.value) {
      remove(keyFor(baseField.value));
      baseField.value = draft.base;
    }
  }

  prune();
  var base = baseField ? baseField.value : "";
  var sentBefore = null;
  try { sentBefore = window.sessionStorage.getItem("wiki-draft-sent"); } catch (e) { /* none */ }
  if (refused) {
    // the save was refused: this text is unsaved, here and under the revision it was sent
    // with (after a conflict the form carries the newer one, and the older key goes)
    if (sentBefore && sentBefore !== keyFor(base) && sentBefore.indexOf(PREFIX + page + "@") === 0) {
      remove(sentBefore);
    }
    keep(false);
  } else {
    var found = drafts().filter(function (pair) {
      var draft = pair[1];
      var done = draft.text === serverText || (draft.sent && draft.base !== base);
      if (done) remove(pair[0]);
      return !done;
    });
    var exact = found.filter(function (pair) { return pair[0] === keyFor(base); })[0];
    if (exact || found[0]) offer.apply(null, exact || found[0]);
  }
  form.addEventListener("submit", function () {
    try { window.sessionStorage.setItem("wiki-draft-sent", keyFor(baseField ? baseField.value : "")); } catch (e) { /* none */ }
  });
})();
