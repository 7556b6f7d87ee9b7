/* The host pages' charts, drawn with Chart.js from the specs each page carries in
   json_script elements (the Content-Security-Policy forbids inline scripts). A canvas names
   its spec's element in data-host-chart; every chart has a table of the same figures. */
(function () {
  "use strict";

  var COLOURS = ["#1d4ed8", "#c2410c", "#15803d", "#6d28d9", "#be185d", "#0e7490"];
  /* As Django's filesizeformat writes them in the tables: powers of 1024. */
  var UNITS = ["bytes", "KB", "MB", "GB", "TB", "PB"];

  function bytes(value) {
    var size = Math.abs(value);
    var unit = 0;
    while (size >= 1024 && unit < UNITS.length - 1) { size /= 1024; unit += 1; }
    return (unit === 0 ? String(value) : (value < 0 ? "-" : "") + size.toFixed(1)) + " " + UNITS[unit];
  }

  function format(spec) {
    return spec.unit === "bytes" ? bytes : function (value) { return Number(value).toLocaleString(); };
  }

  function draw(canvas, spec) {
    var shown = format(spec);
    var valueAxis = spec.horizontal ? "x" : "y";
    var scales = {};
    scales[valueAxis] = {
      beginAtZero: true,
      ticks: { precision: 0, callback: function (value) { return shown(value); } }
    };
    return new window.Chart(canvas, {
      type: spec.kind,
      data: {
        labels: spec.labels,
        datasets: spec.series.map(function (series, index) {
          var colour = COLOURS[index % COLOURS.length];
          return {
            label: series.label, data: series.values, borderColor: colour,
            backgroundColor: spec.kind === "line" ? colour : colour + "cc",
            borderWidth: 2, pointRadius: spec.labels.length > 60 ? 0 : 2, tension: 0,
            maxBarThickness: 36
          };
        })
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        indexAxis: spec.horizontal ? "y" : "x",
        interaction: { mode: "index", intersect: false },
        scales: scales,
        plugins: {
          tooltip: {
            callbacks: {
              label: function (item) {
                var value = spec.horizontal ? item.parsed.x : item.parsed.y;
                return item.dataset.label + ": " + shown(value);
              }
            }
          }
        }
      }
    });
  }

  function charts(root) {
    if (!window.Chart) { return; }
    root.querySelectorAll("canvas[data-host-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.dataset.hostChart);
      if (!source || window.Chart.getChart(canvas)) { return; }
      draw(canvas, JSON.parse(source.textContent));
    });
  }

  document.addEventListener("DOMContentLoaded", function () { charts(document); });
}());
