// Vigie — keyboard shortcuts of the ticket pages. No build step, no inline
// script (the CSP is default-src 'self'); every shortcut has a link or a
// form that works without it.
//   g q  the ticket queue        n  a new ticket
//   r    focus the reply box     a  focus the assign form
//   x    tick the focused row of a queue
// It also shows the queue's "tick all" box, which needs a script to act.
"use strict";
(function () {
  var pending = null; // the first key of a two-key shortcut
  var timer = null;

  function typing(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  function focus(id) {
    var el = document.getElementById(id);
    if (!el) return false;
    el.scrollIntoView({ block: "center" });
    el.focus();
    return true;
  }

  document.addEventListener("keydown", function (e) {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    if (typing(e.target)) return;
    var key = e.key;
    if (pending === "g") {
      pending = null;
      clearTimeout(timer);
      if (key === "q") {
        e.preventDefault();
        window.location.assign("/tickets");
      }
      return;
    }
    switch (key) {
      case "g":
        pending = "g";
        clearTimeout(timer);
        timer = setTimeout(function () { pending = null; }, 1500);
        break;
      case "n":
        e.preventDefault();
        window.location.assign("/tickets/new");
        break;
      case "r":
        if (focus("reply-body")) e.preventDefault();
        break;
      case "a":
        if (focus("assign-group")) e.preventDefault();
        break;
      case "x":
        var row = document.activeElement && document.activeElement.closest
          ? document.activeElement.closest("tr") : null;
        var box = row ? row.querySelector('input[name="id"]') : null;
        if (box) {
          box.checked = !box.checked;
          e.preventDefault();
        }
        break;
      case "?":
        var help = document.getElementById("shortcuts");
        if (help) {
          help.open = !help.open;
          e.preventDefault();
        }
        break;
    }
  });

  var all = document.getElementById("bulk-all");
  if (all) {
    all.hidden = false;
    all.addEventListener("change", function () {
      var boxes = document.querySelectorAll('input[name="id"][form="bulk-form"]');
      for (var i = 0; i < boxes.length; i++) boxes[i].checked = all.checked;
    });
  }
})();
