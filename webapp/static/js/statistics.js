// The statistics page's charts (chart.js, served from node_modules by webapp/web/vendor.py). The
// figures come from the page itself (#chart-data); the tables below the charts show the same numbers.
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || !window.Chart) return;
  var data = JSON.parse(source.textContent);
  var palette = ["#1f5fae", "#c0392b", "#2e8b57", "#d4880f", "#6c5ce7", "#16a085", "#8e44ad", "#7f8c8d",
                 "#e67e22", "#2c3e50", "#27ae60", "#b03a2e"];
  Chart.defaults.font.family = '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif';
  Chart.defaults.animation = false;  // figures, not a show: draw at once (and for screenshots)

  function colours(n) {
    var out = [];
    for (var i = 0; i < n; i++) out.push(palette[i % palette.length]);
    return out;
  }

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    canvas.chart = new Chart(canvas, config);
    canvas.setAttribute("data-rendered", "true");
  }

  function round(id, series, emptyText) {
    var total = series.values.reduce(function (a, b) { return a + b; }, 0);
    if (!total) {
      var box = document.getElementById(id);
      if (box) box.parentNode.innerHTML = '<p class="muted chart-empty">' + emptyText + "</p>";
      return;
    }
    draw(id, {
      type: "doughnut",
      data: { labels: series.labels, datasets: [{ data: series.values, backgroundColor: colours(series.values.length) }] },
      options: { maintainAspectRatio: false, plugins: { legend: { position: "right" } } }
    });
  }

  draw("chart-units", {
    type: "bar",
    data: {
      labels: data.units.labels,
      datasets: [
        { label: "交办件数", data: data.units.assigned, backgroundColor: "#1f5fae" },
        { label: "已答复", data: data.units.replies, backgroundColor: "#2e8b57" },
        { label: "按时答复", data: data.units.on_time, backgroundColor: "#d4880f" }
      ]
    },
    options: { maintainAspectRatio: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
  });
  draw("chart-categories", {
    type: "bar",
    data: { labels: data.categories.labels,
            datasets: [{ label: "立案件数", data: data.categories.values, backgroundColor: colours(data.categories.values.length) }] },
    options: { indexAxis: "y", maintainAspectRatio: false, plugins: { legend: { display: false } },
               scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } }
  });
  round("chart-types", data.types, "暂无立案事项");
  round("chart-classes", data.classes, "暂无答复");
  round("chart-satisfaction", data.satisfaction, "暂无满意度测评");
})();
