/* The organizers' operations pages: selecting rows for a bulk action. Rows are checkboxes
   tied to their bulk form by its id (`form="..."`, since each row has forms of its own);
   the form says how many are selected and is disabled while none is. Polled rows keep
   their checkbox (hx-preserve). No inline script: the Content-Security-Policy forbids it. */
(function () {
  "use strict";

  function boxes(form) {
    return Array.prototype.slice.call(
      document.querySelectorAll('input[type="checkbox"][form="' + form.id + '"]')
    );
  }

  function refresh(form) {
    var all = boxes(form);
    var chosen = all.filter(function (box) { return box.checked; }).length;
    var count = form.querySelector("[data-bulk-count]");
    if (count) {
      count.textContent = chosen ? chosen + " selected" : "Select rows to act on them together";
    }
    var submit = form.querySelector("[data-bulk-submit]");
    if (submit) { submit.disabled = chosen === 0; }
    var toggle = document.querySelector('[data-select-all="' + form.id + '"]');
    if (toggle) {
      toggle.checked = all.length > 0 && chosen === all.length;
      toggle.indeterminate = chosen > 0 && chosen < all.length;
      toggle.disabled = all.length === 0;
    }
  }

  function refreshAll() {
    document.querySelectorAll("form[data-bulk]").forEach(refresh);
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLInputElement)) { return; }
    var name = target.getAttribute("data-select-all");
    if (name) {
      var form = document.getElementById(name);
      if (!form) { return; }
      boxes(form).forEach(function (box) { box.checked = target.checked; });
      refresh(form);
    } else if (target.form && target.form.hasAttribute("data-bulk")) {
      refresh(target.form);
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    refreshAll();
    document.body.addEventListener("htmx:afterSwap", refreshAll);
  });
}());
