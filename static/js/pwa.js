// The installable portal (issue 14): registers the service worker served at /sw.js
// (core/pwa.py, templates/pwa/sw.js). No inline scripts: the CSP forbids them.
(function () {
  "use strict";
  if ("serviceWorker" in navigator && window.isSecureContext) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {
        // No worker (private mode, old browser): the portal works online as before.
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-reload]").forEach(function (button) {
      button.addEventListener("click", function () { window.location.reload(); });
    });
    // Logging out forgets the offline pages kept for this user (their data in
    // IndexedDB stays until sent: unsent payments must never be lost).
    document.querySelectorAll("form[data-logout]").forEach(function (form) {
      form.addEventListener("submit", function () {
        if (navigator.serviceWorker && navigator.serviceWorker.controller) {
          navigator.serviceWorker.controller.postMessage({ type: "forget-pages" });
        }
      });
    });
  });
})();
