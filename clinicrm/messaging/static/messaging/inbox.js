// Realtime for the inbox and thread pages, plus the thread page's 24-hour window and template
// picker.
//
// Realtime: when an event concerns what the page shows, fire the htmx trigger named in
// data-refresh-event (the fragment refetches itself). The page's root is the element carrying
// data-refresh-event; NOT the first [data-sse-url]: the notifier's bell in the header carries one
// too, and picking it made the thread page fire a "null" event and never refresh. The global
// notifier (notifier.js) owns the page's one EventSource and re-dispatches every event as a
// "clinicrm:sse" DOM event; a page without the notifier opens its own stream. Either way the
// EventSource reconnects by itself and sends Last-Event-ID, so nothing is missed.
(function () {
  "use strict";

  var SSE_KINDS = ["message", "status", "media", "thread"];

  function startRealtime() {
    var root = document.querySelector("[data-refresh-event]");
    if (!root) return;
    var threadId = root.getAttribute("data-thread-id");
    var refreshEvent = root.getAttribute("data-refresh-event");
    var pending = null;

    function refresh() {
      // Coalesce bursts (a delivery plus its status) into one fetch.
      if (pending) return;
      pending = window.setTimeout(function () {
        pending = null;
        document.body.dispatchEvent(new Event(refreshEvent));
      }, 150);
    }

    function onData(kind, data) {
      if (SSE_KINDS.indexOf(kind) < 0 || !data) return;
      if (threadId && String(data.thread) !== threadId) return;
      refresh();
    }

    if (document.querySelector("[data-notifier]")) {
      document.addEventListener("clinicrm:sse", function (ev) {
        onData(ev.detail && ev.detail.kind, ev.detail && ev.detail.data);
      });
      return;
    }
    var url = root.getAttribute("data-sse-url");
    if (!url || !window.EventSource) return;
    var source = new EventSource(url);
    SSE_KINDS.forEach(function (kind) {
      source.addEventListener(kind, function (ev) {
        var data;
        try { data = JSON.parse(ev.data); } catch (e) { return; }
        onData(kind, data);
      });
    });
    window.addEventListener("pagehide", function () { source.close(); });
  }

  // --- 24-hour window (Twilio threads) -----------------------------------------------------------
  // Mirrors WindowState.label in services/templates.py.
  function durationLabel(ms) {
    var minutes = Math.floor(ms / 60000);
    if (minutes < 1) return "menos de 1 min";
    var hours = Math.floor(minutes / 60);
    minutes = minutes % 60;
    if (!hours) return minutes + " min";
    return minutes ? hours + " h " + minutes + " min" : hours + " h";
  }

  function syncSendBox(open) {
    var free = document.querySelector("[data-free-text]");
    if (free) free.disabled = !open;
    var notice = document.querySelector("[data-window-closed-notice]");
    if (notice) notice.hidden = open;
    var text = document.getElementById("send-text");
    if (text) {
      var ph = text.getAttribute(open ? "data-placeholder-open" : "data-placeholder-closed");
      if (ph) text.placeholder = ph;
    }
  }

  function tickWindow() {
    var pill = document.getElementById("thread-window");
    if (!pill) return;
    var closesAt = Date.parse(pill.getAttribute("data-window-closes-at") || "");
    var open = !isNaN(closesAt) && closesAt > Date.now();
    if (open) {
      pill.textContent = "Janela de 24 h: fecha em " + durationLabel(closesAt - Date.now());
    } else {
      pill.textContent = "Janela fechada";
    }
    pill.setAttribute("data-window-open", open ? "1" : "0");
    pill.classList.toggle("pill-ok", open);
    pill.classList.toggle("pill-warn", !open);
    syncSendBox(open);
  }

  function startWindow() {
    if (!document.getElementById("thread-window")) return;
    window.setInterval(tickWindow, 60000);
    // The timeline refresh brings a fresh pill (out-of-band): a patient's message re-opens it.
    document.body.addEventListener("htmx:oobAfterSwap", tickWindow);
    document.body.addEventListener("htmx:afterSettle", tickWindow);
  }

  // --- approved templates --------------------------------------------------------------------
  function renderPreview(fieldset) {
    var preview = fieldset.querySelector("[data-template-preview]");
    if (!preview) return;
    var pattern = preview.getAttribute("data-template-pattern") || "";
    preview.textContent = pattern.replace(/\{\{\s*(\d{1,2})\s*\}\}/g, function (all, n) {
      var input = fieldset.querySelector("[data-template-var='" + n + "']");
      if (!input) return all;
      var value = input.value.split(/\s+/).filter(Boolean).join(" ");
      return value || "[" + (input.getAttribute("data-label") || n) + "]";
    });
  }

  function selectTemplate(select) {
    var form = select.closest("form");
    if (!form) return;
    form.querySelectorAll("[data-template-vars]").forEach(function (fs) {
      var mine = fs.getAttribute("data-template-vars") === select.value;
      // A disabled fieldset is not submitted: only the chosen template's variables are sent.
      fs.disabled = !mine;
      fs.hidden = !mine;
      if (mine) renderPreview(fs);
    });
  }

  function startTemplates() {
    document.addEventListener("change", function (ev) {
      var t = ev.target;
      if (t.matches && t.matches("[data-template-select]")) selectTemplate(t);
    });
    document.addEventListener("input", function (ev) {
      var t = ev.target;
      if (!t.matches || !t.matches("[data-template-var]")) return;
      var fs = t.closest("[data-template-vars]");
      if (fs) renderPreview(fs);
      // The server's "Preencha ..." is stale once the field is typed in.
      var field = t.closest(".field.has-error");
      if (field) {
        field.classList.remove("has-error");
        var err = field.querySelector(".field-error");
        if (err) err.remove();
      }
    });
  }

  function start() {
    startRealtime();
    startWindow();
    startTemplates();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
