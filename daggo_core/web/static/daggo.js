// daggo's admin: shows each <time data-local> in the browser's time zone, UTC on hover.
(function () {
  "use strict";
  function localize(root) {
    root.querySelectorAll("time[data-local]").forEach(function (el) {
      var at = new Date(el.getAttribute("datetime"));
      if (isNaN(at.getTime())) return;
      el.title = at.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
      el.textContent = at.toLocaleString(undefined, {
        year: "numeric", month: "short", day: "numeric",
        hour: "2-digit", minute: "2-digit", second: "2-digit"
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { localize(document); });
})();
