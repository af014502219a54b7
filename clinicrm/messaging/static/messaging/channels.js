// WhatsApp channel pages: "Copiar" buttons for webhook addresses, and a busy label on submit
// buttons of slow provider calls (creating an instance, verifying Twilio credentials).
(function () {
  "use strict";

  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest && ev.target.closest("[data-copy]");
    if (!btn) return;
    var input = document.getElementById(btn.getAttribute("data-copy"));
    if (!input) return;
    var done = function () {
      var label = btn.textContent;
      btn.textContent = "Copiado!";
      window.setTimeout(function () { btn.textContent = label; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done);
    } else {
      input.select();
      document.execCommand("copy");
      done();
    }
  });

  // Runs after app.js's capturing data-confirm handler: a cancelled submit stays untouched.
  document.addEventListener("submit", function (ev) {
    if (ev.defaultPrevented) return;
    var btn = ev.submitter;
    if (!btn || !btn.hasAttribute("data-busy-label")) return;
    btn.textContent = btn.getAttribute("data-busy-label");
    btn.setAttribute("aria-busy", "true");
    // Disable after the submit is dispatched so the button's own value still goes out.
    window.setTimeout(function () { btn.disabled = true; }, 0);
  });
})();
