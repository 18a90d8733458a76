/* The Print button of packing slips and invoices: shown only when JavaScript can print (the browser's
   own print command works regardless); print.css keeps the button itself off the paper. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
