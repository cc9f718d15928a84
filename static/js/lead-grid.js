// The lead grid's command bar follows the selection and the view: "N selected", each command
// on when it applies to what is selected and, when it does not, off with the reason (its title
// and its description). The server still decides each lead when a command runs; without
// JavaScript the commands stay on. Also: "All N selected · Clear selection", and the Export
// link kept on the grid's view, sort and quick find as htmx redraws the grid, and the last
// grid request asked for is the one drawn.
(function () {
  "use strict";

  function grid() { return document.getElementById("lead-grid"); }

  function tally(section) {
    var counts = { selected: 0, open: 0, closed: 0, changeOpen: 0, changeClosed: 0, deletable: 0 };
    section.querySelectorAll("input[data-row-select]:checked").forEach(function (box) {
      var open = box.dataset.state === "open";
      var change = box.hasAttribute("data-can-change");
      counts.selected += 1;
      counts[open ? "open" : "closed"] += 1;
      if (change) { counts[open ? "changeOpen" : "changeClosed"] += 1; }
      if (box.hasAttribute("data-can-delete")) { counts.deletable += 1; }
    });
    return counts;
  }

  // Why `verb` does not apply now, or "" when it does.
  function reason(needs, verb, counts, matching, viewStates) {
    var wanted = needs === "deletable" ? "leads" : needs + " leads";
    var nothing = "Select " + wanted + " to " + verb;
    if (matching) {
      if (needs === "deletable" || viewStates === "any" || viewStates === needs) { return ""; }
      return nothing;
    }
    if (needs === "deletable") {
      if (!counts.selected) { return nothing; }
      return counts.deletable ? "" : "You can delete only your own leads";
    }
    if (!counts[needs]) { return nothing; }
    var mayChange = needs === "open" ? counts.changeOpen : counts.changeClosed;
    return mayChange ? "" : "You can " + verb + " only your own leads";
  }

  function setCommand(button, why) {
    var description = document.getElementById("why-" + button.dataset.verb);
    if (description) { description.textContent = why; }
    if (why) {
      button.setAttribute("aria-disabled", "true");
      button.setAttribute("title", why);
      if (description) { button.setAttribute("aria-describedby", description.id); }
    } else {
      button.removeAttribute("aria-disabled");
      button.removeAttribute("title");
      button.removeAttribute("aria-describedby");
    }
  }

  function update() {
    var section = grid();
    if (!section) { return; }
    var counts = tally(section);
    var all = section.querySelector("input[data-select-all-matching]");
    var matching = Boolean(all && all.checked);
    var total = parseInt(section.dataset.count, 10) || 0;
    var selected = matching ? total : counts.selected;
    var label = document.querySelector("[data-selection-count]");
    if (label) { label.textContent = selected ? selected + " selected" : ""; }
    var page = section.querySelector("[data-select-page]");
    var everything = section.querySelector("[data-select-matching]");
    if (page && everything) { page.hidden = matching; everything.hidden = !matching; }
    document.querySelectorAll(".commandbar [data-needs]").forEach(function (button) {
      setCommand(button, reason(button.dataset.needs, button.dataset.verb, counts, matching, section.dataset.viewStates));
    });
    var exportLink = document.querySelector("[data-export-link]");
    if (exportLink && section.dataset.exportUrl) { exportLink.setAttribute("href", section.dataset.exportUrl); }
  }

  // A command that does not apply is not run (capture: before htmx sees the click).
  document.addEventListener("click", function (event) {
    var off = event.target.closest(".commandbar [data-needs][aria-disabled='true']");
    if (off) { event.preventDefault(); event.stopPropagation(); }
  }, true);

  document.addEventListener("click", function (event) {
    var clear = event.target.closest("#lead-grid [data-clear-selection]");
    if (!clear) { return; }
    var section = grid();
    var pageBox = section.querySelector("input[data-select-all]");
    pageBox.checked = false;
    // app.js unticks the rows and folds the banner away on this change.
    pageBox.dispatchEvent(new Event("change", { bubbles: true }));
    pageBox.focus();
  });

  document.addEventListener("change", function (event) {
    if (!event.target.closest("#lead-grid")) { return; }
    // Unticking one row ends "all in this view" (and "all on this page").
    if (event.target.matches("input[data-row-select]") && !event.target.checked) {
      var section = grid();
      var all = section.querySelector("input[data-select-all-matching]");
      var pageBox = section.querySelector("input[data-select-all]");
      var banner = section.querySelector("[data-select-all-banner]");
      if (all) { all.checked = false; }
      if (pageBox) { pageBox.checked = false; }
      if (banner) { banner.hidden = true; }
    }
    update();
    if (event.target.matches("input[data-select-all-matching]") && event.target.checked) {
      var clear = grid().querySelector("[data-clear-selection]");
      if (clear) { clear.focus(); }
    }
  });

  // The Export link takes the grid's view, sort and quick find as it is clicked too (the grid may
  // have been redrawn a moment ago).
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-export-link]");
    var section = grid();
    if (link && section && section.dataset.exportUrl) { link.setAttribute("href", section.dataset.exportUrl); }
  });

  // The last grid request asked for wins: an answer to an older one (a first sort click still
  // on its way when the second came) is not drawn, so the grid and the URL show the second.
  // hx-sync cannot do this for links in the grid: "replace" aborts the older request and htmx
  // logs every abort as a console error, and "queue" drops a queued request whose link the
  // first answer removed.
  var latest = null;
  function forGrid(detail) { return Boolean(detail.target && detail.target.id === "lead-grid"); }
  // The check listens on the grid element the request targets, not on the document: once a
  // newer answer has replaced that element, its events no longer bubble up to the document, and
  // an older answer would be swapped into the detached element and still push its URL.
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (!forGrid(event.detail)) { return; }
    var xhr = event.detail.xhr;
    latest = xhr;
    event.detail.target.addEventListener("htmx:beforeSwap", function (swap) {
      if (swap.detail.xhr === xhr && xhr !== latest) { swap.detail.shouldSwap = false; }
    });
  });

  document.addEventListener("htmx:load", update);
  document.addEventListener("htmx:afterSwap", update);
  document.addEventListener("DOMContentLoaded", update);
})();
