// Keyboard shortcuts for the review pages (no build step, no dependencies).
// m / d / u / s / b press the button carrying that data-key; n focuses the note.
// The forms are plain POSTs with their CSRF token, so everything works without this file.
(function () {
  "use strict";
  var sent = false;

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    var key = event.key.toLowerCase();
    if (key === "n") {
      var note = document.getElementById("note");
      if (note) { event.preventDefault(); note.focus(); }
      return;
    }
    var button = document.querySelector('button[data-key="' + key + '"]');
    if (!button || button.disabled || sent) return;
    event.preventDefault();
    sent = true;  // one decision per page: a held key must not decide the next pair too
    button.classList.add("pressed");
    var form = button.form;
    if (form.requestSubmit) form.requestSubmit(button); else button.click();
  });

  // "Split this record out" asks before recording distinct decisions.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });
})();
