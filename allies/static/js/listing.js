// Product listings: on a narrow screen the filters start folded, so the products come first.
// Loaded right after the <details id="filtres"> element, before the page is first painted.
(function () {
  var filters = document.getElementById("filtres");
  if (filters && window.matchMedia("(max-width: 820px)").matches) {
    filters.removeAttribute("open");
  }
})();
