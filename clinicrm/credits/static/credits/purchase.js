// Credits page: CPF/CNPJ formatting on blur and the PIX copy button (strict CSP: no inline JS).
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

  // Closing the dialog after a payment reloads the lists (history, transactions).
  document.addEventListener("close", function (ev) {
    var dlg = ev.target;
    if (dlg && dlg.id === "purchase-dialog" && dlg.querySelector("[data-purchase-paid]")) {
      window.location.reload();
    }
  }, true);
})();
