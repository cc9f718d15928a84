// Lead form: Enter in a lookup search box (Existing Account / Existing Contact) searches,
// it does not submit the Qualify stage form around it. No inline script (the CSP forbids it).
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.matches && event.target.matches("input[data-lookup]")) {
      event.preventDefault();
    }
  });
})();
