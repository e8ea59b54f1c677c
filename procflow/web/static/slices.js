/* procflow filter panel: show a slider's value beside it. Without it the form still works. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("input[type=range][data-output]"),
      function (input) {
        var out = document.getElementById(input.getAttribute("data-output"));
        if (!out) return;
        input.addEventListener("input", function () { out.value = input.value; });
      });
  });
})();
