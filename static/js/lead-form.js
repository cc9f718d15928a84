// The lead form: the Qualify stage flyout (takes focus, closes on Esc or its X, gives focus back
// to the stage that opened it), commands that save first, and the dialog a saved command opens.
(function () {
  "use strict";

  function opener() { return document.querySelector("[data-flyout-opener]"); }
  function flyout() { return document.querySelector("[data-flyout]"); }

  function closeFlyout() {
    var panel = flyout();
    if (panel) { panel.remove(); }
    var stage = opener();
    if (stage) {
      stage.setAttribute("aria-expanded", "false");
      stage.focus();
    }
  }

  function stageFormDirty() {
    var form = document.querySelector("[data-flyout] form[data-warn-unsaved]");
    return Boolean(form && window.unsavedEdits && window.unsavedEdits.isDirty(form));
  }

  document.addEventListener("htmx:confirm", function (event) {
    var source = event.detail.elt;
    // The stage button toggles: a second click closes the open flyout.
    if (source.matches("[data-flyout-opener]") && flyout()) {
      event.preventDefault();
      closeFlyout();
      return;
    }
    // Qualify / Disqualify with unsaved Qualify steps: save the steps first, then go on (the
    // command itself saves the lead form). Steps with errors stay open and nothing runs.
    if (source.matches("[data-save-first]") && stageFormDirty()) {
      event.preventDefault();
      pending = source;
      document.querySelector("[data-flyout] form[data-warn-unsaved]").requestSubmit();
    }
  });

  var pending = null;
  var resume = null;
  document.addEventListener("leadStageSaved", function () {
    resume = pending;
    pending = null;
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-flyout-close]")) {
      event.preventDefault();
      closeFlyout();
    }
  });

  document.addEventListener("keydown", function (event) {
    // A lookup's open list takes Esc first (it closes the list and stops the event).
    if (event.key === "Escape" && event.target.closest && event.target.closest("[data-flyout]")) {
      event.preventDefault();
      closeFlyout();
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (!target || !target.id) { return; }
    if (target.id === "process-bar") {
      pending = null;
      if (resume) {
        var command = resume;
        resume = null;
        command.click();
        return;
      }
    }
    if (target.id === "stage-flyout" || target.id === "process-bar") {
      var panel = flyout();
      var stage = opener();
      if (stage) { stage.setAttribute("aria-expanded", String(Boolean(panel))); }
      var error = panel && panel.querySelector(".has-error input, .has-error select, .has-error textarea");
      // Someone quick may already be typing in the flyout (settling ends a moment after the
      // swap): moving focus then would close an open lookup and throw away what they typed.
      if (!error && panel && panel.contains(document.activeElement)) { return; }
      if (error) { error.focus(); } else if (panel) { panel.focus(); } else if (stage) { stage.focus(); }
    }
    if (target.id === "lead-main") {
      // An outerHTML swap: the event's target is the element that was replaced.
      var main = document.getElementById("lead-main");
      var first = main && main.querySelector(".has-error input, .has-error select, .has-error textarea");
      if (first) { first.focus(); }
    }
  });

  // After a save that a command asked for, the page opens the command's dialog by itself
  // (data-then-command); the address goes back to the plain lead, so a reload does not repeat it.
  document.addEventListener("DOMContentLoaded", function () {
    if (document.querySelector("[data-then-command]") && window.history.replaceState) {
      window.history.replaceState(null, "", window.location.pathname);
    }
  });
})();
