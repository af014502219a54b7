// Global notifier for logged-in clinic members, on every page (loaded by base.html).
// One EventSource on /eventos/ (it reconnects by itself and sends Last-Event-ID, so nothing is
// missed). Events carry ids only: counts come from /notificacoes/contagem/ and the popup text is
// a server fragment fetched by thread id, so no name or message text travels on the stream.
// On the thread page of the same conversation the page itself shows (and reads) the message:
// the notifier stays quiet there; the page scripts keep refreshing their fragments.
(function () {
  "use strict";

  var MUTE_KEY = "clinicrm.notifier.muted";
  var POPUP_MS = 9000;
  var MAX_POPUPS = 3;

  function start() {
    var root = document.querySelector("[data-notifier]");
    if (!root || !window.EventSource) return;
    var sseUrl = root.getAttribute("data-sse-url");
    var countsUrl = root.getAttribute("data-counts-url");
    var popupUrl = root.getAttribute("data-popup-url");
    if (!sseUrl) return; // no inbox registered: the bell is static
    var bellCount = document.getElementById("notif-bell-count");
    var bell = document.getElementById("notif-bell");
    var audioCtx = null;
    var countsTimer = null;

    // --- counts -------------------------------------------------------------------------------
    function setBadge(el, n) {
      if (!el) return;
      n = Math.max(0, parseInt(n, 10) || 0);
      el.textContent = n > 99 ? "99+" : String(n);
      el.hidden = n === 0;
      el.setAttribute("data-count", String(n));
      // The bell's name carries the count (the badge itself is hidden from screen readers).
      var summary = el.closest && el.closest("summary[data-bell-label]");
      if (summary) {
        var label = summary.getAttribute("data-bell-label");
        summary.setAttribute("aria-label", n ? label + ": " + n + (n === 1 ? " não lida" : " não lidas") : label);
      }
    }

    function applyCounts(c) {
      setBadge(bellCount, c.total);
      setBadge(document.getElementById("menu-badge-inbox"), c.conversations);
    }

    function refreshCounts() {
      if (countsTimer) return;
      // Coalesce bursts (a message, then its thread and status events) into one request.
      countsTimer = window.setTimeout(function () {
        countsTimer = null;
        fetch(countsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (c) { if (c) applyCounts(c); })
          .catch(function () { /* the next event tries again */ });
      }, 200);
    }

    setBadge(document.getElementById("menu-badge-inbox"), root.getAttribute("data-conversations"));

    // --- sound --------------------------------------------------------------------------------
    function isMuted() {
      try { return window.localStorage.getItem(MUTE_KEY) === "1"; } catch (e) { return false; }
    }

    function paintMute() {
      var muted = isMuted();
      document.querySelectorAll("[data-notifier-mute]").forEach(function (btn) {
        btn.setAttribute("aria-pressed", muted ? "true" : "false");
        btn.title = muted ? "Som dos avisos desligado (clique para ligar)" : "Silenciar o aviso sonoro";
        btn.classList.toggle("is-muted", muted);
      });
    }

    function toggleMute() {
      try { window.localStorage.setItem(MUTE_KEY, isMuted() ? "0" : "1"); } catch (e) { /* private mode */ }
      paintMute();
    }

    function audio() {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return null;
      if (!audioCtx) audioCtx = new Ctx();
      return audioCtx;
    }

    function beep() {
      if (isMuted()) return;
      var ctx = audio();
      if (!ctx) return;
      if (ctx.state === "suspended") ctx.resume();
      var t = ctx.currentTime;
      [880, 1320].forEach(function (freq, i) {
        var osc = ctx.createOscillator();
        var gain = ctx.createGain();
        osc.type = "sine";
        osc.frequency.value = freq;
        gain.gain.setValueAtTime(0.0001, t + i * 0.14);
        gain.gain.exponentialRampToValueAtTime(0.15, t + i * 0.14 + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, t + i * 0.14 + 0.12);
        osc.connect(gain);
        gain.connect(ctx.destination);
        osc.start(t + i * 0.14);
        osc.stop(t + i * 0.14 + 0.13);
      });
    }

    // Browsers only let audio start after a user gesture: unlock it on the first click.
    document.addEventListener("click", function unlock() {
      var ctx = audio();
      if (ctx && ctx.state === "suspended") ctx.resume();
      document.removeEventListener("click", unlock, true);
    }, true);

    // --- browser notifications ----------------------------------------------------------------
    function paintPermission() {
      var box = document.querySelector("[data-notifier-permission-box]");
      if (!box) return;
      box.hidden = !("Notification" in window) || window.Notification.permission !== "default";
    }

    function browserNotify(text, url) {
      if (!("Notification" in window) || window.Notification.permission !== "granted") return;
      if (document.visibilityState === "visible" && document.hasFocus()) return;  // the popup shows
      try {
        var n = new window.Notification("Clinicrm", { body: text, tag: "clinicrm-" + url });
        n.onclick = function () { window.focus(); window.location.href = url; };
      } catch (e) { /* some browsers only allow notifications from a service worker */ }
    }

    // --- popup --------------------------------------------------------------------------------
    function popupStack() {
      var stack = document.getElementById("notif-popups");
      if (!stack) {
        stack = document.createElement("div");
        stack.id = "notif-popups";
        stack.className = "notif-popups";
        // Not a live region itself: each popup's text is announced once through the page's
        // polite live region (a11y.js), which exists from page load, so the first is not missed.
        document.body.appendChild(stack);
      }
      return stack;
    }

    function showPopup(threadId) {
      fetch(popupUrl + "?thread=" + encodeURIComponent(threadId), {
        credentials: "same-origin",
        headers: { "HX-Request": "true" },
      })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (!html) return;
          var stack = popupStack();
          var old = stack.querySelector("[data-thread='" + threadId + "']");
          if (old) old.remove();
          var box = document.createElement("div");
          box.className = "notif-popup";
          box.setAttribute("data-thread", String(threadId));
          box.setAttribute("data-testid", "message-popup");
          box.innerHTML = html;
          var actions = box.querySelector(".notif-popup-actions") || box;
          var mute = document.createElement("button");
          mute.type = "button";
          mute.className = "btn btn-small notif-mute";
          mute.setAttribute("data-notifier-mute", "");
          mute.innerHTML = '<span class="ico ico-sound" aria-hidden="true"></span> Som';
          actions.appendChild(mute);
          var close = document.createElement("button");
          close.type = "button";
          close.className = "icon-btn notif-popup-close";
          close.setAttribute("aria-label", "Fechar aviso");
          close.textContent = "×";
          close.addEventListener("click", function () { box.remove(); });
          // Acting on the popup (opening the conversation) dismisses it; so does Esc inside it.
          box.addEventListener("click", function (ev) {
            if (ev.target.closest("a[href]")) box.remove();
          });
          box.addEventListener("keydown", function (ev) {
            if (ev.key === "Escape") { ev.preventDefault(); box.remove(); }
          });
          box.appendChild(close);
          stack.appendChild(box);
          while (stack.children.length > MAX_POPUPS) stack.firstElementChild.remove();
          paintMute();
          // A popup under the pointer or holding the focus stays until it is left.
          var expire = function () {
            if (box.matches(":hover") || box.contains(document.activeElement)) {
              window.setTimeout(expire, 1500);
            } else {
              box.remove();
            }
          };
          window.setTimeout(expire, POPUP_MS);
          var title = box.querySelector(".notif-popup-title");
          var spoken = title ? title.cloneNode(true) : null;
          if (spoken) spoken.querySelectorAll("[aria-hidden='true']").forEach(function (n) { n.remove(); });
          document.dispatchEvent(new CustomEvent("clinicrm:announce", {
            detail: { text: spoken ? spoken.textContent : "Nova mensagem" },
          }));
          var link = box.querySelector("a[href]");
          browserNotify(title ? title.textContent.trim() : "Nova mensagem", link ? link.href : "/");
        })
        .catch(function () { /* a lost popup is not worth an error */ });
    }

    // --- events -------------------------------------------------------------------------------
    function openThreadId() {
      // The conversation shown on the page or in the drawer (a closed drawer is hidden).
      var el = document.querySelector("[data-conversation][data-thread-id]");
      return el && !el.closest("[hidden]") ? el.getAttribute("data-thread-id") : null;
    }

    function onMessage(ev) {
      var data;
      try { data = JSON.parse(ev.data); } catch (e) { return; }
      var onThisThread = openThreadId() === String(data.thread);
      if (onThisThread) return;  // the open conversation shows it and marks it read
      refreshCounts();
      if (data.direction !== "in" || data.silent) return;
      showPopup(data.thread);
      beep();
    }

    // EventSource reconnects by itself after a dropped stream, but gives up for good when the
    // server answers with an error status (e.g. 503 while the database is saturated): then we
    // reconnect ourselves, backing off, resuming after the last event seen.
    var source = null;
    var lastEventId = "";
    var retryMs = 2000;

    function connect() {
      var url = sseUrl;
      if (lastEventId) url += (url.indexOf("?") < 0 ? "?" : "&") + "last_event_id=" + encodeURIComponent(lastEventId);
      source = new EventSource(url);
      source.addEventListener("open", function () { retryMs = 2000; });
      source.addEventListener("error", function () {
        if (source.readyState !== EventSource.CLOSED) return;
        setTimeout(connect, retryMs);
        retryMs = Math.min(retryMs * 2, 60000);
      });
      // A first stream opens with "ready" at the newest event id: remember it, so a reconnect
      // of ours before any event arrived still resumes from there.
      // From here on every committed event reaches this page (tests wait for the attribute).
      source.addEventListener("ready", function (ev) {
        if (ev.lastEventId) lastEventId = ev.lastEventId;
        root.setAttribute("data-notifier-live", "1");
      });
      source.addEventListener("message", onMessage);
      source.addEventListener("thread", refreshCounts);
      // One stream per page: page scripts (crm/inbox.js, messaging/conversation.js) listen to these DOM events
      // instead of opening a second EventSource on the same host.
      ["message", "status", "media", "thread", "channel", "credits", "crm"].forEach(function (kind) {
        source.addEventListener(kind, function (ev) {
          if (ev.lastEventId) lastEventId = ev.lastEventId;
          var data;
          try { data = JSON.parse(ev.data); } catch (e) { return; }
          document.dispatchEvent(new CustomEvent("clinicrm:sse", {
            detail: { kind: kind, id: ev.lastEventId, data: data },
          }));
        });
      });
    }
    connect();
    window.addEventListener("pagehide", function () { if (source) source.close(); });
    document.body.addEventListener("notifications-changed", refreshCounts);

    document.addEventListener("click", function (ev) {
      var t = ev.target;
      if (!t.closest) return;
      if (t.closest("[data-notifier-mute]")) { ev.preventDefault(); toggleMute(); }
      if (t.closest("[data-notifier-permission]") && "Notification" in window) {
        ev.preventDefault();
        window.Notification.requestPermission().then(paintPermission);
      }
      // Clicking outside the open bell panel closes it.
      if (bell && bell.open && !t.closest("#notif-bell")) bell.open = false;
    });

    paintMute();
    paintPermission();
    root.setAttribute("data-notifier-ready", "1");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
