// Portal behaviours. No inline scripts anywhere: the CSP forbids them.
document.addEventListener("DOMContentLoaded", function () {
  // Buttons marked data-confirm ask before submitting.
  document.querySelectorAll("[data-confirm]").forEach(function (el) {
    el.addEventListener("click", function (ev) {
      if (!window.confirm(el.getAttribute("data-confirm"))) { ev.preventDefault(); }
    });
  });
  // Forms marked data-once disable their submit button after the first submit.
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    });
  });
  // Auto-submit filter forms' select boxes.
  document.querySelectorAll("[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });
});

// Tables wider than the screen scroll sideways inside .table-responsive: make
// such a box reachable by keyboard (Tab, then the arrow keys) — WCAG 2.1.1.
function focusableScrollers(root) {
  root.querySelectorAll(".table-responsive").forEach(function (box) {
    if (box.scrollWidth > box.clientWidth && !box.hasAttribute("tabindex")) {
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      var caption = box.querySelector("caption") || box.closest(".card, section, main").querySelector("h1, h2, h3, h4");
      if (caption) { box.setAttribute("aria-label", caption.textContent.trim()); }
    }
  });
}
document.addEventListener("DOMContentLoaded", function () { focusableScrollers(document); });
window.addEventListener("resize", function () { focusableScrollers(document); });
document.addEventListener("htmx:afterSwap", function (ev) { focusableScrollers(ev.target); });
