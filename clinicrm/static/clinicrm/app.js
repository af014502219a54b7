// Small behaviours for the whole app. No inline scripts (strict CSP): everything binds here.
(function () {
  "use strict";

  function onReady(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }

  // Elements with data-autosubmit submit their form on change (tenant switcher, filters).
  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (el && el.matches && el.matches("[data-autosubmit]") && el.form) el.form.requestSubmit();
  });

  // data-toggle="sidebar" opens the side menu on small screens.
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest && ev.target.closest("[data-toggle='sidebar']");
    if (btn) document.body.classList.toggle("sidebar-open");
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

  // Forms (or their submit button) with data-confirm ask before submitting destructive actions.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var button = ev.submitter;
    var text = (button && button.getAttribute("data-confirm")) ||
      (form.getAttribute && form.getAttribute("data-confirm"));
    if (text && !window.confirm(text)) { ev.preventDefault(); ev.stopImmediatePropagation(); }
  }, true);

  window.Clinicrm = { onReady: onReady };
})();
