/* The account pages' behaviour: a copy button for a new API token's key, and a check of an
   avatar's size before it is sent. Both are conveniences: the pages work without them
   (the key can be selected by hand; the server checks every avatar). The pages'
   Content-Security-Policy forbids inline scripts: everything is here. */
(function () {
  "use strict";

  function copyButtons() {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      var source = document.getElementById(button.dataset.copy);
      var status = document.querySelector("[data-copy-status]");
      if (!source) { return; }
      button.hidden = false;
      button.addEventListener("click", function () {
        function said(text) { if (status) { status.textContent = text; } }
        source.select();
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(source.value).then(
            function () { said("Copied to the clipboard."); },
            function () { said("Copying failed: select the key and copy it yourself."); }
          );
        } else {
          said("Select the key and copy it yourself.");
        }
      });
    });
  }

  function avatarSize() {
    document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
      var limit = Number(input.dataset.maxBytes);
      input.addEventListener("change", function () {
        var file = input.files && input.files[0];
        if (file && file.size > limit) {
          input.setCustomValidity("This picture has " + file.size + " bytes; the limit is " + limit + ".");
          input.reportValidity();
        } else {
          input.setCustomValidity("");
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    copyButtons();
    avatarSize();
  });
}());
