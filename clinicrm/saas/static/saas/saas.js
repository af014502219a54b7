// SaaS staff console behaviours (strict CSP: no inline handlers, everything binds here).
(function () {
  "use strict";

  // A fragment swapped into a <dialog> (package create/edit form) opens that dialog.
  document.addEventListener("htmx:afterSwap", function (ev) {
    var target = ev.detail && ev.detail.target;
    var dlg = target && target.closest ? target.closest("dialog") : null;
    if (dlg && !dlg.open && dlg.showModal && target.querySelector("form")) dlg.showModal();
    if (dlg && dlg.open) {
      var first = dlg.querySelector(".has-error input, .has-error select, .has-error textarea") ||
        dlg.querySelector("input:not([type=hidden]), select, textarea");
      if (first) first.focus();
    }
  });

  // The server answers a successful save with HX-Trigger "saas:dialog-close".
  document.body.addEventListener("saas:dialog-close", function () {
    document.querySelectorAll("dialog[open]").forEach(function (d) { d.close(); });
  });
})();
