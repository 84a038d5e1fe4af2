// Vigie — the event console reloads its list in place every few seconds
// (the element's data-refresh), from the page's own address, so the
// filters and the page stay. No build step, no inline script (the CSP is
// default-src 'self'); without it the page still works, by reloading it.
"use strict";
(function () {
  var list = document.getElementById("events-list");
  if (!list) return;
  var seconds = parseInt(list.getAttribute("data-refresh"), 10) || 15;

  function busy() {
    // Do not pull the list from under a keyboard or a pointer on it.
    var active = document.activeElement;
    return document.hidden || (active && list.contains(active) && active.tagName === "BUTTON");
  }

  function reload() {
    if (busy()) return;
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("events-list");
        if (fresh) {
          list.replaceWith(fresh);
          list = fresh;
        }
      })
      .catch(function () { /* offline for a moment: the next tick tries again */ });
  }

  window.setInterval(reload, seconds * 1000);
})();
