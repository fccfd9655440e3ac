// The form of a record's fields above the Markdown: drawn from the record's type, kept in
// step with the front matter both ways (a field changed in the form rewrites its one line
// of front matter; the text typed in the Markdown fills the form). The text stays the
// record: the form only edits it. Plain JavaScript, no external code.
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
  var textarea = document.getElementById("content");
  var holder = document.getElementById("record-form");
  var editor = document.getElementById("editor");
  if (!textarea || !holder || !editor || !holder.getAttribute("data-types")) return;
  var info = JSON.parse(holder.getAttribute("data-types"));
  var suggestUrl = editor.getAttribute("data-suggest-url");
  var drawn = null;
  var inputs = {};

  // -- the front matter, line by line ----------------------------------------------------

  function front(text) {
    var lines = text.split("\n");
    if (lines[0].replace(/\s+$/, "") !== "---") return null;
    for (var i = 1; i < lines.length; i++) {
      var l = lines[i].replace(/\s+$/, "");
      if (l === "---" || l === "...") return { lines: lines, end: i };
    }
    return null;
  }

  function unquote(v) {
    v = v.trim();
    if (v.length > 1 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0]) {
      if (v[0] === '"') { try { return JSON.parse(v); } catch (e) { return v.slice(1, -1); } }
      return v.slice(1, -1).replace(/''/g, "'");
    }
    return v;
  }

  function splitList(v) {
    var inner = v.trim().replace(/^\[/, "").replace(/\]$/, "");
    if (!inner.trim()) return [];
    return inner.split(",").map(unquote).filter(function (x) { return x !== ""; });
  }

  function stripComment(v) {
    var at = v.search(/\s#/);
    return at >= 0 ? v.slice(0, at) : v;
  }

  function read(text) {
    var fm = front(text);
    var values = {};
    if (!fm) return values;
    for (var i = 1; i < fm.end; i++) {
      var m = /^([A-Za-z_][\w]*)\s*:(.*)$/.exec(fm.lines[i]);
      if (!m) continue;
      var raw = stripComment(m[2]).trim();
      if (raw.charAt(0) === "[") { values[m[1]] = splitList(raw); continue; }
      if (raw === "") {
        var items = [];
        while (i + 1 < fm.end && /^\s+-\s/.test(fm.lines[i + 1])) {
          items.push(unquote(stripComment(fm.lines[i + 1].replace(/^\s+-\s/, ""))));
          i++;
        }
        values[m[1]] = items.length ? items : "";
        continue;
      }
      values[m[1]] = unquote(raw);
    }
    return values;
  }

  function scalar(value, kind) {
    if (value === "") return "";
    if (kind === "number" && !isNaN(Number(value))) return String(value);
    var plain = /^[\p{L}\p{N}][\p{L}\p{N} .,()&/'_-]*$/u.test(value) &&
      !/:\s|\s#/.test(value) && !/^(true|false|yes|no|null|on|off|~)$/i.test(value) &&
      (kind === "date" || isNaN(Number(value)));
    return plain ? value : JSON.stringify(value);
  }

  function write(key, value, kind) {
    var text = textarea.value;
    var fm = front(text);
    var formatted = Array.isArray(value)
      ? "[" + value.map(function (v) { return scalar(v, kind); }).join(", ") + "]"
      : scalar(value, kind);
    var line = key + ":" + (formatted === "" ? "" : " " + formatted);
    var lines;
    if (!fm) {
      lines = ["---", line, "---"].concat(text.split("\n"));
    } else {
      lines = fm.lines;
      var at = -1;
      for (var i = 1; i < fm.end; i++) {
        if (new RegExp("^" + key + "\\s*:").test(lines[i])) { at = i; break; }
      }
      if (at < 0) {
        lines.splice(fm.end, 0, line);
      } else {
        var comment = /\s#.*$/.exec(lines[at].slice(lines[at].indexOf(":") + 1));
        lines[at] = line + (comment && !Array.isArray(value) ? comment[0] : "");
        var n = 0;
        while (at + 1 + n < lines.length && /^\s+-\s/.test(lines[at + 1 + n])) n++;
        if (n) lines.splice(at + 1, n);
      }
    }
    var start = textarea.selectionStart;
    textarea.value = lines.join("\n");
    textarea.selectionStart = textarea.selectionEnd = Math.min(start, textarea.value.length);
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // -- the form ---------------------------------------------------------------------------

  function options(field) {
    if (field.values && field.values.length) return field.values.map(function (v) { return [v, v]; });
    if (field.kind === "country") return info.countries.map(function (c) { return [c, c]; });
    if (field.kind === "working-group") return info.working_groups;
    if (field.kind === "language") return info.languages;
    return null;
  }

  function control(field) {
    var id = "field-" + field.name;
    var choices = options(field);
    var el;
    if (field.kind === "multi") {
      el = document.createElement("fieldset");
      el.className = "choices";
      el.id = id;
      choices.forEach(function (c) {
        var label = document.createElement("label");
        var box = document.createElement("input");
        box.type = "checkbox";
        box.value = c[0];
        box.addEventListener("change", function () {
          var picked = Array.prototype.filter.call(el.querySelectorAll("input"), function (b) { return b.checked; })
            .map(function (b) { return b.value; });
          write(field.name, picked, field.kind);
        });
        label.appendChild(box);
        label.appendChild(document.createTextNode(" " + c[1]));
        el.appendChild(label);
      });
      el.setValue = function (v) {
        var list = Array.isArray(v) ? v : (v ? [v] : []);
        Array.prototype.forEach.call(el.querySelectorAll("input"), function (b) { b.checked = list.indexOf(b.value) >= 0; });
      };
      return el;
    }
    if (choices) {
      el = document.createElement("select");
      var empty = document.createElement("option");
      empty.value = "";
      empty.textContent = "—";
      el.appendChild(empty);
      choices.forEach(function (c) {
        var o = document.createElement("option");
        o.value = c[0];
        o.textContent = c[1];
        el.appendChild(o);
      });
    } else if (field.kind === "long-text") {
      el = document.createElement("textarea");
      el.rows = 2;
    } else {
      el = document.createElement("input");
      el.type = { date: "date", number: "number", url: "url", email: "email" }[field.kind] || "text";
      if (field.kind === "page") pagePicker(el, field);
      if (field.kind === "datetime") el.placeholder = t("2026-05-14 or 2026-05-14 09:30");
      if (field.kind === "timezone") el.placeholder = "Europe/Budapest";
    }
    el.id = id;
    el.name = "";  // not a form field of its own: the front matter is what is saved
    el.addEventListener(el.tagName === "SELECT" ? "change" : "input", function () {
      var value = el.value;
      if (field.kind === "page" && field.folder && value.indexOf(field.folder + "/") === 0) {
        value = value.slice(field.folder.length + 1);
      }
      write(field.name, value, field.kind);
    });
    el.setValue = function (v) {
      if (Array.isArray(v)) v = v.join(", ");
      if (el.tagName === "SELECT" && v && !Array.prototype.some.call(el.options, function (o) { return o.value === v; })) {
        var o = document.createElement("option");
        o.value = v;
        o.textContent = t("%(value)s (not in the list)", { value: v });
        el.appendChild(o);
      }
      el.value = v || "";
    };
    return el;
  }

  function pagePicker(input, field) {
    var list = document.createElement("datalist");
    list.id = "pages-" + field.name;
    input.setAttribute("list", list.id);
    input.setAttribute("autocomplete", "off");
    holder.appendChild(list);
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 2 || !suggestUrl) return;
      timer = setTimeout(function () {
        var url = suggestUrl + "?q=" + encodeURIComponent((field.folder ? field.folder + "/" : "") + q);
        fetch(url, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : []; })
          .then(function (found) {
            list.textContent = "";
            (found || []).forEach(function (p) {
              var o = document.createElement("option");
              o.value = field.folder && p.name.indexOf(field.folder + "/") === 0 ? p.name.slice(field.folder.length + 1) : p.name;
              list.appendChild(o);
            });
          }).catch(function () {});
      }, 200);
    });
  }

  function draw(type) {
    holder.textContent = "";
    inputs = {};
    drawn = type ? type.id : null;
    if (!type) { holder.hidden = true; return; }
    holder.hidden = false;
    var head = document.createElement("p");
    head.className = "record-form-head";
    head.textContent = t("%(type)s: fill in the fields, or write them in the front matter of", { type: type.title }) + " ";
    var jump = document.createElement("a");
    jump.href = "#content";
    jump.textContent = t("the text");
    head.appendChild(jump);
    head.appendChild(document.createTextNode(" " + t("(the form only changes its lines).")));
    holder.appendChild(head);
    var grid = document.createElement("div");
    grid.className = "record-grid";
    type.fields.forEach(function (field) {
      var label = document.createElement("label");
      label.setAttribute("for", "field-" + field.name);
      label.textContent = field.label + (field.required ? " *" : "");
      var el = control(field);
      inputs[field.name] = el;
      grid.appendChild(label);
      grid.appendChild(el);
    });
    holder.appendChild(grid);
  }

  function sync() {
    var values = read(textarea.value);
    var type = info.types[values.type] || null;
    if ((type ? type.id : null) !== drawn) draw(type);
    if (!type) return;
    type.fields.forEach(function (field) {
      var el = inputs[field.name];
      if (el && !el.contains(document.activeElement) && document.activeElement !== el) {
        el.setValue(values[field.name] === undefined ? "" : values[field.name]);
      }
    });
  }

  var timer = null;
  textarea.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(sync, 250);
  });
  sync();
})();
