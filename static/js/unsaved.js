// Warn before leaving a page with unsaved edits: any form marked data-warn-unsaved whose values
// differ from what the page was drawn with, or that came back with errors (data-unsaved).
// Submitting the form, or a page the server sends the browser to after a command, does not warn.
(function () {
  "use strict";

  var drawn = new WeakMap();
  var leaving = false;

  function values(form) {
    return new URLSearchParams(new FormData(form)).toString();
  }

  function remember(root) {
    var forms = Array.prototype.slice.call(root.querySelectorAll("form[data-warn-unsaved]"));
    if (root.matches && root.matches("form[data-warn-unsaved]")) { forms.push(root); }
    forms.forEach(function (form) { drawn.set(form, values(form)); });
  }

  function isDirty(form) {
    if (form.hasAttribute("data-unsaved")) { return true; }
    return drawn.has(form) && drawn.get(form) !== values(form);
  }

  window.unsavedEdits = { isDirty: isDirty };

  // After the lookups have switched to their comboboxes (lookup.js listens first).
  document.addEventListener("DOMContentLoaded", function () { remember(document); });
  document.addEventListener("htmx:load", function (event) { remember(event.target); });

  document.addEventListener("submit", function (event) {
    // A plain submit leaves the page; an htmx one redraws the form (and remembers it anew).
    if (!event.target.hasAttribute("hx-post")) { leaving = true; }
  });

  document.addEventListener("htmx:beforeOnLoad", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && (xhr.getResponseHeader("HX-Redirect") || xhr.getResponseHeader("HX-Location"))) {
      leaving = true;
    }
  });

  window.addEventListener("beforeunload", function (event) {
    if (leaving) { leaving = false; return; }
    var dirty = Array.prototype.some.call(document.querySelectorAll("form[data-warn-unsaved]"), isDirty);
    if (dirty) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
