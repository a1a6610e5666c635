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
