/* The organizers' competition pages: a bundle sent with a progress bar, and rows added to
   the forms that hold several (pages, columns, questions). The pages' Content-Security-Policy
   forbids inline scripts and handlers: everything is here. Without this script the forms
   still work: the bundle form posts as usual, and each formset has a blank row. The bundle's
   page loads podium/upload.js first (window.podiumUpload: the form's parts, the request
   with its progress). */
(function () {
  "use strict";

  /* A button[data-add-row=PREFIX] adds a row made from <template id="PREFIX-template">,
     numbered after the rows there are (Django's formset management form counts them). */
  function addRow(button) {
    var prefix = button.getAttribute("data-add-row");
    var template = document.getElementById(prefix + "-template");
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var rows = document.getElementById(prefix + "-rows");
    if (!template || !total || !rows) { return; }
    var index = parseInt(total.value, 10) || 0;
    var holder = document.createElement("div");
    /* The template is the server's own rendering of an empty row: escaped, no script. */
    holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
    var row = holder.firstElementChild;
    if (!row) { return; }
    rows.appendChild(row);
    total.value = String(index + 1);
    var first = row.querySelector("input:not([type=hidden]), select, textarea");
    if (first) { first.focus(); }
  }

  function listInto(container, items) {
    var list = container.querySelector("ul");
    list.textContent = "";
    items.forEach(function (item) {
      var entry = document.createElement("li");
      entry.textContent = item;
      list.appendChild(entry);
    });
    container.hidden = items.length === 0;
  }

  function percent(loaded, total) {
    return total ? Math.round((100 * loaded) / total) : 0;
  }

  function megabytes(bytes) {
    return (bytes / (1024 * 1024)).toFixed(1) + " MiB";
  }

  /* form[data-bundle-upload]: sends the bundle (podiumUpload.send), whose upload events
     drive the progress bar, and asks for JSON: the new competition's address, or every
     problem with its key path. */
  function bundleUpload(form) {
    var parts = window.podiumUpload.parts(form);
    var text = parts.box.querySelector("[aria-live]");
    var outcome = document.getElementById("bundle-outcome");
    var errors = document.getElementById("bundle-errors");
    var warnings = document.getElementById("bundle-warnings");

    function finished(body, failed) {
      parts.button.disabled = false;
      parts.box.hidden = true;
      listInto(errors, body.errors && body.errors.length ? body.errors : (failed ? [failed] : []));
      listInto(warnings, body.warnings || []);
      outcome.hidden = false;
      var heading = errors.hidden ? warnings.querySelector("h2") : errors.querySelector("h2");
      if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
    }

    form.addEventListener("submit", function (event) {
      if (!parts.input.files || !parts.input.files.length) { return; } /* the server says a file is needed */
      event.preventDefault();
      parts.button.disabled = true;
      parts.box.hidden = false;
      outcome.hidden = true;
      parts.bar.value = 0;
      text.textContent = "Starting...";
      window.podiumUpload.send("POST", form.action, new FormData(form), {
        headers: { "Accept": "application/json", "X-CSRFToken": parts.token },
        progressed: function (loaded, total) {
          parts.bar.value = percent(loaded, total);
          text.textContent = percent(loaded, total) + "% of " + megabytes(total) + " sent";
        },
        sent: function () {
          parts.bar.value = 100;
          text.textContent = "Sent. Checking and importing the bundle...";
        }
      }).then(function (request) {
        var body = {};
        try { body = JSON.parse(request.responseText); } catch (ignored) { body = {}; }
        if (request.status === 200 && body.redirect) {
          text.textContent = "Imported. Opening the new competition...";
          window.location.assign(body.redirect);
          return;
        }
        finished(body, "The server answered " + request.status + ": the bundle was not imported.");
      }, function () {
        finished({}, "The upload failed: check your connection and try again.");
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-add-row]").forEach(function (button) {
      button.addEventListener("click", function () { addRow(button); });
    });
    if (window.podiumUpload) { document.querySelectorAll("form[data-bundle-upload]").forEach(bundleUpload); }
  });
}());
