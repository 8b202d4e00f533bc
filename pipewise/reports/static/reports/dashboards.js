/* Dashboards: draw each chart from the numbers the page carries; a click opens the records. */
(function () {
  "use strict";
  if (typeof Chart === "undefined") return;
  var palette = ["#2f5bea", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#9ca3af"];
  var units = {
    ratio: function (v) { return (v * 100).toFixed(1) + " %"; },
    percent: function (v) { return v.toFixed(1) + " %"; },
    multiple: function (v) { return v.toFixed(2) + "×"; }
  };
  function format(unit, v) {
    if (v === null || v === undefined) return "—";
    if (units[unit]) return units[unit](v);
    return v.toLocaleString(undefined, { maximumFractionDigits: 1 });
  }
  document.querySelectorAll(".chart-card canvas").forEach(function (canvas) {
    var script = canvas.closest(".card-body").querySelector('script[type="application/json"]');
    if (!script) return;
    var data = JSON.parse(script.textContent);
    var kind = data.kind === "hbar" ? "bar" : data.kind;
    var config = {
      type: kind,
      data: {
        labels: data.labels,
        datasets: [{
          label: data.label,
          data: data.values,
          backgroundColor: kind === "line" ? "rgba(47,91,234,.15)" : (kind === "doughnut" ? palette : "#2f5bea"),
          borderColor: kind === "doughnut" ? "#fff" : "#2f5bea",
          fill: kind === "line",
          tension: 0
        }].concat(data.target ? [{
          type: "line",
          label: "Target",
          data: data.target,
          borderColor: "#dc2626",
          borderDash: [6, 4],
          backgroundColor: "transparent",
          pointRadius: 2,
          fill: false,
          spanGaps: true
        }] : [])
      },
      options: {
        maintainAspectRatio: false,
        animation: window.matchMedia("print").matches ? false : undefined,
        indexAxis: data.kind === "hbar" ? "y" : "x",
        plugins: {
          legend: { display: kind === "doughnut" || !!data.target, position: kind === "doughnut" ? "right" : "top" },
          tooltip: { callbacks: { label: function (ctx) { return format(data.unit, ctx.raw); } } }
        },
        onClick: function (event, elements) {
          if (!elements.length) return;
          var url = data.urls[elements[0].index];
          if (url) window.location.href = url;
        },
        onHover: function (event, elements) {
          event.native.target.style.cursor = elements.length && data.urls[elements[0].index] ? "pointer" : "default";
        }
      }
    };
    if (kind !== "doughnut") {
      var axis = data.kind === "hbar" ? "x" : "y";
      config.options.scales = {};
      config.options.scales[axis] = { beginAtZero: true, ticks: { callback: function (v) { return format(data.unit, v); } } };
    }
    new Chart(canvas, config);
  });
  var preset = document.querySelector("[data-period-preset]");
  if (preset) {
    // Picking a named period clears custom dates; typing a date makes the period custom.
    preset.addEventListener("change", function () {
      if (preset.value !== "custom") {
        document.querySelectorAll("[data-period-date]").forEach(function (input) { input.value = ""; });
        preset.form.submit();
      }
    });
    document.querySelectorAll("[data-period-date]").forEach(function (input) {
      input.addEventListener("change", function () { preset.value = "custom"; });
    });
  }
})();
