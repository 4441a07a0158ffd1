// Incident forms: show how a typed date is understood while it is typed.
// Without this file the "Check" button shows the same text after a round trip.
(function () {
  "use strict";

  var DELAY_MS = 300;

  function attach(input) {
    var url = input.getAttribute("data-date-preview");
    var output = document.getElementById(input.id + "-preview");
    if (!url || !output) { return; }
    var timer = null;
    var asked = 0;

    function show(answer, number) {
      if (number !== asked) { return; } // an older answer arrived after a newer question
      output.textContent = answer.text ? (answer.ok ? "✓ " : "✗ ") + answer.text : "";
      output.classList.toggle("date-preview-bad", !answer.ok);
    }

    function ask() {
      asked += 1;
      var number = asked;
      var query = url + "?text=" + encodeURIComponent(input.value);
      fetch(query, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (answer) { if (answer) { show(answer, number); } })
        .catch(function () { /* offline: the Check button still works */ });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, DELAY_MS);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var inputs = document.querySelectorAll("input[data-date-preview]");
    for (var i = 0; i < inputs.length; i += 1) { attach(inputs[i]); }
  });
})();
