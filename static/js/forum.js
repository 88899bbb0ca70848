// Forum behaviours (CSP: no inline scripts). @mention autocomplete: the editor
// asks the server (htmx, see forum/_editor.html) for users matching the @word
// being typed; clicking a suggestion completes it here.
document.addEventListener("click", function (ev) {
  var pick = ev.target.closest(".forum-mention-pick");
  if (!pick) { return; }
  var wrap = pick.closest(".forum-editor-wrap");
  var editor = wrap && wrap.querySelector("textarea.forum-editor");
  if (!editor) { return; }
  var username = pick.getAttribute("data-username") || "";
  editor.value = editor.value.replace(/@[A-Za-z0-9_.+-]*$/, "@" + username + " ");
  wrap.querySelector(".forum-mentions").textContent = "";
  editor.focus();
});
