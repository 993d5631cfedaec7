// redflag console: keyboard shortcuts only. Every page works without this file.
// "/" focuses the search box; "j"/"k" move between rows of a list; Enter opens the focused row.
(function () {
  "use strict";
  function typing(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  }
  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(document.activeElement)) { return; }
    if (ev.key === "/") {
      var q = document.getElementById("q") || document.getElementById("quick-q");
      if (q) { ev.preventDefault(); q.focus(); q.select(); }
      return;
    }
    if (ev.key === "j" || ev.key === "k") {
      var links = Array.prototype.slice.call(document.querySelectorAll("table.rows tbody tr td:first-child a"));
      if (!links.length) { return; }
      var i = links.indexOf(document.activeElement);
      i = ev.key === "j" ? Math.min(links.length - 1, i + 1) : Math.max(0, i - 1);
      links[i].focus();
      ev.preventDefault();
    }
  });
})();
