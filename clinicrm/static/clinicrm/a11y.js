// Accessibility rules for every page (loaded by base.html; strict CSP, so no inline handlers):
// 1. live regions: #live-polite / #live-assertive exist from page load; anything announces through
//    document.dispatchEvent(new CustomEvent("clinicrm:announce", {detail: {text, assertive, key}}))
//    or by carrying [data-announce="text"] (optional data-announce-key) in content htmx swaps in;
// 2. focus after htmx swaps: to the first invalid field, to the control named by the trigger's
//    data-focus-return (an element with that data-focus-key), to [data-focus-first], back to the
//    control that had it (same id or data-focus-key), or to the text field of a replaced form (a
//    send box); never left on <body>;
// 3. menus: the narrow-screen side menu (aria-expanded, out of the Tab order while closed, Esc) and
//    every open <details> (user menu, bell, free slots): Esc closes it and focus returns to it.
(function () {
  "use strict";

  // --- 1. live regions ------------------------------------------------------------------------
  var announced = {};
  var timers = {};

  function announce(text, assertive, key) {
    text = (text || "").replace(/\s+/g, " ").trim();
    if (!text) return;
    if (key) {
      if (announced[key]) return;
      announced[key] = true;
    }
    var region = document.getElementById(assertive ? "live-assertive" : "live-polite");
    if (!region) return;
    // Emptied first and filled a moment later, so the same sentence twice is read twice.
    region.textContent = "";
    window.clearTimeout(timers[region.id]);
    timers[region.id] = window.setTimeout(function () { region.textContent = text; }, 120);
  }

  document.addEventListener("clinicrm:announce", function (ev) {
    var d = ev.detail || {};
    announce(d.text, !!d.assertive, d.key);
  });

  function announceMarked(root) {
    if (!root || !root.querySelectorAll) return;
    var marked = Array.prototype.slice.call(root.querySelectorAll("[data-announce]"));
    if (root.matches && root.matches("[data-announce]")) marked.unshift(root);
    marked.forEach(function (el) {
      if (el.hasAttribute("data-announced")) return;
      el.setAttribute("data-announced", "");
      var text = el.getAttribute("data-announce") || el.textContent;
      announce(text, el.hasAttribute("data-announce-assertive"), el.getAttribute("data-announce-key"));
    });
  }

  // --- 2. focus after htmx swaps ----------------------------------------------------------------
  var FIELDS = "input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled]), button:not([disabled]), a[href]";
  var origin = null;

  function focusEl(el) {
    if (!el) return false;
    if (!el.matches(FIELDS) && !el.hasAttribute("tabindex")) el.setAttribute("tabindex", "-1");
    el.focus();
    return document.activeElement === el;
  }

  // A heading or a control takes the focus itself; a container gives it to its first control.
  function focusInto(el) {
    if (!el) return false;
    if (el.matches(FIELDS) || el.matches("h1, h2, h3, [tabindex]")) return focusEl(el);
    return focusEl(el.querySelector(FIELDS) || el);
  }

  function byKey(key) {
    return key ? document.querySelector("[data-focus-key='" + key.replace(/'/g, "") + "']") : null;
  }

  function focusLost() {
    var a = document.activeElement;
    return !a || a === document.body || !a.isConnected;
  }

  document.addEventListener("htmx:beforeRequest", function (ev) {
    var elt = ev.detail.elt;
    var active = document.activeElement;
    var byUser = active && active !== document.body &&
      (elt === active || (elt.contains && elt.contains(active)) || (active.form && active.form === elt));
    var target = ev.detail.target;
    // Enter in a field submits through the form's default button: its data-focus-return counts.
    var defaultButton = elt.tagName === "FORM" ? elt.querySelector("button:not([type]), [type=submit]") : null;
    var ret = [active, elt, defaultButton].map(function (el) {
      return el && el.getAttribute ? el.getAttribute("data-focus-return") : null;
    }).filter(Boolean)[0] || null;
    origin = byUser ? {
      el: active,
      id: active.id,
      formId: active.form ? active.form.id : "",
      key: active.getAttribute("data-focus-key"),
      ret: ret,
      targetId: target && target.id,
    } : null;
  });

  function settleFocus(o) {
    var region = (o.targetId && document.getElementById(o.targetId)) || null;
    if (region && focusEl(region.querySelector("[aria-invalid='true']"))) return;
    if (o.ret && focusInto(byKey(o.ret))) return;
    var first = region && (region.matches("[data-focus-first]") ? region : region.querySelector("[data-focus-first]"));
    if (first && focusInto(first)) return;
    if (!focusLost()) return;
    if (o.id && focusEl(document.getElementById(o.id))) return;
    if (o.key && focusInto(byKey(o.key))) return;
    // A replaced form (a send box): back to its text field, ready for the next one.
    var form = o.formId && document.getElementById(o.formId);
    if (form && focusEl(form.querySelector("textarea:not([disabled]), input[type=text]:not([disabled])"))) return;
    if (region) focusEl(region);
  }

  document.addEventListener("htmx:afterRequest", function () {
    var o = origin;
    origin = null;
    // After htmx's settle step (20 ms), so the new content is in place.
    window.setTimeout(function () { if (o) settleFocus(o); }, 40);
  });

  document.addEventListener("htmx:load", function (ev) { announceMarked(ev.detail && ev.detail.elt); });

  // --- 3. menus ---------------------------------------------------------------------------------
  function sidebarToggle() { return document.querySelector("[data-toggle='sidebar']"); }

  function setSidebar(open, focusBack) {
    var btn = sidebarToggle();
    document.body.classList.toggle("sidebar-open", open);
    if (btn) btn.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      var first = document.querySelector("#sidebar a[href]");
      // Focus after the slide-in starts, once the menu is visible (hidden menus take no focus).
      if (first) window.setTimeout(function () { first.focus(); }, 30);
    } else if (focusBack && btn) {
      btn.focus();
    }
  }

  document.addEventListener("click", function (ev) {
    var t = ev.target;
    if (!t.closest) return;
    if (t.closest("[data-toggle='sidebar']")) {
      setSidebar(!document.body.classList.contains("sidebar-open"), false);
      return;
    }
    if (document.body.classList.contains("sidebar-open") && !t.closest("#sidebar")) setSidebar(false, false);
    // A click outside an open menu closes it.
    document.querySelectorAll("details[data-menu][open]").forEach(function (d) {
      if (!d.contains(t)) d.open = false;
    });
  });

  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Escape" || ev.defaultPrevented) return;
    var active = document.activeElement;
    var details = active && active.closest ? active.closest("details[open]") : null;
    if (!details) {
      var menus = document.querySelectorAll("details[data-menu][open]");
      details = menus.length ? menus[menus.length - 1] : null;
    }
    if (details) {
      ev.preventDefault();
      details.open = false;
      var summary = details.querySelector("summary");
      if (summary) summary.focus();
      return;
    }
    if (document.body.classList.contains("sidebar-open")) {
      ev.preventDefault();
      setSidebar(false, true);
    }
  });

  // --- 4. scrolling boxes ---------------------------------------------------------------------
  // A table (or tab strip) wider than its box scrolls: the box joins the Tab order, named after
  // its card's heading, so a keyboard user can scroll it too (and loses it when it fits again).
  function scrollBoxes() {
    document.querySelectorAll(".table-wrap, .tabs, [data-scroll-box]").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1;
      var ours = box.hasAttribute("data-a11y-scroll");
      if (scrolls && !box.hasAttribute("tabindex")) {
        var card = box.closest("section, .card, dialog, main");
        var heading = card && card.querySelector("h1, h2, h3");
        var added = ["tabindex"];
        box.setAttribute("tabindex", "0");
        if (!box.getAttribute("role")) { box.setAttribute("role", "region"); added.push("role"); }
        if (!box.hasAttribute("aria-label") && !box.hasAttribute("aria-labelledby")) {
          box.setAttribute("aria-label", heading ? heading.textContent.trim() + " (rolagem)" : "Conteúdo com rolagem");
          added.push("aria-label");
        }
        box.setAttribute("data-a11y-scroll", added.join(" "));
      } else if (!scrolls && ours) {
        box.getAttribute("data-a11y-scroll").split(" ").forEach(function (a) { box.removeAttribute(a); });
        box.removeAttribute("data-a11y-scroll");
      }
    });
  }
  var scrollTimer = null;
  function scrollBoxesSoon() {
    window.clearTimeout(scrollTimer);
    scrollTimer = window.setTimeout(scrollBoxes, 100);
  }
  window.addEventListener("resize", scrollBoxesSoon);
  document.addEventListener("htmx:load", scrollBoxesSoon);
  document.addEventListener("toggle", scrollBoxesSoon, true);

  // --- page load: errors of a posted form and messages already on the page --------------------
  function onLoad() {
    scrollBoxes();
    var main = document.getElementById("main");
    var invalid = main && main.querySelector("[aria-invalid='true']");
    if (invalid && !invalid.closest("dialog:not([open])")) invalid.focus();
    var errors = main ? main.querySelectorAll(".alert-error[role=alert]") : [];
    var flashes = document.querySelectorAll(".flash-stack .flash");
    window.setTimeout(function () {
      if (errors.length) announce(Array.prototype.map.call(errors, function (e) { return e.textContent; }).join(" "), true);
      if (flashes.length) announce(Array.prototype.map.call(flashes, function (e) { return e.textContent; }).join(" "), false);
      announceMarked(document.body);
    }, 400);
  }

  if (document.readyState !== "loading") onLoad(); else document.addEventListener("DOMContentLoaded", onLoad);
  window.ClinicrmA11y = { announce: announce };
})();
