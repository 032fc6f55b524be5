/* The G703 grid: Enter moves down a column, the last-typed of E / % / quantity is remembered,
   the preview's sibling values are written back, and leaving with unsaved values asks first.
   Only the rows someone touched are sent (the preview and Save): a 2,000-line grid has 8,000
   inputs, and the server reads a row that is not sent as unchanged. A row is touched once typed
   into, when an input differs from the value the page was drawn with, or when the server drew
   it from a refused POST (`data-pending` on its hidden entry input). */
(function () {
  "use strict";
  var review = document.getElementById("review-form");
  if (review) {
    review.addEventListener("keydown", function (event) {
      var input = event.target;
      if (event.key !== "Enter" || !input.matches("input.review-reason")) return;
      event.preventDefault();
      var reasons = Array.prototype.slice.call(review.querySelectorAll("input.review-reason"));
      var next = reasons[reasons.indexOf(input) + (event.shiftKey ? -1 : 1)];
      if (next) next.focus();
    });
    var approveAll = review.querySelector("[data-approve-all]");
    if (approveAll) {
      approveAll.addEventListener("click", function () {
        review.querySelectorAll('input[type="radio"][value="approved"]').forEach(function (radio) {
          radio.checked = true;
        });
      });
    }
  }
  var grid = document.getElementById("g703-form");
  if (!grid) return;
  var dirty = false;
  var submitting = false;
  // The values the preview in flight was computed from: a cell typed into since then is never
  // overwritten by that preview's answer (previews are queued, one at a time).
  var sent = {};

  // Line ids of the rows to send: typed into since the page was drawn, or drawn from a POST.
  var touched = {};
  grid.querySelectorAll("input[data-pending]").forEach(function (input) {
    touched[input.id.split("-")[1]] = true;
  });

  function touchedRows() {
    grid.querySelectorAll("input[data-col]").forEach(function (input) {
      if (input.value !== input.defaultValue) touched[input.dataset.line] = true;
    });
    return touched;
  }

  function lineOf(name) {
    var match = /^line-(\d+)-/.exec(name || "");
    return match ? match[1] : null;
  }

  function column(name) {
    return Array.prototype.slice.call(grid.querySelectorAll('input[data-col="' + name + '"]'));
  }

  grid.addEventListener("keydown", function (event) {
    var input = event.target;
    if (event.key !== "Enter" || !input.matches("input[data-col]")) return;
    event.preventDefault();
    var cells = column(input.dataset.col);
    var next = cells[cells.indexOf(input) + (event.shiftKey ? -1 : 1)];
    if (next) {
      next.focus();
      next.select();
    }
  });
  grid.addEventListener("focusin", function (event) {
    if (event.target.matches("input[data-col]")) event.target.dataset.focusValue = event.target.value;
  });
  grid.addEventListener("input", function (event) {
    var input = event.target;
    dirty = true;
    if (input.dataset.line) touched[input.dataset.line] = true;
    if (input.dataset.entry) {
      var entry = document.getElementById("line-" + input.dataset.line + "-entry");
      if (entry) entry.value = input.dataset.entry;
    }
  });
  grid.addEventListener("submit", function () {
    submitting = true;
    // The entry list is built right after this event: leave the untouched rows out of it by
    // disabling their inputs for this turn of the event loop only.
    var rows = touchedRows();
    var off = [];
    grid.querySelectorAll('input[name^="line-"]').forEach(function (input) {
      var line = lineOf(input.name);
      if (line && !rows[line] && !input.disabled) {
        input.disabled = true;
        off.push(input);
      }
    });
    setTimeout(function () {
      off.forEach(function (input) { input.disabled = false; });
    }, 0);
  });
  grid.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.elt !== grid) return;
    var rows = touchedRows();
    var kept = new FormData();
    event.detail.formData.forEach(function (value, name) {
      var line = lineOf(name);
      if (!line || rows[line]) kept.append(name, value);
    });
    event.detail.parameters = kept;
  });
  grid.addEventListener("htmx:beforeRequest", function () {
    sent = {};
    grid.querySelectorAll("input[data-col]").forEach(function (input) {
      sent[input.id] = input.value;
    });
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty && !submitting) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
  document.body.addEventListener("paygrid:sync", function (event) {
    var lines = (event.detail && event.detail.lines) || {};
    Object.keys(lines).forEach(function (id) {
      var values = lines[id];
      ["work_completed_this_period", "percent_complete"].forEach(function (field) {
        var input = document.getElementById("line-" + id + "-" + field);
        if (!input || input.dataset.entry === values.entry) return;
        if (input.value !== sent[input.id]) return;
        var focused = input === document.activeElement;
        if (focused && input.value !== input.dataset.focusValue) return;
        if (input.value !== values[field]) {
          input.value = values[field];
          if (focused) input.dataset.focusValue = input.value;
        }
      });
    });
  });
  document.body.addEventListener("htmx:afterSettle", function () {
    grid.querySelectorAll("input[data-col]").forEach(function (input) {
      var slot = document.getElementById(input.getAttribute("aria-describedby"));
      if (slot && slot.textContent.trim()) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    });
  });
})();
