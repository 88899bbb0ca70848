// The three Bootstrap behaviours the portal uses — navbar collapse, dropdowns, dismissible
// alerts — in place of bootstrap.bundle.min.js (80 KB, 21 KB compressed: a third of a first
// visit on a slow link). Same markup (data-bs-toggle, data-bs-target, data-bs-dismiss) and the
// same CSS classes (.show), so Bootstrap's stylesheet draws them as before. No inline scripts.
(function () {
  "use strict";
  function closeMenus(except) {
    document.querySelectorAll(".dropdown-menu.show").forEach(function (menu) {
      if (menu === except) { return; }
      menu.classList.remove("show");
      var toggle = menu.parentElement.querySelector("[data-bs-toggle=dropdown]");
      if (toggle) { toggle.setAttribute("aria-expanded", "false"); }
    });
  }
  document.addEventListener("click", function (ev) {
    var toggle = ev.target.closest("[data-bs-toggle]");
    if (toggle && toggle.getAttribute("data-bs-toggle") === "collapse") {
      var target = document.querySelector(toggle.getAttribute("data-bs-target"));
      if (target) {
        var open = target.classList.toggle("show");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
        toggle.classList.toggle("collapsed", !open);
      }
      return;
    }
    if (toggle && toggle.getAttribute("data-bs-toggle") === "dropdown") {
      ev.preventDefault();
      var menu = toggle.parentElement.querySelector(".dropdown-menu");
      if (menu) {
        closeMenus(menu);
        // data-bs-popper="static": Bootstrap's CSS then places the menu under its button.
        menu.setAttribute("data-bs-popper", "static");
        var shown = menu.classList.toggle("show");
        toggle.setAttribute("aria-expanded", shown ? "true" : "false");
        if (shown) {
          var first = menu.querySelector("a, button");
          if (first && ev.detail === 0) { first.focus(); }  // opened from the keyboard
        }
      }
      return;
    }
    var dismiss = ev.target.closest("[data-bs-dismiss=alert]");
    if (dismiss) {
      var alert = dismiss.closest(".alert");
      if (alert) { alert.remove(); }
      return;
    }
    if (!ev.target.closest(".dropdown-menu")) { closeMenus(null); }
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape") {
      var open = document.querySelector(".dropdown-menu.show");
      closeMenus(null);
      if (open) {
        var toggle = open.parentElement.querySelector("[data-bs-toggle=dropdown]");
        if (toggle) { toggle.focus(); }
      }
    }
  });
})();
