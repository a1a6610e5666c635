/* Lotse web UI: small progressive enhancements on top of server-rendered pages and htmx.
   No inline scripts (the Content-Security-Policy forbids them); everything works without this file. */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function announce(text) {
    var region = document.getElementById("messages");
    if (!region) { return; }
    var box = document.createElement("div");
    box.className = "notice notice--error";
    var p = document.createElement("p");
    p.textContent = text;
    box.appendChild(p);
    region.replaceChildren(box);
  }

  // Move focus to an error summary so keyboard and screen-reader users hear what went wrong.
  function focusOnLoad(root) {
    var target = (root || document).querySelector("[data-focus-on-load]");
    if (target) { target.focus(); }
  }

  document.addEventListener("DOMContentLoaded", function () { focusOnLoad(document); });
  // A report swapped in by htmx (e.g. a rejected upload) takes the focus the same way.
  document.addEventListener("htmx:afterSwap", function (event) { focusOnLoad(event.detail.target); });

  // Progress of long requests: <form data-progress="ID"> with a <progress> and a status text inside #ID.
  function progressBox(element) {
    var form = element && element.closest ? element.closest("[data-progress]") : null;
    return form ? document.getElementById(form.getAttribute("data-progress")) : null;
  }

  function setProgress(box, percent, text) {
    var bar = box.querySelector("progress");
    var status = box.querySelector("[role=status]");
    if (bar) { bar.value = percent; }
    if (status && status.textContent !== text) { status.textContent = text; }
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var box = progressBox(event.target);
    if (box) { setProgress(box, 0, box.getAttribute("data-msg-start") || ""); }
  });
  document.addEventListener("htmx:xhr:progress", function (event) {
    var box = progressBox(event.target);
    if (!box || !event.detail.lengthComputable || !event.detail.total) { return; }
    var percent = Math.round(event.detail.loaded / event.detail.total * 100);
    // Announce in quarter steps only, so screen readers are not flooded; the bar moves smoothly.
    var text = percent >= 100 ? box.getAttribute("data-msg-checking")
      : (box.getAttribute("data-msg-sending") || "").replace("{percent}", String(Math.floor(percent / 25) * 25));
    setProgress(box, percent, text);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var box = progressBox(event.target);
    if (box) { setProgress(box, 0, ""); }
  });

  // Every htmx request carries the CSRF token from the meta tag (forms also send it as a field).
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRFToken"] = csrfToken();
  });

  function failed() {
    announce(document.body.getAttribute("data-msg-failed") || "Error");
  }
  document.addEventListener("htmx:responseError", failed);
  document.addEventListener("htmx:sendError", failed);
})();
