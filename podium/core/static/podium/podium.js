/* Podium's pages: times in the viewer's time zone, and the charts of the Results tab, drawn
   with Chart.js from the data the page fetches once shown (its rows come first). The
   pages' Content-Security-Policy forbids inline scripts: everything is here. */
(function () {
  "use strict";

  var BLUE = "#1d4ed8";
  var ORANGE = "#c2410c";
  var GREY = "#6b7280";
  var PURPLE = "#6d28d9";

  var longTime = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
    timeZoneName: "short"
  });
  var shortDate = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

  /* <time datetime="...Z" data-local>: the server writes UTC, said so; the viewer reads
     their own time zone, named, with UTC kept in the tooltip. */
  function localTimes(root) {
    root.querySelectorAll("time[data-local]").forEach(function (node) {
      var moment = new Date(node.getAttribute("datetime"));
      if (isNaN(moment.getTime())) { return; }
      node.textContent = longTime.format(moment);
      node.removeAttribute("data-local");
    });
  }

  function fixed(value, precision) {
    return typeof value === "number" ? value.toFixed(precision) : String(value);
  }

  function historyChart(canvas, data) {
    var times = data.points.map(function (point) { return point[0]; });
    var first = Math.min.apply(null, times);
    var last = Math.max.apply(null, times);
    var datasets = [
      {
        type: "line", label: "Best so far", stepped: "before", borderColor: BLUE,
        backgroundColor: BLUE, borderWidth: 2, pointRadius: 0,
        data: data.best.map(function (point) { return { x: point[0], y: point[1] }; })
      },
      {
        type: "scatter", label: "Leaderboard entries", borderColor: GREY,
        backgroundColor: "rgba(107, 114, 128, 0.45)", pointRadius: 3,
        data: data.points.map(function (point) { return { x: point[0], y: point[1] }; })
      }
    ];
    data.baselines.forEach(function (baseline) {
      datasets.push({
        type: "line", label: "Baseline: " + baseline.name, borderColor: PURPLE,
        borderDash: [6, 4], borderWidth: 1.5, pointRadius: 0,
        data: [{ x: first, y: baseline.value }, { x: last, y: baseline.value }]
      });
    });
    return new window.Chart(canvas, {
      data: { datasets: datasets },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: {
          x: {
            type: "linear",
            title: { display: true, text: "Submitted" },
            ticks: { maxTicksLimit: 6, callback: function (value) { return shortDate.format(new Date(value)); } }
          },
          y: { title: { display: true, text: data.label } }
        },
        plugins: {
          tooltip: {
            callbacks: {
              title: function (items) { return items.length ? longTime.format(new Date(items[0].parsed.x)) : ""; },
              label: function (item) { return item.dataset.label + ": " + fixed(item.parsed.y, data.precision); }
            }
          }
        }
      }
    });
  }

  function frontierChart(canvas, data) {
    var on = data.points.filter(function (point) { return point.frontier; })
      .sort(function (a, b) { return a.x - b.x; });
    var off = data.points.filter(function (point) { return !point.frontier; });
    return new window.Chart(canvas, {
      data: {
        datasets: [
          {
            type: "line", label: "Efficiency frontier", data: on, borderColor: ORANGE,
            backgroundColor: ORANGE, pointStyle: "rectRot", pointRadius: 6, borderWidth: 2
          },
          {
            type: "scatter", label: "Other entries", data: off, borderColor: GREY,
            backgroundColor: "rgba(107, 114, 128, 0.45)", pointRadius: 4
          }
        ]
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: {
          x: { type: "linear", title: { display: true, text: data.x_label } },
          y: { title: { display: true, text: data.y_label } }
        },
        plugins: {
          tooltip: {
            callbacks: {
              label: function (item) {
                return item.raw.name + ": " + item.raw.y + " at " + item.raw.x;
              }
            }
          }
        }
      }
    });
  }

  var DRAW = { history: historyChart, frontier: frontierChart };

  /* <div data-charts="URL" hidden>: the figures of the charts whose data URL gives, each a
     canvas data-chart="history|frontier" and a caption. Shown once this script runs (without
     it, there is nothing to see); each caption then says what its chart shows. A chart with
     nothing to plot leaves, and so does the box when none is left; without Chart.js, the
     captions stay and the canvases go. */
  function drawChart(canvas, plotted) {
    var figure = canvas.closest("figure");
    var caption = figure.querySelector("figcaption");
    var draw = DRAW[canvas.dataset.chart];
    if (!plotted || !draw) { figure.remove(); return; }
    canvas.setAttribute("aria-label", plotted.summary);
    caption.textContent = plotted.summary;
    if (!window.Chart) { canvas.closest(".chart-box").remove(); return; }
    try {
      if (!window.Chart.getChart(canvas)) { draw(canvas, plotted); }
    } catch (error) {
      caption.textContent = plotted.summary + " (The chart could not be drawn.)";
    }
  }

  function charts(root) {
    root.querySelectorAll("[data-charts]").forEach(function (box) {
      var address = box.dataset.charts;
      box.removeAttribute("data-charts");
      box.hidden = false;
      fetch(address, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) { throw new Error("the charts' data: HTTP " + response.status); }
          return response.json();
        })
        .then(function (data) {
          box.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
            drawChart(canvas, data[canvas.dataset.chart]);
          });
          if (!box.querySelector("figure")) { box.remove(); }
        }, function () {
          box.querySelectorAll("figcaption").forEach(function (caption) {
            caption.textContent = "This chart could not be loaded; reload the page to try again.";
          });
        });
    });
  }

  function enhance(root) {
    localTimes(root);
    charts(root);
  }

  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
    /* Content that htmx swaps in (a polled submission's row) gets the same treatment. */
    document.body.addEventListener("htmx:load", function (event) { enhance(event.detail.elt); });
  });
}());
