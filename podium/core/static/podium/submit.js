/* The upload form of My submissions (#submit-form), sent through the API with a progress
   bar, as podium_client's `upload()` does:

     POST /api/uploads/ {name, size}
     -> PUT the bytes to `url` (local storage), or each part to its signed URL (S3 `parts`)
     -> POST /api/uploads/{id}/complete/ ({parts: [{number, etag}]} on S3)
     -> POST /api/submissions/ {phase, upload, organization, fact_sheet_answers}

   then the list below is read again, with the new row in it. Session authentication, with
   the form's CSRF token in the X-CSRFToken header (never sent to another host). An upload
   that no submission took is aborted. Without this script the form posts itself to the
   server, which makes the same checks. The page loads upload.js first (window.podiumUpload:
   the form's parts, the PUTs with their progress). */
(function () {
  "use strict";

  var LABELS = {
    detail: "", non_field_errors: "", phase: "Phase", upload: "File", file: "File",
    organization: "Submit as", fact_sheet_answers: "Fact sheet", name: "File name",
    size: "File size", parts: "Upload"
  };

  function Refusal(messages) {
    this.messages = messages;
  }

  function parse(text) {
    try { return text ? JSON.parse(text) : null; } catch (error) { return null; }
  }

  /* DRF's error bodies ({"detail": ...}, {"field": [...]}, {"field": {"key": ...}}) as
     sentences. */
  function messagesOf(body, status) {
    var found = [];
    function walk(value, label) {
      if (value === null || value === undefined) { return; }
      if (Array.isArray(value)) { value.forEach(function (item) { walk(item, label); }); return; }
      if (typeof value === "object") {
        Object.keys(value).forEach(function (key) {
          var name = Object.prototype.hasOwnProperty.call(LABELS, key) ? LABELS[key] : key;
          walk(value[key], label && name ? label + ", " + name : (label || name));
        });
        return;
      }
      found.push(label ? label + ": " + value : String(value));
    }
    walk(body, "");
    if (!found.length) { found.push("The server refused this (HTTP " + status + ")."); }
    return found;
  }

  function call(method, url, body, token) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": token },
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (response) {
      return response.text().then(function (text) {
        var data = parse(text);
        if (!response.ok) { throw new Refusal(messagesOf(data, response.status)); }
        return data;
      });
    }, function () {
      throw new Refusal(["The server could not be reached: check your connection and try again."]);
    });
  }

  /* One PUT, whose upload reports its progress. */
  function put(url, body, headers, progressed) {
    var sent = window.podiumUpload.send("PUT", url, body, { headers: headers, progressed: progressed });
    return sent.then(function (request) {
      if (request.status >= 200 && request.status < 300) {
        progressed(body.size);
        return request;
      }
      throw new Refusal(messagesOf(parse(request.responseText), request.status));
    }, function () {
      throw new Refusal(["The upload was interrupted: check your connection and try again."]);
    });
  }

  function sendWhole(upload, file, token, progressed) {
    return put(upload.url, file, { "Content-Type": "application/octet-stream", "X-CSRFToken": token }, progressed)
      .then(function () { return {}; });
  }

  /* S3: each part to its signed URL in turn, keeping the ETag the store answers (its CORS
     rules must expose the ETag header to this site). */
  function sendParts(upload, file, progressed) {
    var size = Number(upload.part_size);
    var sent = [];
    return upload.parts.reduce(function (previous, part) {
      return previous.then(function () {
        var start = (part.number - 1) * size;
        return put(part.url, file.slice(start, start + size), {}, function (loaded) {
          progressed(start + loaded);
        }).then(function (request) {
          var etag = request.getResponseHeader("ETag");
          if (!etag) {
            throw new Refusal(["The storage did not say which part it received (its CORS rules must expose the ETag header)."]);
          }
          sent.push({ number: part.number, etag: etag });
        });
      });
    }, Promise.resolve()).then(function () { return { parts: sent }; });
  }

  function factSheet(form) {
    var answers = {};
    form.querySelectorAll("[data-fact-key]").forEach(function (field) {
      var key = field.getAttribute("data-fact-key");
      if (field.type === "checkbox") {
        answers[key] = field.checked;
      } else if (field.value.trim() !== "") {
        answers[key] = field.value.trim();
      }
    });
    return answers;
  }

  function setUp(form) {
    var parts = window.podiumUpload.parts(form);
    var token = parts.token;
    var button = parts.button;
    var percent = form.querySelector("#upload-percent");
    var status = form.querySelector("#upload-status");
    var errors = form.querySelector("#upload-errors");
    var busy = false;

    function show(fraction) {
      var value = Math.min(100, Math.floor(fraction * 100));
      parts.bar.value = value;
      parts.bar.textContent = value + "%";
      percent.textContent = value + "%";
    }

    function refuse(messages) {
      errors.replaceChildren();
      var list = document.createElement("ul");
      messages.forEach(function (message) {
        var item = document.createElement("li");
        item.textContent = message;
        list.appendChild(item);
      });
      var lead = document.createElement("p");
      lead.textContent = "Your submission was not made:";
      errors.append(lead, list);
      errors.hidden = false;
      status.textContent = "";
    }

    function refresh() {
      var address = form.getAttribute("data-refresh");
      if (!window.htmx) { window.location.assign(address); return Promise.resolve(); }
      return window.htmx.ajax("GET", address, {
        target: "#submissions-panel", select: "#submissions-panel", swap: "outerHTML"
      });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy) { return; }
      var file = parts.input.files[0];
      if (!file) { refuse(["Choose the zip file to submit."]); return; }
      busy = true;
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      errors.hidden = true;
      parts.box.hidden = false;
      show(0);
      status.textContent = "Uploading " + file.name + "…";
      var upload = null;
      var taken = false;
      var organization = form.querySelector("[name=organization]");
      call("POST", "/api/uploads/", { name: file.name, size: file.size }, token)
        .then(function (declared) {
          upload = declared;
          var progressed = function (loaded) { show(file.size ? loaded / file.size : 1); };
          return declared.method === "parts"
            ? sendParts(declared, file, progressed)
            : sendWhole(declared, file, token, progressed);
        })
        .then(function (body) {
          show(1);
          status.textContent = "Uploaded; checking your submission…";
          return call("POST", "/api/uploads/" + upload.id + "/complete/", body, token);
        })
        .then(function () {
          var submission = {
            phase: Number(form.querySelector("[name=phase]").value),
            upload: upload.id,
            /* The API reads the answers as a JSON document, in a JSON body too. */
            fact_sheet_answers: JSON.stringify(factSheet(form))
          };
          if (organization && organization.value) { submission.organization = Number(organization.value); }
          return call("POST", "/api/submissions/", submission, token);
        })
        .then(function (made) {
          taken = true;
          form.reset();
          show(1);
          status.textContent = "Submission #" + made.id + " was made; its status updates below.";
          return refresh();
        })
        .catch(function (error) {
          refuse(error instanceof Refusal ? error.messages : ["Something went wrong: " + error]);
          if (upload && !taken) {
            /* Not used by any submission: its bytes would count against the quota for a day. */
            call("DELETE", "/api/uploads/" + upload.id + "/", undefined, token).catch(function () {});
          }
        })
        .then(function () {
          busy = false;
          button.disabled = false;
          button.removeAttribute("aria-busy");
        });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("submit-form");
    if (form && window.fetch && window.XMLHttpRequest && window.podiumUpload) { setUp(form); }
  });
}());
