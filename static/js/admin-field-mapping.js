// A field mapping in Django admin: the Target field lists only the fields of the chosen Record
// type. The page lists every record type's fields, grouped under its name; this keeps the
// group of the chosen type (and an empty choice) and puts the others back when it changes.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var recordType = document.getElementById("id_target");
    var targetField = document.getElementById("id_target_field");
    if (!recordType || !targetField) { return; }
    var groups = Array.prototype.slice.call(targetField.querySelectorAll("optgroup"));
    if (!groups.length) { return; }  // the server already listed one record type's fields

    function filter() {
      var chosen = recordType.options[recordType.selectedIndex];
      var label = chosen && chosen.value ? chosen.textContent.trim() : "";
      var value = targetField.value;
      groups.forEach(function (group) { group.remove(); });
      groups.forEach(function (group) {
        if (!label || group.label === label) { targetField.appendChild(group); }
      });
      targetField.value = value;
      if (targetField.value !== value) { targetField.value = ""; }
    }

    recordType.addEventListener("change", filter);
    filter();
  });
})();
