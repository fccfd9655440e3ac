// The formatting toolbar above the Markdown and its shortcuts (Ctrl/Cmd+B, I, K): each button
// wraps the selection (or inserts a placeholder and selects it), a second press takes the
// marks off again, and the text stays plain Markdown. Changes go through the browser's own
// editing (execCommand "insertText") so that Ctrl+Z undoes them; where that is missing,
// setRangeText. Plain JavaScript, no external code.
(function () {
  "use strict";
  // the page's language: texts handed over by the server (data-texts on <body>)
  var TEXTS = (function () {
    try { return JSON.parse(document.body.getAttribute("data-texts") || "{}"); } catch (e) { return {}; }
  })();
  function t(text) { return TEXTS[text] || text; }
  var form = document.getElementById("editor");
  var bar = form && form.querySelector(".md-toolbar");
  var textarea = form && form.querySelector("textarea[name=content]");
  if (!bar || !textarea) return;
  bar.hidden = false;

  // -- editing that the browser can undo ---------------------------------------------------
  function replace(start, end, text, selStart, selEnd) {
    textarea.focus();
    textarea.setSelectionRange(start, end);
    var done = false;
    try {
      done = text === "" ? document.execCommand("delete", false) : document.execCommand("insertText", false, text);
    } catch (e) { done = false; }
    if (!done || textarea.value.slice(start, start + text.length) !== text) {
      textarea.setRangeText(text, start, end, "end");
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    }
    textarea.setSelectionRange(selStart, selEnd);
  }

  // -- marks around the selection: **bold**, _italic_, `code`, [text](address) --------------
  function wrap(open, close, placeholder) {
    var v = textarea.value, s = textarea.selectionStart, e = textarea.selectionEnd;
    var chosen = v.slice(s, e);
    // already marked inside the selection ("**x**" selected): take the marks off
    if (chosen.length >= open.length + close.length && chosen.slice(0, open.length) === open &&
        chosen.slice(chosen.length - close.length) === close && !marksOf(chosen, open, close)) {
      var inner = chosen.slice(open.length, chosen.length - close.length);
      replace(s, e, inner, s, s + inner.length);
      return;
    }
    // marked around the selection ("**" + x + "**"): take the marks off
    if (v.slice(s - open.length, s) === open && v.slice(e, e + close.length) === close &&
        !(open === "_" && (v.charAt(s - 2) === "_" || v.charAt(e + 1) === "_"))) {
      replace(s - open.length, e + close.length, chosen, s - open.length, e - open.length);
      return;
    }
    // spaces at the edges of a selection stay outside the marks (Markdown wants them so)
    var lead = /^\s*/.exec(chosen)[0].length, trail = /\s*$/.exec(chosen.slice(lead))[0].length;
    var text = chosen.slice(lead, chosen.length - trail) || placeholder;
    var from = s + lead + open.length;
    replace(s + lead, e - trail, open + text + close, from, from + text.length);
  }
  // "**a** and **b**" is not one bold run: taking its outer marks off would break it
  function marksOf(chosen, open, close) {
    var inner = chosen.slice(open.length, chosen.length - close.length);
    return inner.indexOf(open) >= 0 || inner.indexOf(close) >= 0;
  }

  function link() {
    var v = textarea.value, s = textarea.selectionStart, e = textarea.selectionEnd;
    var chosen = v.slice(s, e);
    if (/^(https?:\/\/|mailto:|www\.)\S+$/.test(chosen)) {  // an address: it needs a label
      var label = t("link text");
      replace(s, e, "[" + label + "](" + chosen + ")", s + 1, s + 1 + label.length);
      return;
    }
    var text = chosen || t("link text");
    var start = s + text.length + 3;
    replace(s, e, "[" + text + "](https://)", chosen ? start : s + 1, chosen ? start + 8 : s + 1 + text.length);
  }

  // -- whole lines: headings, lists, quotes --------------------------------------------------
  function lineRange() {
    var v = textarea.value, s = textarea.selectionStart, e = textarea.selectionEnd;
    if (e > s && v.charAt(e - 1) === "\n") e--;  // a selection ending at a line start
    var start = v.lastIndexOf("\n", s - 1) + 1;
    var end = v.indexOf("\n", e);
    return [start, end < 0 ? v.length : end];
  }

  // prefix(i, line) gives the mark of the i-th line; has(line) whether it carries one
  function lines(prefix, has, strip) {
    var r = lineRange(), block = textarea.value.slice(r[0], r[1]);
    var all = block.split("\n");
    var filled = all.filter(function (l) { return /\S/.test(l); });
    var off = filled.length > 0 && filled.every(has);
    var n = 0;
    var out = all.map(function (l) {
      if (off) return strip(l);
      if (!/\S/.test(l) && all.length > 1) return l;
      return prefix(n++, strip(l)) + strip(l);
    }).join("\n");
    var empty = !/\S/.test(block) && all.length === 1;
    replace(r[0], r[1], out, empty ? r[0] + out.length : r[0], r[0] + out.length);
  }
  var LIST = /^(\s*)([-*+] \[[ xX]\] |[-*+] |\d+[.)] )/;
  function list(kind) {
    var marks = { bullets: /^\s*[-*+] (?!\[[ xX]\] )/, numbers: /^\s*\d+[.)] /, tasks: /^\s*[-*+] \[[ xX]\] / };
    lines(function (i) {
      return kind === "numbers" ? (i + 1) + ". " : kind === "tasks" ? "- [ ] " : "- ";
    }, function (l) { return marks[kind].test(l); }, function (l) { return l.replace(LIST, "$1"); });
  }
  function quote() {
    lines(function () { return "> "; }, function (l) { return /^\s*>/.test(l); },
      function (l) { return l.replace(/^(\s*)> ?/, "$1"); });
  }
  // one button for the headings: ## → ### → #### → none → ##
  function heading() {
    var r = lineRange(), line = textarea.value.slice(r[0], r[1]).split("\n")[0];
    var end = r[0] + line.length;
    var m = /^(#{1,6}) +/.exec(line);
    var level = m ? m[1].length : 0;
    var rest = m ? line.slice(m[0].length) : line;
    var next = level === 0 ? 2 : level >= 4 ? 0 : level + 1;
    var mark = next ? new Array(next + 1).join("#") + " " : "";
    var text = rest || (next ? t("Heading") : "");
    replace(r[0], end, mark + text, r[0] + mark.length, r[0] + mark.length + text.length);
  }

  // -- blocks: a table, a code block ----------------------------------------------------------
  // the block on lines of its own, with an empty line before and after it
  function block(text, selectFrom, selectLength) {
    var v = textarea.value, s = textarea.selectionStart, e = textarea.selectionEnd;
    var before = v.slice(0, s), after = v.slice(e);
    var lead = before === "" || /\n\n$/.test(before) ? "" : /\n$/.test(before) ? "\n" : "\n\n";
    var tail = after === "" ? "\n" : /^\n\n/.test(after) ? "" : /^\n/.test(after) ? "\n" : "\n\n";
    var from = s + lead.length + selectFrom;
    replace(s, e, lead + text + tail, from, from + selectLength);
  }
  function table() {
    var c1 = t("Column 1"), c2 = t("Column 2"), cell = t("Text");
    block("| " + c1 + " | " + c2 + " |\n| --- | --- |\n| " + cell + " | " + cell + " |", 2, c1.length);
  }
  function code() {
    var v = textarea.value, chosen = v.slice(textarea.selectionStart, textarea.selectionEnd);
    if (chosen.indexOf("\n") >= 0) { codeBlock(); return; }
    var ticks = chosen.indexOf("`") >= 0 ? "`` " : "`";
    wrap(ticks, ticks === "`" ? "`" : " ``", t("code"));
  }
  function codeBlock() {
    var v = textarea.value, s = textarea.selectionStart, e = textarea.selectionEnd;
    var chosen = v.slice(s, e).replace(/\n$/, "");
    var fenced = /^```[^\n]*\n([\s\S]*)\n```$/.exec(chosen);
    if (fenced) { replace(s, e, fenced[1], s, s + fenced[1].length); return; }
    var text = chosen || t("code");
    block("```\n" + text + "\n```", 4, text.length);
  }

  var ACTIONS = {
    heading: heading,
    bold: function () { wrap("**", "**", t("bold text")); },
    italic: function () { wrap("_", "_", t("italic text")); },
    link: link,
    bullets: function () { list("bullets"); },
    numbers: function () { list("numbers"); },
    tasks: function () { list("tasks"); },
    table: table,
    quote: quote,
    code: code,
    codeblock: codeBlock
  };

  bar.addEventListener("mousedown", function (event) {
    // a click on a button keeps the selection in the text
    if (event.target.closest("button")) event.preventDefault();
  });
  bar.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-md]");
    if (!button || !ACTIONS[button.getAttribute("data-md")]) return;
    ACTIONS[button.getAttribute("data-md")]();
  });
  textarea.addEventListener("keydown", function (event) {
    if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return;
    var key = event.key.toLowerCase();
    var action = { b: "bold", i: "italic", k: "link" }[key];
    if (!action) return;
    event.preventDefault();
    ACTIONS[action]();
  });

  // arrow keys move between the buttons (one tab stop for the whole toolbar)
  var buttons = Array.prototype.slice.call(bar.querySelectorAll("button"));
  buttons.forEach(function (b, i) { b.tabIndex = i === 0 ? 0 : -1; });
  bar.addEventListener("keydown", function (event) {
    var i = buttons.indexOf(document.activeElement);
    if (i < 0) return;
    var next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: buttons.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    next = (next + buttons.length) % buttons.length;
    buttons[i].tabIndex = -1;
    buttons[next].tabIndex = 0;
    buttons[next].focus();
  });

  // on a Mac the shortcuts are Cmd: the tooltips say so
  if (/Mac|iPhone|iPad/.test(navigator.platform || "")) {
    buttons.forEach(function (b) {
      if (b.title) b.title = b.title.replace(/Ctrl\+/g, "⌘");
    });
  }
})();
