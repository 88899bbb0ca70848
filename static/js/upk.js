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
  // Optional member split: under each KSM, the sum of its member parts
  // against the KSM amount (the server checks it again).
  function refreshSplits() {
    sheet.querySelectorAll("[data-split-sum]").forEach(function (out) {
      var target = out.getAttribute("data-split-sum");
      var parts = sheet.querySelectorAll("input.split-input[data-split-of='" + target + "']");
      var sum = 0, filled = false;
      parts.forEach(function (i) { if (String(i.value).trim()) { filled = true; } sum += digits(i.value); });
      var amountInput = document.getElementById(target);
      var amount = amountInput ? digits(amountInput.value) : 0;
      out.textContent = filled ? format(sum) + " / " + format(amount) : "";
      out.classList.toggle("text-danger", filled && sum !== amount);
      out.classList.toggle("text-success", filled && sum === amount);
    });
  }
  sheet.addEventListener("input", function () { refresh(); refreshSplits(); });
  sheet.querySelectorAll("[data-fill]").forEach(function (btn) {
    btn.addEventListener("click", refreshSplits);
  });
  refresh();
  refreshSplits();
});
