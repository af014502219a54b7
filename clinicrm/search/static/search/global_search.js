// Global search of the top bar: "/" or Ctrl+K focuses it, typing fetches grouped results
// (/busca/?q=, an HTML fragment rendered and escaped by the server), ↑ ↓ move through them,
// Enter opens the highlighted one (or the full results page), Esc closes. Loaded as a module
// (strict CSP: no inline script, no eval).
const root = document.querySelector("[data-global-search]");

if (root) {
  const input = root.querySelector(".gsearch-input");
  const panel = root.querySelector(".gsearch-panel");
  const status = root.querySelector(".gsearch-status");
  const body = root.querySelector(".gsearch-body");
  const url = root.getAttribute("data-url");
  const MIN_LENGTH = 2;
  const DELAY_MS = 180;
  let timer = 0;
  let sequence = 0;
  let controller = null;
  let lastQuery = null;

  const options = () => Array.from(body.querySelectorAll("[role='option']"));
  const activeOption = () => body.querySelector("[role='option'][aria-selected='true']");
  const visibleLength = (text) => text.normalize("NFKD").replace(/[\u0300-\u036f\s]/g, "").length;

  function open() {
    panel.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  function hidePanel() {
    panel.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  // Also leaves the phone layout's full-width search.
  function close() {
    hidePanel();
    document.body.classList.remove("gsearch-overlay");
  }

  function focusSearch() {
    document.body.classList.add("gsearch-overlay");
    input.focus();
    input.select();
    if (input.value.trim()) open();
  }

  function setStatus(text, loading) {
    status.textContent = text;
    status.classList.toggle("is-loading", Boolean(loading));
  }

  function select(option) {
    for (const other of options()) {
      other.setAttribute("aria-selected", other === option ? "true" : "false");
      other.classList.toggle("is-active", other === option);
    }
    if (option) {
      input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function move(step) {
    const list = options();
    if (!list.length) return;
    const index = list.indexOf(activeOption());
    const next = index === -1 ? (step > 0 ? 0 : list.length - 1) : (index + step + list.length) % list.length;
    select(list[next]);
  }

  async function search(query) {
    const mine = ++sequence;
    if (controller) controller.abort();
    controller = new AbortController();
    setStatus("Buscando…", true);
    body.classList.add("is-stale");
    try {
      const response = await fetch(`${url}?${new URLSearchParams({ q: query })}`, {
        headers: { "HX-Request": "true" },
        credentials: "same-origin",
        signal: controller.signal,
      });
      if (mine !== sequence) return;
      if (response.status === 401 || response.status === 403 || response.redirected) {
        window.location.assign(`${url}?${new URLSearchParams({ q: query })}`);
        return;
      }
      // 200 and 400 both carry the fragment (results, or the pt-BR reason).
      body.innerHTML = await response.text();
      setStatus("", false);
      lastQuery = query;
    } catch (error) {
      if (error.name === "AbortError" || mine !== sequence) return;
      setStatus("Não foi possível buscar agora. Verifique a conexão e tente de novo.", false);
    } finally {
      if (mine === sequence) body.classList.remove("is-stale");
    }
  }

  function onInput() {
    window.clearTimeout(timer);
    const query = input.value.trim().replace(/\s+/g, " ");
    if (!query) {
      sequence++;
      body.innerHTML = "";
      setStatus("", false);
      hidePanel();
      return;
    }
    open();
    if (visibleLength(query) < MIN_LENGTH) {
      sequence++;
      body.innerHTML = "";
      setStatus("Digite pelo menos 2 letras ou números.", false);
      return;
    }
    if (query === lastQuery && body.childElementCount) return;
    setStatus("Buscando…", true);
    timer = window.setTimeout(() => search(query), DELAY_MS);
  }

  input.addEventListener("input", onInput);
  input.addEventListener("focus", () => { if (input.value.trim()) open(); });

  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (panel.hidden && input.value.trim()) open();
      move(event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Enter") {
      const option = activeOption();
      if (option && !panel.hidden) {
        event.preventDefault();
        window.location.assign(option.href);
      }
      // Otherwise the form submits: the full results page.
    } else if (event.key === "Escape") {
      event.preventDefault();
      if (!panel.hidden) hidePanel();
      else { close(); input.blur(); }
    }
  });

  body.addEventListener("mousemove", (event) => {
    const option = event.target.closest("[role='option']");
    if (option && option !== activeOption()) select(option);
  });

  document.addEventListener("keydown", (event) => {
    const target = event.target;
    const typing = target instanceof HTMLElement &&
      (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
    const ctrlK = (event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "k";
    if (ctrlK || (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey)) {
      event.preventDefault();
      focusSearch();
    }
  });

  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-gsearch-open]")) { focusSearch(); return; }
    if (event.target.closest("[data-gsearch-close]")) { close(); input.blur(); return; }
    if (!root.contains(event.target)) hidePanel();
  });

  root.setAttribute("data-ready", "");  // the shortcuts work from now on
}
