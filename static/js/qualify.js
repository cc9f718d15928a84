// The Qualify side pane: focus goes where the salesperson works next, and the opportunity
// forms keep their numbers in step after one is removed. Event delegation only: the pane is
// swapped in and out by htmx, and the CSP allows no inline script.
(function () {
  "use strict";

  var pendingFocus = null;

  function renumber(container) {
    container.querySelectorAll(".opportunity-form").forEach(function (form, index) {
      var number = index + 1;
      var legend = form.querySelector("legend");
      if (legend) { legend.textContent = "Opportunity " + number; }
      var remove = form.querySelector("button[name='remove_opportunity']");
      if (remove) { remove.setAttribute("aria-label", "Remove opportunity " + number); }
    });
  }

  function firstControl(root) {
    return root && root.querySelector("input:not([type=hidden]):not([disabled]), select, textarea, button:not([disabled])");
  }

  // Remove: the next form (else the previous one, else "+ New Opportunity") gets the focus.
  document.addEventListener("click", function (event) {
    var remove = event.target.closest("button[name='remove_opportunity']");
    if (!remove) { return; }
    var form = remove.closest(".opportunity-form");
    var next = form && (form.nextElementSibling || form.previousElementSibling);
    pendingFocus = next ? next.id : "opportunity-add";
  });

  document.addEventListener("htmx:afterSettle", function () {
    var forms = document.getElementById("opportunity-forms");
    if (forms) { renumber(forms); }
    if (pendingFocus) {
      var target = document.getElementById(pendingFocus);
      pendingFocus = null;
      var control = target && (target.matches("button, input") ? target : firstControl(target));
      if (control) { control.focus(); }
    }
    // After the dialog has opened (and taken the focus for itself).
    window.setTimeout(focusFirstError, 0);
  });

  // A pane that came back with errors: the first field in error, in view and focused.
  function focusFirstError() {
    var pane = document.querySelector("dialog.qualify-pane[open]");
    var wrong = pane && pane.querySelector(".has-error");
    if (!wrong || wrong.contains(document.activeElement) || pane.dataset.errorsShown) { return; }
    pane.dataset.errorsShown = "1";
    var details = wrong.closest("details");
    if (details) { details.open = true; }
    var field = firstControl(wrong);
    if (field) {
      field.scrollIntoView({ block: "center" });
      field.focus();
    }
  }
})();
