/* What the pages that upload a file with a progress bar share (My submissions: submit.js;
   a competition's bundle: manage/competitions.js): the parts of their upload form, and one
   request sent with XMLHttpRequest, whose upload reports its progress (fetch does not).
   There is no bundler: this script puts `window.podiumUpload` for the page's own script,
   and the page loads it first. */
(function () {
  "use strict";

  /* An upload form's parts: its file input, its submit button, its CSRF token (for the
     X-CSRFToken header of a same-origin request, never sent to another host) and its
     progress box (.upload-progress) with the <progress> bar in it. */
  function parts(form) {
    var box = form.querySelector(".upload-progress");
    return {
      input: form.querySelector("input[type=file]"),
      button: form.querySelector("button[type=submit]"),
      token: form.querySelector("input[name=csrfmiddlewaretoken]").value,
      box: box,
      bar: box.querySelector("progress")
    };
  }

  /* Sends `body` to `url`, with `options.headers`; `options.progressed(loaded, total)` as
     the bytes leave, `options.sent()` once all have. A promise of the request once the
     server has answered, whatever its status; rejected when the connection failed. */
  function send(method, url, body, options) {
    return new Promise(function (resolve, reject) {
      var request = new XMLHttpRequest();
      var headers = options.headers || {};
      request.open(method, url);
      Object.keys(headers).forEach(function (name) { request.setRequestHeader(name, headers[name]); });
      request.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable && options.progressed) { options.progressed(event.loaded, event.total); }
      });
      if (options.sent) { request.upload.addEventListener("load", options.sent); }
      request.addEventListener("load", function () { resolve(request); });
      request.addEventListener("error", function () { reject(request); });
      request.send(body);
    });
  }

  window.podiumUpload = { parts: parts, send: send };
}());
