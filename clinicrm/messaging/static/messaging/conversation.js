// The conversation drawer (messaging/thread.html#drawer), wherever it is: a page's #drawer host
// (inbox, Kanban, patient record, notifier) or the conversation page itself.
//
// - Opens at the newest message and follows new ones while the reader is at the bottom; scrolled
//   up, a "novas mensagens ↓" pill counts them instead of moving the page.
// - Older messages load when the reader nears the top (keyset pages: ?antes=<first id>); new
//   ones are appended (?depois=<last id>) on a realtime event or after a send; a message whose
//   status or media changed is replaced in place (?mensagem=<id>).
// - Enter sends, Shift+Enter breaks the line; a send the server never answered offers a retry
//   with the text kept, and so does a text the provider refused for a passing reason.
// - Links marked data-drawer open their conversation in the page's #drawer (the address bar
//   follows); the drawer's close button, Escape or the back button close it.
// - Twilio's 24-hour window pill ticks every minute; the approved-template picker previews.
// The page's one EventSource belongs to notifier.js, which re-dispatches events as "clinicrm:sse".
(function () {
  "use strict";

  var NEAR_BOTTOM = 48;
  var NEAR_TOP = 160;

  function current() { return document.querySelector("[data-conversation]"); }
  function timelineOf(conv) { return conv && conv.querySelector("[data-timeline]"); }

  function atBottom(tl) { return tl.scrollHeight - tl.scrollTop - tl.clientHeight <= NEAR_BOTTOM; }

  function toBottom(tl) { tl.scrollTop = tl.scrollHeight; }

  function lastMessageId(tl) {
    var all = tl.querySelectorAll("[data-message-id]");
    return all.length ? all[all.length - 1].getAttribute("data-message-id") : "";
  }

  // Two pages can each start with the same day's separator: keep the first of a run.
  function dedupeSeparators(tl) {
    var prev = null;
    tl.querySelectorAll(".day-separator").forEach(function (sep) {
      var day = sep.getAttribute("data-day");
      if (prev === day) sep.remove(); else prev = day;
    });
  }

  function parse(html) {
    var tpl = document.createElement("template");
    tpl.innerHTML = html;
    // The 24-hour window pill rides along with the newest page: swap it in the header.
    var pill = tpl.content.querySelector("#thread-window");
    if (pill) {
      var old = document.getElementById("thread-window");
      pill.removeAttribute("hx-swap-oob");
      if (old) old.replaceWith(pill);
      else pill.remove();
      tickWindow();
    }
    return tpl.content;
  }

  function get(url) {
    return fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.text(); });
  }

  function withParam(url, name, value) {
    return url + (url.indexOf("?") < 0 ? "?" : "&") + name + "=" + encodeURIComponent(value);
  }

  function process(el) { if (window.htmx) window.htmx.process(el); }

  // --- state of the open drawer ------------------------------------------------------------------
  var state = { conv: null, unseen: 0, loadingOlder: false, fetchingNewer: false, again: false, forceBottom: false };

  function pill(conv) { return conv.querySelector("[data-new-pill]"); }

  function showPill(conv) {
    var p = pill(conv);
    if (!p) return;
    p.hidden = state.unseen <= 0;
    p.textContent = state.unseen > 1 ? state.unseen + " novas mensagens ↓" : "novas mensagens ↓";
  }

  function fetchNewer() {
    var conv = state.conv;
    var tl = timelineOf(conv);
    if (!tl) return;
    if (state.fetchingNewer) { state.again = true; return; }
    state.fetchingNewer = true;
    var stick = atBottom(tl) || state.forceBottom;
    state.forceBottom = false;
    var base = conv.getAttribute("data-timeline-url");
    var last = lastMessageId(tl);
    get(last ? withParam(base, "depois", last) : base).then(function (html) {
      if (conv !== state.conv) return;
      var frag = parse(html);
      var added = frag.querySelectorAll("[data-message-id]");
      if (!last) tl.textContent = "";
      added.forEach(function (b) {
        var dup = document.getElementById(b.id);
        if (dup) dup.remove();
      });
      var empty = tl.querySelector("[data-timeline-empty]");
      if (empty && added.length) empty.remove();
      var inbound = [];
      added.forEach(function (b) { if (b.classList.contains("bubble-in")) inbound.push(b); });
      announceInbound(conv, inbound);
      tl.appendChild(frag);
      process(tl);
      dedupeSeparators(tl);
      if (stick || !last) { toBottom(tl); } else if (inbound.length) { state.unseen += inbound.length; showPill(conv); }
    }).catch(function () { /* the next event or send retries */ }).then(function () {
      state.fetchingNewer = false;
      if (state.again) { state.again = false; fetchNewer(); }
    });
  }

  // New patient messages that arrived live (never older pages, never our own sends) are read out
  // once, briefly, through the page's polite live region (a11y.js); the timeline itself is
  // aria-live="off" so a loaded page is not read in full.
  function firstWords(text, max) {
    var words = (text || "").replace(/\s+/g, " ").trim().split(" ");
    var out = words.slice(0, max).join(" ");
    return words.length > max ? out + "…" : out;
  }

  function announceInbound(conv, bubbles) {
    if (!bubbles.length) return;
    var last = bubbles[bubbles.length - 1];
    var nameEl = conv.querySelector("[data-testid=conversation-name]");
    var name = nameEl ? nameEl.textContent.trim() : "";
    var bodyEl = last.querySelector(".bubble-body") || last.querySelector(".bubble-kind");
    var what = bubbles.length > 1 ? bubbles.length + " novas mensagens de " : "Nova mensagem de ";
    var text = what + name + (bodyEl ? ": " + firstWords(bodyEl.textContent, 8) : "");
    document.dispatchEvent(new CustomEvent("clinicrm:announce", { detail: { text: text, key: last.id } }));
  }

  function refreshMessage(id) {
    var conv = state.conv;
    var old = document.getElementById("msg-" + id);
    if (!conv || !old) return;
    get(withParam(conv.getAttribute("data-timeline-url"), "mensagem", id)).then(function (html) {
      var frag = parse(html);
      var fresh = frag.querySelector("#msg-" + id);
      var tl = timelineOf(conv);
      var stick = tl && atBottom(tl);
      if (fresh && old.isConnected) { old.replaceWith(fresh); process(fresh); }
      if (stick) toBottom(tl);
    }).catch(function () {});
  }

  function loadOlder() {
    var conv = state.conv;
    var tl = timelineOf(conv);
    var marker = tl && tl.querySelector("[data-older-url]");
    if (!marker || state.loadingOlder) return;
    state.loadingOlder = true;
    get(marker.getAttribute("data-older-url")).then(function (html) {
      if (conv !== state.conv) return;
      var before = tl.scrollHeight;
      var frag = parse(html);
      marker.replaceWith(frag);
      process(tl);
      dedupeSeparators(tl);
      // Keep the message the reader was looking at where it was.
      tl.scrollTop += tl.scrollHeight - before;
    }).catch(function () {
      marker.textContent = "Não foi possível carregar as mensagens anteriores. Role para tentar de novo.";
    }).then(function () { state.loadingOlder = false; });
  }

  function onScroll() {
    var conv = state.conv;
    var tl = timelineOf(conv);
    if (!tl) return;
    if (tl.scrollTop < NEAR_TOP) loadOlder();
    if (atBottom(tl) && state.unseen) { state.unseen = 0; showPill(conv); }
  }

  function attach(conv) {
    if (!conv || conv.getAttribute("data-ready")) return;
    conv.setAttribute("data-ready", "1");
    state.conv = conv;
    state.unseen = 0;
    var tl = timelineOf(conv);
    if (!tl) return;
    toBottom(tl);
    tl.addEventListener("scroll", onScroll, { passive: true });
    // Images and players take their height late: stay at the bottom while the reader is there.
    var stuck = true;
    tl.addEventListener("scroll", function () { stuck = atBottom(tl); }, { passive: true });
    tl.addEventListener("load", function () { if (stuck) toBottom(tl); }, true);
    tl.addEventListener("loadedmetadata", function () { if (stuck) toBottom(tl); }, true);
    var p = pill(conv);
    if (p) p.addEventListener("click", function () { state.unseen = 0; showPill(conv); toBottom(tl); });
    // A short first page (no scrollbar yet) still offers the older ones.
    if (tl.scrollHeight <= tl.clientHeight) loadOlder();
    tickWindow();
  }

  function scan() { attach(current()); }

  // --- realtime ------------------------------------------------------------------------------
  var pending = null;
  function onSse(ev) {
    var d = ev.detail || {};
    var data = d.data || {};
    var conv = state.conv;
    if (!conv || !conv.isConnected || String(data.thread) !== conv.getAttribute("data-thread-id")) return;
    if (d.kind === "message" || d.kind === "thread") {
      if (pending) return;
      pending = window.setTimeout(function () { pending = null; fetchNewer(); }, 120);
    } else if ((d.kind === "status" || d.kind === "media") && data.message) {
      if (document.getElementById("msg-" + data.message)) refreshMessage(String(data.message));
      else fetchNewer();
    } else if (d.kind === "crm" && data.what) {
      // CRM panels refresh themselves (hx-trigger="crm-<what> from:body"), except the notes
      // while the reader is writing one (the draft would be lost); an open panel stays open.
      var notes = document.getElementById("crm-notes");
      if (data.what === "notes" && notes) {
        var drafting = Array.prototype.some.call(notes.querySelectorAll("textarea"), function (t) {
          return t.value !== t.defaultValue;
        });
        if (drafting) return;
        keepOpen.notes = notes.open;
      }
      document.body.dispatchEvent(new Event("crm-" + data.what));
    }
  }

  var keepOpen = { notes: false };
  function onLoad(ev) {
    var el = ev.detail && ev.detail.elt;
    if (el && el.id === "crm-notes" && keepOpen.notes) { el.open = true; keepOpen.notes = false; }
  }

  // --- send box ------------------------------------------------------------------------------
  function onKeydown(ev) {
    var t = ev.target;
    if (!t.matches || !t.matches("[data-send-text]")) return;
    if (ev.key !== "Enter" || ev.shiftKey || ev.isComposing || ev.keyCode === 229) return;
    ev.preventDefault();
    if (!t.value.trim() && !(t.form && t.form.querySelector("input[type=file]") && t.form.querySelector("input[type=file]").files.length)) return;
    if (t.form) t.form.requestSubmit();
  }

  function sendFailed(ev) {
    var form = ev.detail && ev.detail.elt;
    if (!form || form.id !== "send-form") return;
    var xhr = ev.detail.xhr;
    if (xhr && xhr.status === 413) { // refused before Django saw it (core/body_limit.py): plain text
      var note = form.querySelector("[data-send-too-large]");
      if (!note) {
        note = document.createElement("p");
        note.className = "field-error send-error";
        note.setAttribute("role", "alert");
        note.setAttribute("data-send-too-large", "");
        var anchor = form.querySelector("[data-send-retry]");
        if (anchor) anchor.parentNode.insertBefore(note, anchor); else form.prepend(note);
      }
      note.textContent = xhr.responseText;
      note.id = "send-too-large";
      var text = form.querySelector("[data-send-text]");
      if (text) { text.setAttribute("aria-invalid", "true"); text.setAttribute("aria-describedby", "send-too-large"); }
      return;
    }
    if (xhr && xhr.status > 0 && xhr.status < 500) return; // 400s bring their own message
    var retry = form.querySelector("[data-send-retry]");
    if (retry) retry.hidden = false;
  }

  // "Tentar novamente" on a failed text: the same text goes through the send box again (every
  // check of a send applies), as a new message; the failed one stays in the history. A draft in
  // the box is not thrown away: the text is added under it and the person sends when ready.
  function resend(button) {
    var conv = button.closest("[data-conversation]");
    var box = conv && conv.querySelector("[data-send-text]");
    if (!box || box.disabled || !box.form) return;
    var text = button.getAttribute("data-message-retry");
    button.remove();
    if (box.value.trim()) {
      box.value = box.value.replace(/\s+$/, "") + "\n" + text;
      box.focus();
      return;
    }
    box.value = text;
    box.form.requestSubmit();
  }

  function onClick(ev) {
    var t = ev.target;
    if (!t.closest) return;
    var retryBtn = t.closest("[data-send-retry-button]");
    if (retryBtn) {
      var form = retryBtn.closest("form");
      retryBtn.closest("[data-send-retry]").hidden = true;
      if (form) form.requestSubmit();
      return;
    }
    var again = t.closest("[data-message-retry]");
    if (again) { resend(again); return; }
    var quote = t.closest("[data-quote-target]");
    if (quote) {
      var target = document.getElementById(quote.getAttribute("data-quote-target"));
      if (target) { ev.preventDefault(); target.scrollIntoView({ block: "center" }); target.classList.add("bubble-flash"); window.setTimeout(function () { target.classList.remove("bubble-flash"); }, 1200); }
      return;
    }
    var opener = t.closest("a[data-drawer]");
    if (opener && !ev.ctrlKey && !ev.metaKey && !ev.shiftKey && ev.button === 0 && drawerOpen(opener.href)) {
      ev.preventDefault();
      return;
    }
    var closer = t.closest("[data-drawer-close]");
    if (closer && closer.closest("#drawer")) { ev.preventDefault(); drawerClose(true); }
  }

  // --- the #drawer host --------------------------------------------------------------------
  var opened = { from: null, pushed: false };

  function host() { return document.getElementById("drawer"); }

  function drawerOpen(url) {
    var h = host();
    if (!h || !window.htmx) return false;
    if (!opened.from) opened.from = window.location.href;
    window.htmx.ajax("GET", url, { target: "#drawer", swap: "innerHTML" }).then(function () {
      h.hidden = false;
      document.body.classList.add("drawer-open");
      if (window.location.href !== new URL(url, window.location.href).href) {
        window.history.pushState({ drawer: url }, "", url);
        opened.pushed = true;
      }
      var text = h.querySelector("[data-send-text]");
      if (text && !text.disabled && window.matchMedia("(min-width: 801px)").matches) text.focus({ preventScroll: true });
    });
    return true;
  }

  function drawerClose(restoreUrl) {
    var h = host();
    if (!h || h.hidden) return;
    h.hidden = true;
    h.textContent = "";
    document.body.classList.remove("drawer-open");
    state.conv = null;
    if (restoreUrl && opened.from) window.history.pushState({}, "", opened.from);
    opened.from = null;
    opened.pushed = false;
  }

  // A host filled by htmx elsewhere (the inbox's rows use hx-get + hx-push-url) shows itself.
  function onSwap(ev) {
    var h = host();
    if (h && ev.target === h) {
      h.hidden = !h.querySelector("[data-conversation]");
      document.body.classList.toggle("drawer-open", !h.hidden);
    }
    var from = ev.detail && ev.detail.requestConfig && ev.detail.requestConfig.elt;
    if (from && from.id === "send-form" && document.getElementById("send-box")) {
      var text = document.getElementById("send-box").querySelector("[data-send-text]");
      if (text && !text.disabled && !text.value) text.focus({ preventScroll: true });
    }
    scan();
  }

  // --- 24-hour window (Twilio threads); mirrors WindowState.label in services/templates.py ----
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
    var p = document.getElementById("thread-window");
    if (!p) return;
    var closesAt = Date.parse(p.getAttribute("data-window-closes-at") || "");
    var open = !isNaN(closesAt) && closesAt > Date.now();
    p.textContent = open ? "Janela de 24 h: fecha em " + durationLabel(closesAt - Date.now()) : "Janela fechada";
    p.setAttribute("data-window-open", open ? "1" : "0");
    p.classList.toggle("pill-ok", open);
    p.classList.toggle("pill-warn", !open);
    syncSendBox(open);
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

  // A searchable select: the input hides the options that do not contain what was typed
  // (accents and case ignored).
  function fold(text) { return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase(); }

  function filterSelect(input) {
    var select = document.getElementById(input.getAttribute("data-select-filter"));
    if (!select) return;
    var q = fold(input.value.trim());
    var first = null;
    Array.prototype.forEach.call(select.options, function (opt) {
      var show = !q || !opt.value || fold(opt.textContent).indexOf(q) >= 0;
      opt.hidden = !show;
      if (show && opt.value && !first) first = opt;
    });
    if (q && first) first.selected = true;
  }

  function onChange(ev) {
    var t = ev.target;
    if (t.matches && t.matches("[data-template-select]")) selectTemplate(t);
  }

  function onInput(ev) {
    var t = ev.target;
    if (!t.matches) return;
    if (t.matches("[data-send-text]")) {
      // Grow with the text up to a few lines (then it scrolls).
      t.style.height = "auto";
      t.style.height = Math.min(t.scrollHeight, 160) + "px";
    }
    if (t.matches("[data-select-filter]")) { filterSelect(t); return; }
    if (!t.matches("[data-template-var]")) return;
    var fs = t.closest("[data-template-vars]");
    if (fs) renderPreview(fs);
    // The server's "Preencha ..." is stale once the field is typed in.
    var field = t.closest(".field.has-error");
    if (field) {
      field.classList.remove("has-error");
      var err = field.querySelector(".field-error");
      if (err) err.remove();
    }
  }

  function start() {
    document.addEventListener("clinicrm:sse", onSse);
    document.addEventListener("keydown", onKeydown);
    document.addEventListener("click", onClick);
    document.addEventListener("change", onChange);
    document.addEventListener("input", onInput);
    document.body.addEventListener("timeline-refresh", function () {
      // The reader's own send: show it, wherever they had scrolled to.
      if (state.conv) { state.forceBottom = true; fetchNewer(); }
    });
    document.body.addEventListener("htmx:afterSwap", onSwap);
    document.body.addEventListener("htmx:load", onLoad);
    // The thread changed identity (linked to a patient): render the whole drawer again.
    document.body.addEventListener("drawer-reload", function () {
      var conv = state.conv;
      if (!conv) return;
      var h = host();
      if (h && h.contains(conv) && window.htmx) {
        window.htmx.ajax("GET", conv.getAttribute("data-thread-url"), { target: "#drawer", swap: "innerHTML" });
      } else {
        window.location.reload();
      }
    });
    document.body.addEventListener("htmx:sendError", sendFailed);
    document.body.addEventListener("htmx:responseError", sendFailed);
    document.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape" && host() && !host().hidden && !document.querySelector("dialog[open]")) drawerClose(true);
    });
    window.addEventListener("popstate", function () {
      var h = host();
      if (h && !h.hidden) { h.hidden = true; h.textContent = ""; document.body.classList.remove("drawer-open"); state.conv = null; opened.from = null; }
    });
    window.setInterval(tickWindow, 60000);
    scan();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
