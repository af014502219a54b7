// Credits page: CPF/CNPJ formatting on blur, the PIX copy button, and live updates
// (strict CSP: no inline JS).
(function () {
  "use strict";

  function formatDocument(raw) {
    var v = (raw || "").replace(/[\s.\/-]/g, "").toUpperCase();
    if (/^\d{11}$/.test(v)) {
      return v.slice(0, 3) + "." + v.slice(3, 6) + "." + v.slice(6, 9) + "-" + v.slice(9);
    }
    if (/^[0-9A-Z]{12}\d{2}$/.test(v)) {
      return v.slice(0, 2) + "." + v.slice(2, 5) + "." + v.slice(5, 8) + "/" + v.slice(8, 12) + "-" + v.slice(12);
    }
    return raw;
  }

  document.addEventListener("focusout", function (ev) {
    var el = ev.target;
    if (el && el.matches && el.matches("input[data-cpf-cnpj]")) el.value = formatDocument(el.value);
  });

  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest && ev.target.closest("[data-copy-target]");
    if (!btn) return;
    var source = document.getElementById(btn.getAttribute("data-copy-target"));
    if (!source) return;
    var text = source.value || source.textContent;
    var done = function () {
      var label = btn.textContent;
      btn.textContent = "Copiado!";
      setTimeout(function () { btn.textContent = label; }, 2000);
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () { source.select && source.select(); });
    } else if (source.select) {
      source.select();
      document.execCommand("copy");
      done();
    }
  });

  // Live updates through the page's one realtime stream (notifier.js re-dispatches it as
  // "clinicrm:sse"): a purchase or top-up announces itself as `credits`; a message's charge
  // and its refund come with the message's own `message` and `status` events. Each burst
  // becomes one "credits-changed" event, which the page's htmx elements listen to.
  function affectsCredits(kind, data) {
    if (kind === "credits") return true;
    if (!data || data.direction !== "out") return false;
    return kind === "message" || (kind === "status" && data.status === "failed");
  }

  var pending = null;
  document.addEventListener("clinicrm:sse", function (ev) {
    var detail = ev.detail || {};
    if (!affectsCredits(detail.kind, detail.data) || pending) return;
    pending = window.setTimeout(function () {
      pending = null;
      if (window.htmx) window.htmx.trigger(document.body, "credits-changed");
    }, 250);
  });
})();
