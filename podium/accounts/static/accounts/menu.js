/* The header's account menu opens and closes without script (a <details>; a click outside
   closes it, through Pico's overlay). This adds what keyboards expect: Escape closes it and
   puts the focus back on its summary. */
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    document.querySelectorAll("details.account-menu[open]").forEach(function (menu) {
      menu.removeAttribute("open");
      var summary = menu.querySelector("summary");
      if (summary) { summary.focus(); }
    });
  });
}());
