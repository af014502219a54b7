// Small behaviours for the whole app. No inline scripts (strict CSP): everything binds here.
(function () {
  "use strict";

  function onReady(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }

  // Elements with data-autosubmit submit their form when a choice is made with the pointer (a
  // pick in the select's list or the date picker). A change made from the keyboard (arrow keys on
  // a closed select, typing a date) never submits by itself: Enter does, or the form's
  // [data-autosubmit-confirm] button, which shows up then. So no arrow key changes data.
  var keyed = null;
  function autosubmitField(el) {
    return el && el.matches && el.matches("[data-autosubmit]") && el.form ? el : null;
  }
  document.addEventListener("keydown", function (ev) {
    var el = autosubmitField(ev.target);
    if (!el) return;
    if (ev.key === "Enter" && el.hasAttribute("data-autosubmit-pending")) {
      ev.preventDefault();
      el.form.requestSubmit();
      return;
    }
    if (ev.key !== "Tab" && ev.key !== "Shift") keyed = el;
  }, true);
  document.addEventListener("keyup", function () { keyed = null; }, true);
  document.addEventListener("change", function (ev) {
    var el = autosubmitField(ev.target);
    if (!el) return;
    if (keyed !== el) { el.form.requestSubmit(); return; }
    el.setAttribute("data-autosubmit-pending", "");
    el.form.querySelectorAll("[data-autosubmit-confirm]").forEach(function (b) { b.hidden = false; });
  });

  // Dialogs open and close through data attributes (the side menu's toggle lives in a11y.js).
  document.addEventListener("click", function (ev) {
    var opener = ev.target.closest && ev.target.closest("[data-dialog-open]");
    if (opener) {
      var dlg = document.getElementById(opener.getAttribute("data-dialog-open"));
      if (dlg && dlg.showModal) { ev.preventDefault(); dlg.showModal(); }
    }
    var closer = ev.target.closest && ev.target.closest("[data-dialog-close]");
    if (closer) {
      var d = closer.closest("dialog");
      if (d) { ev.preventDefault(); d.close(); }
    }
  });

  // htmx's event log: never outside DEBUG; in DEBUG only for a developer who asks for it
  // (localStorage "clinicrm.htmxDebug" = "1"), so the demo's console stays clean too.
  if (window.htmx) {
    var wanted = false;
    try { wanted = window.localStorage.getItem("clinicrm.htmxDebug") === "1"; } catch (e) { /* private mode */ }
    if (document.documentElement.getAttribute("data-debug") === "1" && wanted) window.htmx.logAll();
    else window.htmx.logger = null;
  }

  // Requests the page makes by itself (polls, "load", events from the realtime stream) are not
  // the member's activity: the server's idle clock ignores them (core/accounts/middleware.py),
  // so an open tab does not keep a session alive forever.
  document.addEventListener("htmx:configRequest", function (ev) {
    var trigger = ev.detail && ev.detail.triggeringEvent;
    if (!trigger || !trigger.isTrusted) ev.detail.headers["X-Clinicrm-Background"] = "1";
  });

  // Global loading bar for htmx requests.
  document.addEventListener("htmx:beforeRequest", function () { document.body.classList.add("is-loading"); });
  document.addEventListener("htmx:afterRequest", function () { document.body.classList.remove("is-loading"); });
  // htmx answers of 4xx carry form fragments with pt-BR errors: swap them in too.
  document.addEventListener("htmx:beforeSwap", function (ev) {
    if (ev.detail.xhr && (ev.detail.xhr.status === 400 || ev.detail.xhr.status === 422)) {
      ev.detail.shouldSwap = true;
      ev.detail.isError = false;
    }
  });

  // In DEBUG, django-htmx's helper (listening on document) replaces the whole page with any 400
  // answer, meant for Django's error pages. Our 400s are form fragments with pt-BR errors, so stop
  // the event at <body> before it gets there; the beforeSwap handler above swaps them in.
  document.body.addEventListener("htmx:beforeOnLoad", function (ev) {
    var xhr = ev.detail && ev.detail.xhr;
    if (xhr && (xhr.status === 400 || xhr.status === 422)) ev.stopPropagation();
  });

  // Forms (or their submit button) with data-confirm ask before submitting destructive actions,
  // in the same styled <dialog> the pages use ("Desativar"), never the browser's confirm():
  // data-confirm is the question, data-confirm-detail the consequence, data-confirm-action the
  // confirm button's label (default: the submit button's own text).
  var confirmDialog = null;
  var pendingSubmit = null;

  function attr(button, form, name) {
    return (button && button.getAttribute(name)) || (form.getAttribute && form.getAttribute(name)) || "";
  }

  function confirmBox() {
    if (confirmDialog) return confirmDialog;
    confirmDialog = document.createElement("dialog");
    confirmDialog.className = "confirm-dialog";
    confirmDialog.setAttribute("aria-labelledby", "confirm-dialog-title");
    confirmDialog.innerHTML =
      '<h2 id="confirm-dialog-title"></h2><p class="confirm-detail"></p>' +
      '<div class="form-actions"><button type="button" class="btn" data-dialog-close>Cancelar</button>' +
      '<button type="button" class="btn btn-danger" data-confirm-ok></button></div>';
    confirmDialog.querySelector("[data-confirm-ok]").addEventListener("click", function () {
      var pending = pendingSubmit;
      pendingSubmit = null;
      confirmDialog.close();
      if (!pending) return;
      var form = pending.form;
      // A live-refreshed panel may have replaced the form meanwhile: submit its successor.
      if (!form.isConnected) form = document.querySelector('form[action="' + pending.action + '"]');
      if (!form) return;
      var button = pending.button && form.contains(pending.button) ? pending.button : null;
      form.setAttribute("data-confirmed", "1");
      if (button) form.requestSubmit(button); else form.requestSubmit();
    });
    document.body.appendChild(confirmDialog);
    return confirmDialog;
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var button = ev.submitter;
    var question = attr(button, form, "data-confirm");
    if (!question) return;
    if (form.getAttribute("data-confirmed")) { form.removeAttribute("data-confirmed"); return; }
    ev.preventDefault();
    ev.stopImmediatePropagation();
    var dlg = confirmBox();
    var detail = attr(button, form, "data-confirm-detail");
    dlg.querySelector("h2").textContent = question;
    dlg.querySelector(".confirm-detail").textContent = detail;
    dlg.querySelector(".confirm-detail").hidden = !detail;
    dlg.querySelector("[data-confirm-ok]").textContent =
      attr(button, form, "data-confirm-action") || (button && button.textContent.trim()) || "Confirmar";
    pendingSubmit = { form: form, button: button, action: form.getAttribute("action") };
    dlg.showModal();
  }, true);

  window.Clinicrm = { onReady: onReady };
  // [data-copy-link="<input id>"] copies that input's value (links shown to copy, also inside
  // fragments htmx swaps in, e.g. the intake invite panel of the conversation drawer).
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest && ev.target.closest("[data-copy-link]");
    if (!btn) return;
    var input = document.getElementById(btn.getAttribute("data-copy-link"));
    if (!input) return;
    var done = function () {
      var label = btn.getAttribute("data-label") || btn.textContent;
      btn.setAttribute("data-label", label);
      btn.textContent = "Copiado!";
      window.setTimeout(function () { btn.textContent = label; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () { input.select(); });
    } else {
      input.select();
      document.execCommand("copy");
      done();
    }
  });
})();
