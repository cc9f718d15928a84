// The qualification settings page in Django admin: fold away the parts that do not apply to
// the chosen Experience (and Opportunity mode) as they change, and order the quick-create
// fields with Move up / Move down. The server folds the page the same way (no JavaScript needed
// to read it); each folding fieldset says when it applies in its classes: when-<field>-<value>.
(function () {
  "use strict";

  function applies(fieldset, form) {
    return Array.prototype.every.call(fieldset.classList, function (name) {
      if (name.indexOf("when-") !== 0) { return true; }
      var rule = name.slice(5);
      var cut = rule.lastIndexOf("-");
      var field = form.elements[rule.slice(0, cut)];
      return !field || field.value === rule.slice(cut + 1);
    });
  }

  function fold(form) {
    form.querySelectorAll("fieldset.fold").forEach(function (fieldset) {
      var details = fieldset.querySelector("details");
      if (details) { details.open = applies(fieldset, form); }
    });
  }

  function announce(list, item) {
    var status = list.closest("[data-ordered-choices]").querySelector("[data-ordered-status]");
    var position = Array.prototype.indexOf.call(list.children, item) + 2;  // Topic is first
    status.textContent = item.querySelector("label").textContent.trim() + ": field " + position;
  }

  function move(button) {
    var item = button.closest("li");
    var list = item.parentElement;
    if (button.dataset.move === "up" && item.previousElementSibling) {
      list.insertBefore(item, item.previousElementSibling);
    } else if (button.dataset.move === "down" && item.nextElementSibling) {
      list.insertBefore(item.nextElementSibling, item);
    }
    button.focus();
    announce(list, item);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-ordered-choices] .ordered-move").forEach(function (buttons) {
      buttons.hidden = false;
    });
    var form = document.querySelector("fieldset.fold") && document.querySelector("fieldset.fold").closest("form");
    if (!form) { return; }
    form.addEventListener("change", function (event) {
      if (event.target.tagName === "SELECT") { fold(form); }
    });
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-ordered-choices] [data-move]");
    if (button) {
      event.preventDefault();
      move(button);
    }
  });
})();
