// Lookups (crm/lookup.py): switch each plain <select> for its type-to-search combobox. The
// <auto-complete> element fetches and navigates the matches; this file keeps the record id
// (a hidden input) in step with the name shown, so what the field shows is what is saved.
(function () {
  "use strict";

  function upgrade(lookup) {
    var select = lookup.querySelector("select");
    var combobox = lookup.querySelector("[data-lookup-combobox]");
    if (!select || !combobox || lookup.dataset.upgraded || !window.customElements.get("auto-complete")) { return; }
    lookup.dataset.upgraded = "true";
    var search = combobox.querySelector("input[type=text]");
    var label = document.querySelector('label[for="' + select.id + '"]');
    if (label) {
      label.htmlFor = search.id;
      combobox.querySelector(".lookup-clear").setAttribute("aria-label", "Clear " + label.textContent.trim());
    }
    if (select.getAttribute("aria-describedby")) {
      search.setAttribute("aria-describedby", select.getAttribute("aria-describedby") + " " + search.getAttribute("aria-describedby"));
    }
    select.disabled = true;
    select.hidden = true;
    combobox.querySelector("[data-lookup-value]").disabled = false;
    combobox.hidden = false;
  }

  function upgradeAll(root) {
    if (root.matches && root.matches("[data-lookup]")) { upgrade(root); }
    root.querySelectorAll("[data-lookup]").forEach(upgrade);
  }

  function parts(element) {
    var combobox = element.closest("[data-lookup-combobox]");
    if (!combobox) { return null; }
    return {
      search: combobox.querySelector("input[type=text]"),
      value: combobox.querySelector("[data-lookup-value]")
    };
  }

  function choose(field, id, name) {
    field.value.value = id;
    field.search.value = name;
    field.search.dataset.label = name;
    field.value.dispatchEvent(new Event("change", { bubbles: true }));
  }

  // A match picked with Enter, Tab or a click.
  document.addEventListener("combobox-commit", function (event) {
    var field = parts(event.target);
    if (field) {
      choose(field, event.target.getAttribute("data-value"), event.target.getAttribute("data-autocomplete-value"));
    }
  });

  // The clear button empties the field.
  document.addEventListener("auto-complete-change", function (event) {
    var field = parts(event.target);
    if (field && !event.target.value) { choose(field, "", ""); }
  });

  // Leaving the field: an emptied name clears the choice, text that was typed but not picked
  // gives way to the current choice again.
  document.addEventListener("focusout", function (event) {
    var field = event.target.matches && event.target.matches("[data-lookup-combobox] input[type=text]") && parts(event.target);
    if (!field) { return; }
    window.setTimeout(function () {
      if (field.search === document.activeElement) { return; }
      if (!field.search.value.trim()) {
        if (field.value.value) { choose(field, "", ""); }
      } else if (field.search.value !== field.search.dataset.label) {
        field.search.value = field.search.dataset.label || "";
      }
    }, 200);
  });

  // On afterSwap, not load: htmx fires load only once the swap has settled, and until then the
  // plain select would show (and take the label).
  document.addEventListener("htmx:afterSwap", function (event) { upgradeAll(event.target); });
  document.addEventListener("htmx:load", function (event) { upgradeAll(event.target); });
  document.addEventListener("DOMContentLoaded", function () { upgradeAll(document); });
})();
