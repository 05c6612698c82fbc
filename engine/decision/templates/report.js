/* The report's script: open the steps a link points into, open or close them all, print them all open. */
(function () {
  "use strict";
  var steps = function () { return document.querySelectorAll("details"); };

  function reveal(id) {
    var target = document.getElementById(id);
    for (var node = target; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") { node.open = true; }
    }
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    if (link) { reveal(decodeURIComponent(link.getAttribute("href").slice(1))); }
    var button = event.target.closest("button[data-steps]");
    if (button) {
      var open = button.getAttribute("data-steps") === "open";
      document.querySelectorAll("#trail details").forEach(function (d) { d.open = open; });
    }
  });
  window.addEventListener("hashchange", function () { reveal(decodeURIComponent(location.hash.slice(1))); });
  if (location.hash) { reveal(decodeURIComponent(location.hash.slice(1))); }

  var closed = [];  // printed open, closed again after
  window.addEventListener("beforeprint", function () {
    closed = [];
    steps().forEach(function (d) { if (!d.open) { d.open = true; closed.push(d); } });
  });
  window.addEventListener("afterprint", function () {
    closed.forEach(function (d) { d.open = false; });
    closed = [];
  });
})();
