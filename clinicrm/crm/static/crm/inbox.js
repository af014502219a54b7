// The CRM inbox and its Kanban: live rows/cards and Kanban moves (drag and drop, or arrow keys).
//
// Live: the notifier (notifier.js) owns the page's one EventSource and re-dispatches every event
// as a "clinicrm:sse" DOM event; events name a thread id, never text. For each thread named, the
// page asks the server for that one row (list) or its cards (Kanban) under the filters shown
// (#inbox-results / #kanban-board data-query): 204 means it left the list, so it is removed;
// otherwise it replaces the old one at the place its date gives it (data-sort, the keyset order).
// A row older than everything loaded while more pages remain is left for the scroll to bring.
(function () {
  "use strict";

  var KINDS = ["message", "status", "media", "thread", "crm"];

  function root() { return document.querySelector("[data-inbox]"); }
  function mode() { var r = root(); return r ? r.getAttribute("data-inbox") : ""; }
  function container() { return document.getElementById(mode() === "kanban" ? "kanban-board" : "inbox-results"); }
  function query() { var c = container(); return c ? c.getAttribute("data-query") || "" : ""; }

  function urlFor(attr, id) {
    var base = root().getAttribute(attr) || "";
    return base.replace(/\/0\/([a-z]+\/)$/, "/" + id + "/$1");
  }

  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; }
    catch (e) { return ""; }
  }

  // "<micros>.<id>": newest first, as the server orders.
  function newer(a, b) {
    var pa = a.split("."), pb = b.split(".");
    var da = Number(pa[0]) - Number(pb[0]);
    return da !== 0 ? da > 0 : Number(pa[1]) > Number(pb[1]);
  }

  function parse(html) {
    var tpl = document.createElement("template");
    tpl.innerHTML = html.trim();
    return Array.prototype.filter.call(tpl.content.childNodes, function (n) { return n.nodeType === 1; });
  }

  function place(list, el) {
    var key = el.getAttribute("data-sort") || "";
    var items = list.querySelectorAll(":scope > [data-sort]");
    for (var i = 0; i < items.length; i++) {
      if (newer(key, items[i].getAttribute("data-sort") || "")) {
        list.insertBefore(el, items[i]);
        return true;
      }
    }
    if (list.querySelector(":scope > [data-list-more]")) return false;  // comes with the next page
    list.appendChild(el);
    return true;
  }

  function activate(el) {
    if (window.htmx) window.htmx.process(el);
  }

  function syncEmpty() {
    var c = container();
    if (!c) return;
    var empty = c.querySelector(".empty-state");
    if (empty && c.querySelector("[data-thread]")) empty.hidden = true;
    c.querySelectorAll(".kcolumn").forEach(function (col) {
      var note = col.querySelector(".kcolumn-empty");
      if (note) note.hidden = !!col.querySelector("[data-thread]");
    });
  }

  function refreshThread(id) {
    var isKanban = mode() === "kanban";
    var url = urlFor(isKanban ? "data-card-url" : "data-row-url", id);
    var q = query();
    return fetch(url + (q ? "?" + q : ""), { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (resp) {
        if (!resp.ok) return;
        return (resp.status === 204 ? Promise.resolve("") : resp.text()).then(function (html) {
          var c = container();
          if (!c) return;
          var focused = document.activeElement && document.activeElement.closest
            ? document.activeElement.closest("[data-thread='" + id + "']") : null;
          var focusColumn = focused ? focused.getAttribute("data-column") : null;
          c.querySelectorAll("[data-thread='" + id + "']").forEach(function (old) { old.remove(); });
          parse(html).forEach(function (el) {
            var list = isKanban
              ? c.querySelector("[data-drop='" + el.getAttribute("data-column") + "']")
              : document.getElementById("thread-list");
            if (list && place(list, el)) {
              activate(el);
              if (focusColumn !== null && isKanban) el.focus();
            }
          });
          syncEmpty();
        });
      })
      .catch(function () { /* offline: the next event or a reload brings it */ });
  }

  var pending = {};
  function schedule(id) {
    if (pending[id]) return;
    pending[id] = window.setTimeout(function () { delete pending[id]; refreshThread(id); }, 150);
  }

  function reloadAll() {
    var form = document.querySelector("[data-inbox-filters]");
    if (form && window.htmx) window.htmx.trigger(form, "submit");
  }

  function onEvent(kind, data) {
    if (KINDS.indexOf(kind) < 0 || !data || !root()) return;
    if (data.thread === null && kind === "crm") { reloadAll(); return; }
    var id = parseInt(data.thread, 10);
    if (id > 0) schedule(id);
  }

  function startRealtime() {
    if (!root()) return;
    if (document.querySelector("[data-notifier]")) {
      document.addEventListener("clinicrm:sse", function (ev) {
        onEvent(ev.detail && ev.detail.kind, ev.detail && ev.detail.data);
      });
      return;
    }
    var url = document.querySelector("[data-sse-url]");
    if (!url || !window.EventSource) return;
    var source = new EventSource(url.getAttribute("data-sse-url"));
    KINDS.forEach(function (kind) {
      source.addEventListener(kind, function (ev) {
        try { onEvent(kind, JSON.parse(ev.data)); } catch (e) { /* not ours */ }
      });
    });
    window.addEventListener("pagehide", function () { source.close(); });
  }

  // --- Kanban moves --------------------------------------------------------------------------
  function say(text) {
    var box = document.querySelector("[data-kanban-status]");
    if (box) box.textContent = text;
  }

  function columnTitle(key) {
    var col = document.querySelector(".kcolumn[data-column='" + key + "'] .kcolumn-title");
    return col ? col.textContent.trim() : key;
  }

  function move(card, to) {
    var from = card.getAttribute("data-column");
    var id = card.getAttribute("data-thread");
    if (!to || to === from) return;
    var target = document.querySelector("[data-drop='" + to + "']");
    if (target) {  // at once; the server's answer puts it right
      card.setAttribute("data-column", to);
      place(target, card) || target.insertBefore(card, target.firstChild);
      card.focus();
      syncEmpty();
    }
    var body = new URLSearchParams({ coluna: to, de: from });
    fetch(urlFor("data-move-url", id), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf(), "Content-Type": "application/x-www-form-urlencoded" },
      body: body.toString(),
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        say(resp.ok ? "Movida para " + columnTitle(to) + "." : (data.detail || "Não foi possível mover a conversa."));
        return refreshThread(id);
      });
    }).catch(function () {
      say("Sem conexão: a conversa não foi movida.");
      refreshThread(id);
    });
  }

  function startKanban() {
    var board = document.querySelector("[data-inbox='kanban']");
    if (!board) return;
    var dragged = null;
    board.addEventListener("dragstart", function (ev) {
      var card = ev.target.closest && ev.target.closest(".kcard");
      if (!card) return;
      dragged = card;
      card.classList.add("is-dragging");
      ev.dataTransfer.effectAllowed = "move";
      ev.dataTransfer.setData("text/plain", card.getAttribute("data-thread"));
    });
    board.addEventListener("dragend", function () {
      if (dragged) dragged.classList.remove("is-dragging");
      board.querySelectorAll(".is-over").forEach(function (c) { c.classList.remove("is-over"); });
      dragged = null;
    });
    board.addEventListener("dragover", function (ev) {
      var col = ev.target.closest && ev.target.closest(".kcolumn");
      if (!col || !dragged) return;
      ev.preventDefault();
      ev.dataTransfer.dropEffect = "move";
      board.querySelectorAll(".is-over").forEach(function (c) { if (c !== col) c.classList.remove("is-over"); });
      col.classList.add("is-over");
    });
    board.addEventListener("drop", function (ev) {
      var col = ev.target.closest && ev.target.closest(".kcolumn");
      if (!col || !dragged) return;
      ev.preventDefault();
      col.classList.remove("is-over");
      move(dragged, col.getAttribute("data-column"));
    });
    board.addEventListener("keydown", function (ev) {
      var card = ev.target;
      if (!card.classList || !card.classList.contains("kcard")) return;
      if (ev.key !== "ArrowLeft" && ev.key !== "ArrowRight") return;
      var keys = Array.prototype.map.call(board.querySelectorAll(".kcolumn"), function (c) {
        return c.getAttribute("data-column");
      });
      var i = keys.indexOf(card.getAttribute("data-column")) + (ev.key === "ArrowRight" ? 1 : -1);
      if (i < 0 || i >= keys.length) return;
      ev.preventDefault();
      move(card, keys[i]);
    });
    // Enter on a focused card opens its conversation.
    board.addEventListener("keydown", function (ev) {
      if (ev.key !== "Enter" || !ev.target.classList || !ev.target.classList.contains("kcard")) return;
      var link = ev.target.querySelector("a[data-drawer]");
      if (link) link.click();
    });
  }

  function start() {
    startRealtime();
    startKanban();
    var auto = document.querySelector("[data-drawer-autoopen]");
    if (auto) auto.click();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
