// UPK ledger screens. No inline scripts: the CSP forbids them.
document.addEventListener("DOMContentLoaded", function () {
  // Print buttons.
  document.querySelectorAll("[data-print]").forEach(function (el) {
    el.addEventListener("click", function () { window.print(); });
  });
  // Collection sheet: "Penuh" copies the expected amount into the row; the
  // footer shows the running total of what was typed.
  var sheet = document.querySelector("form[data-collection-sheet]");
  if (!sheet) { return; }
  var totalCell = document.querySelector("[data-sheet-total]");
  function digits(v) { return parseInt(String(v || "").replace(/[^0-9]/g, ""), 10) || 0; }
  function format(n) { return "Rp " + String(n).replace(/\B(?=(\d{3})+(?!\d))/g, "."); }
  function refresh() {
    var sum = 0;
    sheet.querySelectorAll("input.amount-input").forEach(function (i) { sum += digits(i.value); });
    if (totalCell) { totalCell.textContent = format(sum); }
  }
  sheet.querySelectorAll("[data-fill]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var input = document.getElementById(btn.getAttribute("data-target"));
      if (input) { input.value = btn.getAttribute("data-fill"); refresh(); }
    });
  });
  sheet.addEventListener("input", refresh);
  refresh();
});
