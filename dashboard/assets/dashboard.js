/* leadflow dashboard: draws the charts (uPlot) and, live, applies pushed updates.
   Every number and word on the page is rendered by the server (dashboard/sections.py);
   this script only draws the charts into their boxes, ticks the countdowns between
   pushes, keeps the event stream open (and says so when it is not), and rotates the
   sections in TV mode. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("lf-data").textContent);
  var params = new URLSearchParams(window.location.search);
  var tv = document.body.classList.contains("tv") || params.get("tv") === "1";
  if (tv) document.body.classList.add("tv");
  var charts = {};
  var plots = [];
  var offset = 0;  // server "now" minus the browser's, seconds
  var frozen = data.clock === "event";  // event clock: time moves with events, not the wall
  var serverNow = data.now_epoch;

  function pct(v) { return (v * 100).toFixed(v >= 0.995 || v === 0 ? 0 : 1) + "%"; }
  function fmtValue(unit, v) {
    if (v == null) return "";
    if (unit === "share") return pct(v);
    if (unit === "minutes") return v >= 100 ? v.toFixed(0) : v.toFixed(1);
    return String(Math.round(v * 10) / 10);
  }
  function shortLabel(label) {
    var m = /-(W\d+)$/.exec(label || "");
    return m ? m[1] : label;
  }

  function draw(el, spec) {
    var width = el.clientWidth;
    if (!width) return false;  // hidden (TV rotation): drawn when shown
    el.innerHTML = "";
    var n = spec.labels.length;
    var xs = [];
    for (var i = 0; i < n; i++) xs.push(i);
    var series = [{label: "period", value: function (u, v) { return v == null ? "" : spec.labels[v]; }}];
    var values = [xs];
    spec.series.forEach(function (s) {
      series.push({
        label: s.label, stroke: s.color, width: tv ? 3 : 2, dash: s.dash ? [8, 5] : undefined,
        points: {show: !s.dash, size: tv ? 10 : 7, fill: s.color, stroke: s.color},
        value: function (u, v) { return fmtValue(spec.unit, v); }
      });
      values.push(s.values);
    });
    var y = {};
    if (spec.unit === "share") y.range = function (u, lo, hi) { return [0, Math.max(1, hi || 0)]; };
    else y.range = function (u, lo, hi) { return [0, Math.max(1, (hi || 0) * 1.15)]; };
    var opts = {
      width: width, height: tv ? 320 : 200,
      legend: {show: false},  // the key is in the caption (dashboard/sections.py)
      cursor: {show: !tv},
      scales: {x: {time: false, range: function () { return [-0.5, n - 0.5]; }}, y: y},
      axes: [
        {splits: function () { return xs; },
         values: function (u, splits) { return splits.map(function (i) { return shortLabel(spec.labels[i]); }); },
         font: (tv ? 18 : 11) + "px system-ui, sans-serif"},
        {values: function (u, splits) { return splits.map(function (v) { return fmtValue(spec.unit, v); }); },
         size: tv ? 80 : 50, font: (tv ? 18 : 11) + "px system-ui, sans-serif"}
      ],
      series: series
    };
    plots.push(new uPlot(opts, values, el));
    el.dataset.drawn = "1";
    return true;
  }

  function drawAll() {
    plots.forEach(function (p) { p.destroy(); });
    plots = [];
    document.querySelectorAll(".plot[data-chart]").forEach(function (el) {
      el.dataset.drawn = "";
      var spec = charts[el.dataset.chart];
      if (spec) draw(el, spec);
    });
  }
  function drawPending() {
    document.querySelectorAll(".plot[data-chart]").forEach(function (el) {
      var spec = charts[el.dataset.chart];
      if (spec && !el.dataset.drawn) draw(el, spec);
    });
  }
  function setCharts(list) {
    charts = {};
    list.forEach(function (c) { charts[c.id] = c; });
  }

  // --- countdowns ---------------------------------------------------------------------
  function age(s) {
    s = Math.floor(Math.abs(s));
    if (s < 60) return s + "s";
    var m = Math.floor(s / 60) % 60, h = Math.floor(s / 3600) % 24, d = Math.floor(s / 86400);
    if (d) return d + "d " + h + "h";
    if (h) return h + "h " + m + "m";
    return m + "m";
  }
  function tick() {
    if (serverNow == null) return;
    var now = frozen ? serverNow : Date.now() / 1000 + offset;
    document.querySelectorAll("[data-due]").forEach(function (li) {
      var left = parseFloat(li.dataset.due) - now;
      var text = left > 0 ? "due in " + age(left) : "breached " + age(left) + " ago";
      var el = li.querySelector(".countdown");
      if (el && el.textContent !== text) el.textContent = text;
      li.classList.toggle("past", left <= 0);
    });
  }

  // --- TV rotation --------------------------------------------------------------------
  var shownIndex = 0;
  function rotate(step) {
    var sections = Array.prototype.slice.call(document.querySelectorAll("section.rotate"));
    if (!sections.length) return;
    shownIndex = (shownIndex + step) % sections.length;
    sections.forEach(function (s, i) { s.classList.toggle("shown", i === shownIndex); });
    document.body.dataset.shown = sections[shownIndex].id;
    drawPending();
  }

  // --- live ---------------------------------------------------------------------------
  var conn = document.getElementById("conn");
  var lastMessage = 0;
  var source = null;
  function status(up, text) {
    if (!conn) return;
    conn.textContent = text;
    conn.className = "conn " + (up ? "up" : "down");
    document.body.classList.toggle("disconnected", !up);
  }
  function apply(update) {
    lastMessage = Date.now();
    if (update.scorecard_key !== data.scorecard_key) {
      data.scorecard_key = update.scorecard_key;
      document.getElementById("scorecard").innerHTML = update.scorecard_html;
      setCharts(update.charts);
      drawAll();
    }
    document.getElementById("live").innerHTML = update.live_html;
    document.getElementById("as-of").textContent = update.as_of;
    frozen = update.clock === "event";
    serverNow = update.now_epoch;
    if (serverNow != null) offset = serverNow - Date.now() / 1000;
    document.body.dataset.seq = update.seq;
    if (tv) rotate(0);
    tick();
    status(true, "live, updated " + new Date().toLocaleTimeString());
  }
  function connect() {
    if (source) source.close();
    source = new EventSource(data.events);
    source.onopen = function () { lastMessage = Date.now(); status(true, "live"); };
    source.addEventListener("state", function (e) { apply(JSON.parse(e.data)); });
    source.addEventListener("ping", function () { lastMessage = Date.now(); });
    source.onerror = function () {
      status(false, "connection lost: reconnecting…");
      if (source.readyState === 2) setTimeout(connect, 2000);  // closed for good: start anew
    };
  }

  setCharts(data.charts);
  if (tv) {
    var every = parseFloat(params.get("rotate") || "12");
    rotate(0);
    setInterval(function () { rotate(1); }, Math.max(2, every) * 1000);
  }
  drawAll();
  if (data.live) {
    connect();
    setInterval(tick, 1000);
    setInterval(function () {  // a silent stream (a dead proxy, a sleeping laptop) is lost too
      if (lastMessage && Date.now() - lastMessage > 15000) {
        status(false, "connection lost: reconnecting…");
        lastMessage = Date.now();
        connect();
      }
    }, 3000);
  }
  var resize = null;
  window.addEventListener("resize", function () {
    clearTimeout(resize);
    resize = setTimeout(drawAll, 200);
  });
})();
