/* Progress Billings: "select all" commitments, and focus on the banner after Send Invites.
   Loaded with <script src=... data-panel="<id of the panel htmx swaps>"> (no inline script: CSP). */
(function () {
  "use strict";
  var script = document.currentScript;
  var panelId = script ? script.dataset.panel : "";
  // Select all (progressive enhancement): without JS the box stays hidden and each row is ticked
  // by hand. Delegated to the document so that it keeps working after htmx swaps the panel.
  document.documentElement.classList.add("js");
  document.addEventListener("change", function (event) {
    var box = event.target;
    var form = box.form;
    if (!form || box.type !== "checkbox") return;
    var rows = Array.prototype.slice.call(form.querySelectorAll("input[name=commitments]:not(:disabled)"));
    var all = form.querySelector("input[data-select-all]");
    if (!all) return;
    if (box === all) {
      rows.forEach(function (row) { row.checked = all.checked; });
    } else {
      var ticked = rows.filter(function (row) { return row.checked; }).length;
      all.checked = ticked === rows.length && ticked > 0;
      all.indeterminate = ticked > 0 && ticked < rows.length;
    }
  });
  // After sending, the clicked button is gone with the old panel: move keyboard focus to the banner.
  document.addEventListener("htmx:afterSettle", function () {
    if (!panelId) return;
    var panel = document.getElementById(panelId);
    var banner = panel && panel.querySelector(".panel-banner .alert");
    if (banner) banner.focus();
  });
})();
