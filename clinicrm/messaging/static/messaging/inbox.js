// Realtime for the inbox and thread pages: one EventSource on /eventos/; when an event concerns
// what the page shows, fire the htmx trigger named in data-refresh-event (the fragment refetches
// itself). EventSource reconnects by itself and sends Last-Event-ID, so nothing is missed.
(function () {
  "use strict";

  function start() {
    var root = document.querySelector("[data-sse-url]");
    if (!root || !window.EventSource) return;
    var url = root.getAttribute("data-sse-url");
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

    function onEvent(ev) {
      var data;
      try { data = JSON.parse(ev.data); } catch (e) { return; }
      if (threadId && String(data.thread) !== threadId) return;
      refresh();
    }

    var source = new EventSource(url);
    ["message", "status", "media", "thread"].forEach(function (name) {
      source.addEventListener(name, onEvent);
    });
    window.addEventListener("pagehide", function () { source.close(); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
