/* "Assistance en ligne" on an order: the motif list shows only the motifs of the kind of
   question chosen (order or pre-order). Without this script every motif is listed and the
   server refuses one that does not fit, with a message. */
(function () {
  "use strict";
  function setUp(form) {
    var select = form.querySelector("select[name=motif]");
    var radios = form.querySelectorAll("input[name=about]");
    if (!select || !radios.length) { return; }
    function kind() {
      for (var i = 0; i < radios.length; i++) {
        if (radios[i].checked) { return radios[i].value === "precommande" ? "question" : "order"; }
      }
      return "order";
    }
    function filter() {
      var wanted = kind();
      for (var i = 0; i < select.options.length; i++) {
        var option = select.options[i];
        var kinds = (option.getAttribute("data-kinds") || "").split(" ");
        var fits = !option.value || kinds.indexOf(wanted) !== -1;
        option.hidden = !fits;
        option.disabled = !fits;
        if (!fits && option.selected) { select.value = ""; }
      }
    }
    for (var i = 0; i < radios.length; i++) { radios[i].addEventListener("change", filter); }
    filter();
  }
  document.addEventListener("DOMContentLoaded", function () {
    var forms = document.querySelectorAll("form[data-motif-form]");
    for (var i = 0; i < forms.length; i++) { setUp(forms[i]); }
  });
})();
