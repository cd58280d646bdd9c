// daggo's admin: times in the browser's zone (UTC on hover), pan and zoom of the job
// graphs drawn by the server (wheel or +/-, drag, "Fit" or 0), select-all boxes, and
// live pages fed by the server-sent events of GET /rpc/Runs.StatusStream and
// GET /rpc/Runs.Stream (the session cookie authenticates them), under the prefix the
// admin is mounted under (<body data-root>).
//
// The live attributes, on any page:
//   data-live-status="RUN_ID"    its text becomes the run's status and its status class
//                                (ok, bad, live, wait, muted) follows it.
//   data-live-duration="RUN_ID"  its text becomes the run's duration in words.
//   data-live-wait="RUN_ID"      why the queued run waits: hidden once it is no longer QUEUED.
//   data-live-new                a notice "N new runs — show" (a link reloading the page)
//                                shown when runs created after the page loaded match
//                                data-job, data-statuses (comma-separated), data-trigger
//                                and data-tag ("key=value"); all optional. It is hidden
//                                until then. data-live-ids: the page's run ids, comma-separated.
//   The status stream (data-job on the data-live-new or data-live-run element narrows it
//   to one job) is open while the tab is visible and either a data-live-new element is
//   on the page or a data-live-status element shows an unfinished status, except on a
//   run page whose run stream has all the run's events.
//   data-live-run="RUN_ID"       on the run page, while the run is unfinished: follows the
//                                run's stream from data-cursor with data-step, data-kinds
//                                and data-levels; appends each event as a row of the
//                                element data-live-log names (a <tbody>) when it has
//                                data-append, updates the run's data-live-status elements,
//                                and reloads the page once when the run ends. It is
//                                shown (not hidden) while the stream is open. With any of
//                                the three filters, which may leave out the run's status
//                                events, the page follows the status stream of the run's
//                                job (data-job) too, for its data-live-status elements.
//   data-live-summary="TBODY_ID" the line describing the rows of that log: with each row
//                                appended it becomes "N events[ matching], FIRST to LAST"
//                                (data-count: the rows it counts; data-matching: the log is
//                                filtered; its first <time>, if any: the first row's).
//   data-refresh="SECONDS"      reloads the page SECONDS after it loaded (or after the tab
//                                shows again) while the tab is visible: the page of a
//                                backfill still going, which no stream follows.
// Every stream is closed while the tab is hidden. When the tab shows again the run
// stream reopens from the last cursor received; the status stream has no cursor, so a
// page following it reloads (what changed meanwhile was not streamed). window.daggoLive.state() tells the streams' states
// ("open", "connecting", "closed", or "none") by name ("status", "run").
(function () {
  "use strict";

  // The prefix the admin is mounted under ("" at the root), for the streams' URLs.
  var ROOT = document.body.getAttribute("data-root") || "";

  var LOCAL_FORMATS = {
    clock: { hour: "2-digit", minute: "2-digit" },
    day: { month: "short", day: "numeric" }
  };

  function localize(root) {
    root.querySelectorAll("time[data-local]").forEach(function (el) {
      var at = new Date(el.getAttribute("datetime"));
      if (isNaN(at.getTime())) return;
      el.title = at.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
      // data-local="clock": hours and minutes; "day": the date; else date and time.
      el.textContent = at.toLocaleString(undefined, LOCAL_FORMATS[el.dataset.local] || {
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
      drag = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y, id: e.pointerId, moved: false };
    });
    svg.addEventListener("pointermove", function (e) {
      if (!drag) return;
      if (!drag.moved) {  // a press that has not moved yet may be a click on a node's link
        if (!(e.buttons & 1)) { drag = null; return; }
        if (Math.abs(e.clientX - drag.x) + Math.abs(e.clientY - drag.y) < 4) return;
        drag.moved = true;
        svg.setPointerCapture(drag.id);  // a drag: no link under it is clicked
      }
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

  var STATUS_CLASS = { SUCCESS: "ok", FAILURE: "bad", CANCELED: "muted", STARTED: "live",
    STARTING: "live", QUEUED: "wait" };
  var FINISHED = { SUCCESS: 1, FAILURE: 1, CANCELED: 1 };
  var RUN_KIND_STATUS = { RUN_QUEUED: "QUEUED", RUN_STARTING: "STARTING",
    RUN_STARTED: "STARTED", RUN_SUCCESS: "SUCCESS", RUN_FAILURE: "FAILURE",
    RUN_CANCELED: "CANCELED" };

  function durationWords(s) {  // as daggo_core/web/formatting.py duration_words
    if (s === null || s === undefined) return "";
    if (s < 0.001) return "under 1 ms";
    if (s < 1) { var ms = s * 1000; return (ms < 10 ? ms.toFixed(1) : ms.toFixed(0)) + " ms"; }
    if (s < 10) return s.toFixed(1) + " s";
    var whole = Math.round(s), days = Math.floor(whole / 86400), hours = Math.floor(whole % 86400 / 3600);
    var minutes = Math.floor(whole % 3600 / 60), secs = whole % 60;
    if (days) return days + " day" + (days > 1 ? "s" : "") + (hours ? " " + hours + " h" : "");
    if (hours) return hours + " h" + (minutes ? " " + minutes + " min" : "");
    if (minutes) return minutes + " min" + (secs ? " " + secs + " s" : "");
    return secs + " s";
  }

  function showStatus(runId, status) {
    document.querySelectorAll("[data-live-status]").forEach(function (el) {
      if (el.dataset.liveStatus !== runId) return;
      Object.keys(STATUS_CLASS).forEach(function (k) { el.classList.remove(STATUS_CLASS[k]); });
      if (STATUS_CLASS[status]) el.classList.add(STATUS_CLASS[status]);
      el.textContent = status;
    });
    if (status === "QUEUED") return;
    document.querySelectorAll("[data-live-wait]").forEach(function (el) {
      if (el.dataset.liveWait === runId) el.hidden = true;
    });
  }

  var streams = {};  // name: { source: EventSource|null, opened, start(), stop() }

  // open() returns a new EventSource; reopen(), if given, replaces opening it again.
  function follow(name, open, reopen) {
    var stream = { source: null, opened: false };
    streams[name] = stream;
    stream.start = function () {
      if (stream.source) return;
      if (stream.opened && reopen) { reopen(); return; }
      stream.source = open();
      stream.opened = true;
    };
    stream.stop = function () { if (stream.source) { stream.source.close(); stream.source = null; } };
    if (document.visibilityState !== "hidden") stream.start();
    return stream;
  }

  document.addEventListener("visibilitychange", function () {
    Object.keys(streams).forEach(function (name) {
      if (document.visibilityState === "hidden") streams[name].stop(); else streams[name].start();
    });
  });

  window.daggoLive = { state: function () {
    var out = {};
    Object.keys(streams).forEach(function (name) {
      var source = streams[name].source;
      out[name] = !source ? "none" : ["connecting", "open", "closed"][source.readyState];
    });
    return out;
  } };

  function matches(notice, run) {
    var d = notice.dataset;
    if (d.job && run.job_name !== d.job) return false;
    if (d.statuses && d.statuses.split(",").indexOf(run.status) < 0) return false;
    if (d.trigger && run.trigger !== d.trigger) return false;
    if (d.tag) {
      var at = d.tag.indexOf("="), key = d.tag.slice(0, at);
      if ((run.tags || {})[key] !== d.tag.slice(at + 1)) return false;
    }
    return true;
  }

  // Whether a run page's log filter may leave out the run's status events.
  function filtered(d) { return Boolean(d.step || d.kinds || d.levels); }

  function liveStatuses() {
    var notice = document.querySelector("[data-live-new]");
    var run = document.querySelector("[data-live-run]");
    var unfinished = Array.prototype.some.call(document.querySelectorAll("[data-live-status]"),
      function (el) { return !FINISHED[el.textContent.trim().split(/\s/)[0]]; });
    if ((!notice && !unfinished) || (run && !filtered(run.dataset))) return;
    var known = {}, fresh = {};
    if (notice) (notice.dataset.liveIds || "").split(",").forEach(function (id) { known[id] = 1; });
    var job = notice ? notice.dataset.job : run && run.dataset.job;
    var url = ROOT + "/rpc/Runs.StatusStream" + (job ? "?job=" + encodeURIComponent(job) : "");
    follow("status", function () {
      var source = new EventSource(url);
      source.addEventListener("run", function (e) {
        var run = JSON.parse(e.data);
        showStatus(run.id, run.status);
        document.querySelectorAll("[data-live-duration]").forEach(function (el) {
          if (el.dataset.liveDuration === run.id) el.textContent = durationWords(run.duration_seconds);
        });
        if (notice && !known[run.id] && !fresh[run.id] && matches(notice, run)) {
          fresh[run.id] = 1;
          var n = Object.keys(fresh).length;
          notice.hidden = false;
          notice.textContent = "";
          var link = document.createElement("a");
          link.href = location.href.replace(/#.*$/, "");
          link.textContent = n + " new run" + (n > 1 ? "s" : "") + " \u2014 show";
          notice.appendChild(link);
        }
      });
      return source;
    }, function () { location.reload(); });  // what changed while hidden was not streamed
  }

  function logRow(e) {
    var tr = document.createElement("tr");
    var time = e.timestamp ? new Date(e.timestamp).toISOString().slice(11, 23) : "";
    [time, e.step_key || "", e.kind, e.level || "", e.message || ""].forEach(function (text, i) {
      var td = document.createElement("td");
      td.textContent = text;
      if (i === 4) td.className = "message";
      tr.appendChild(td);
    });
    return tr;
  }

  function timeOf(iso) {  // as daggo_core/web/formatting.py local_time, localized after
    var time = document.createElement("time");
    time.setAttribute("datetime", iso);
    time.setAttribute("data-local", "");
    time.textContent = iso;
    return time;
  }

  function countRow(summary, e) {  // the log's summary line, with the row of `e` appended
    var d = summary.dataset, n = Number(d.count || 0) + 1, first = summary.querySelector("time");
    var from = first ? first.getAttribute("datetime") : e.timestamp;
    d.count = n;
    summary.textContent = n + " event" + (n !== 1 ? "s" : "") +
      (d.matching !== undefined ? " matching" : "") + ", ";
    summary.appendChild(timeOf(from));
    summary.appendChild(document.createTextNode(" to "));
    summary.appendChild(timeOf(e.timestamp || from));
    localize(summary);
  }

  function liveRun(indicator) {
    var d = indicator.dataset, cursor = d.cursor || "";
    var log = d.liveLog ? document.getElementById(d.liveLog) : null;
    var summary = d.liveLog ? document.querySelector("[data-live-summary='" + d.liveLog + "']") : null;
    var ended = false;
    var stream = follow("run", function () {
      var query = ["run_id=" + encodeURIComponent(d.liveRun)];
      if (cursor) query.push("cursor=" + encodeURIComponent(cursor));
      if (d.step) query.push("step_key=" + encodeURIComponent(d.step));
      if (d.kinds) query.push("kinds=" + encodeURIComponent(d.kinds));
      if (d.levels) query.push("levels=" + encodeURIComponent(d.levels));
      var source = new EventSource(ROOT + "/rpc/Runs.Stream?" + query.join("&"));
      indicator.hidden = false;
      source.addEventListener("event", function (e) {
        var event = JSON.parse(e.data);
        cursor = e.lastEventId || cursor;
        if (RUN_KIND_STATUS[event.kind]) showStatus(d.liveRun, RUN_KIND_STATUS[event.kind]);
        if (log && d.append !== undefined) {
          log.appendChild(logRow(event));
          if (summary) countRow(summary, event);
        }
      });
      source.addEventListener("end", function (e) {
        ended = true;
        stream.stop();
        showStatus(d.liveRun, JSON.parse(e.data).status);
        location.reload();  // the Gantt, steps and errors in their final state
      });
      return source;
    });
    var stop = stream.stop;
    stream.stop = function () { stop(); if (!ended) indicator.hidden = true; };
  }

  function refresh(el) {
    var timer = null, every = Number(el.dataset.refresh) * 1000;
    function arm() {
      clearTimeout(timer);
      if (document.visibilityState !== "hidden") timer = setTimeout(function () { location.reload(); }, every);
    }
    document.addEventListener("visibilitychange", arm);
    arm();
  }

  document.addEventListener("DOMContentLoaded", function () {
    localize(document);
    document.querySelectorAll("[data-live-run]").forEach(liveRun);
    liveStatuses();
    document.querySelectorAll("[data-select-all]").forEach(selectAll);
    document.querySelectorAll("[data-graph]").forEach(zoomable);
    document.querySelectorAll("[data-refresh]").forEach(refresh);
  });
})();
