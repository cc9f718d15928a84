// The few lines htmx does not cover: open dialogs that htmx swaps in, close them, let messages
// be dismissed (and fade), keep the grid's select-all checkbox in step with the rows. No inline script anywhere (the CSP forbids it).
(function () {
  "use strict";

  function openDialogs(root) {
    var selector = "dialog[data-modal]:not([open])";
    var dialogs = Array.prototype.slice.call(root.querySelectorAll(selector));
    // htmx:load fires on the swapped-in element itself, which may be the dialog.
    if (root.matches && root.matches(selector)) { dialogs.unshift(root); }
    dialogs.forEach(function (dialog) {
      dialog.showModal();
      var focus = dialog.querySelector("[autofocus]");
      if (focus) { focus.focus(); }
    });
  }

  function closeDialog(dialog) {
    dialog.close();
    dialog.remove();
  }

  document.addEventListener("htmx:load", function (event) { openDialogs(event.target); });
  document.addEventListener("DOMContentLoaded", function () { openDialogs(document); });

  document.addEventListener("click", function (event) {
    var closer = event.target.closest("[data-close-dialog]");
    if (closer) {
      var dialog = closer.closest("dialog");
      if (dialog) { event.preventDefault(); closeDialog(dialog); }
    }
    var toggle = event.target.closest("[data-toggle]");
    if (toggle) {
      var target = document.getElementById(toggle.getAttribute("data-toggle"));
      if (target) {
        event.preventDefault();
        target.hidden = !target.hidden;
        toggle.setAttribute("aria-expanded", String(!target.hidden));
      }
    }
  });

  // A dialog closed with Escape is removed too, so nothing stale is left behind.
  document.addEventListener("close", function (event) {
    if (event.target.matches && event.target.matches("dialog[data-modal]")) {
      event.target.remove();
    }
  }, true);

  // Close the open dialog when the server says the work is done.
  document.addEventListener("DOMContentLoaded", function () {
    document.body.addEventListener("dialogClosed", function () {
      document.querySelectorAll("dialog[open]").forEach(closeDialog);
    });
  });

  // Messages: every one can be dismissed; success messages fade after a while (not while the
  // pointer or the keyboard is on them); errors and warnings stay until dismissed.
  var MESSAGE_FADE_MS = 6000;

  function dismissMessage(message) {
    var hadFocus = message.contains(document.activeElement);
    message.remove();
    if (hadFocus) { document.getElementById("main").focus(); }
  }

  function scheduleFade(message) {
    if (message.dataset.fadeScheduled) { return; }
    message.dataset.fadeScheduled = "true";
    var timer = null;
    function start() {
      timer = window.setTimeout(function () {
        message.classList.add("message-fading");
        window.setTimeout(function () { message.remove(); }, 400);
      }, MESSAGE_FADE_MS);
    }
    function hold() { window.clearTimeout(timer); message.classList.remove("message-fading"); }
    message.addEventListener("mouseenter", hold);
    message.addEventListener("focusin", hold);
    message.addEventListener("mouseleave", start);
    message.addEventListener("focusout", start);
    start();
  }

  function fadeMessages(root) {
    if (root.matches && root.matches("[data-autohide]")) { scheduleFade(root); }
    root.querySelectorAll("[data-autohide]").forEach(scheduleFade);
  }

  document.addEventListener("htmx:load", function (event) { fadeMessages(event.target); });
  document.addEventListener("DOMContentLoaded", function () { fadeMessages(document); });
  document.addEventListener("click", function (event) {
    var dismiss = event.target.closest("[data-dismiss-message]");
    if (dismiss) { dismissMessage(dismiss.closest(".message")); }
  });

  // Grid row selection: select-all on the page, and the row highlight.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box.matches("input[data-select-all]")) {
      var grid = box.closest("form") || document;
      grid.querySelectorAll("input[data-row-select]").forEach(function (row) {
        row.checked = box.checked;
        row.closest("tr").classList.toggle("selected", box.checked);
      });
      var banner = grid.querySelector("[data-select-all-banner]");
      if (banner) { banner.hidden = !box.checked; }
      if (!box.checked) {
        var all = grid.querySelector("input[data-select-all-matching]");
        if (all) { all.checked = false; }
      }
    } else if (box.matches("input[data-row-select]")) {
      box.closest("tr").classList.toggle("selected", box.checked);
    }
  });
})();

// Record forms: Enter in a lookup search box (the contact form's Account Name) searches, it
// does not submit the form around it.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.matches && event.target.matches("input[data-lookup]")) {
      event.preventDefault();
    }
  });
})();
