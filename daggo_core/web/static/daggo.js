// daggo's admin: times in the browser's zone (UTC on hover), pan and zoom of the job
// graphs drawn by the server (wheel or +/-, drag, "Fit" or 0), select-all boxes.
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

  function zoomable(box) {
    var svg = box.querySelector("svg");
    var full = svg.viewBox.baseVal;
    var home = { x: full.x, y: full.y, w: full.width, h: full.height };
    var view = Object.assign({}, home);
    function show() { svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].join(" ")); }
    function zoom(factor, cx, cy) {  // cx, cy: the fixed point, 0..1 of the view
      var w = Math.min(Math.max(view.w * factor, home.w / 40), home.w * 4);
      var h = w * home.h / home.w;
      view.x += (view.w - w) * cx; view.y += (view.h - h) * cy;
      view.w = w; view.h = h; show();
    }
    svg.addEventListener("wheel", function (e) {
      e.preventDefault();
      var r = svg.getBoundingClientRect();
      zoom(e.deltaY > 0 ? 1.15 : 1 / 1.15, (e.clientX - r.left) / r.width, (e.clientY - r.top) / r.height);
    }, { passive: false });
    var drag = null;
    svg.addEventListener("pointerdown", function (e) {
      drag = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y };
      svg.setPointerCapture(e.pointerId);
    });
    svg.addEventListener("pointermove", function (e) {
      if (!drag) return;
      var r = svg.getBoundingClientRect(), scale = view.w / r.width;
      view.x = drag.vx - (e.clientX - drag.x) * scale;
      view.y = drag.vy - (e.clientY - drag.y) * scale; show();
    });
    svg.addEventListener("pointerup", function () { drag = null; });
    function act(name) {
      if (name === "in") zoom(1 / 1.3, 0.5, 0.5);
      else if (name === "out") zoom(1.3, 0.5, 0.5);
      else { view = Object.assign({}, home); show(); }
    }
    box.querySelectorAll("[data-zoom]").forEach(function (button) {
      button.addEventListener("click", function () { act(button.dataset.zoom); });
    });
    svg.addEventListener("keydown", function (e) {
      var name = { "+": "in", "=": "in", "-": "out", "0": "fit" }[e.key];
      if (name) { e.preventDefault(); act(name); }
    });
  }

  function selectAll(box) {  // a header checkbox ticking every box of its table
    box.addEventListener("change", function () {
      box.closest("table").querySelectorAll("tbody input[type=checkbox]").forEach(function (c) {
        c.checked = box.checked;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    localize(document);
    document.querySelectorAll("[data-select-all]").forEach(selectAll);
    document.querySelectorAll("[data-graph]").forEach(zoomable);
  });
})();
