// tracker: small improvements only; every page works without this file.
(function () {
  "use strict";

  // Quick exit: leave without a history entry to come back to. Esc twice does the same.
  function quickExit(event) {
    var link = document.getElementById("quick-exit");
    if (!link) { return; }
    if (event) { event.preventDefault(); }
    document.body.style.display = "none";
    window.location.replace(link.href);
  }

  var lastEscape = 0;
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var now = Date.now();
    if (now - lastEscape < 800) { quickExit(event); }
    lastEscape = now;
  });

  document.addEventListener("DOMContentLoaded", function () {
    var link = document.getElementById("quick-exit");
    if (link) { link.addEventListener("click", quickExit); }
  });
})();
