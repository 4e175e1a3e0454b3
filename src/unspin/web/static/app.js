/* unspin web page. Plain JavaScript, no build step, no external requests:
   it talks only to this server's /api endpoints. All text is inserted with
   textContent, never as HTML. */
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const form = $("check-form");
  const textarea = $("text");
  const submitButton = $("submit");
  const statusLine = $("status");
  const errorBox = $("error");
  const results = $("results");
  const popover = $("popover");

  const state = {
    health: null,
    text: "",
    chars: [],          // the checked text as code points (the server's offsets count code points)
    report: null,
    view: "diff",
    trigger: null,      // the element that opened the popover, to return focus to
    openIndex: -1,
    request: 0,         // ignore answers to superseded requests
  };

  // --- small helpers -----------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key === "style") Object.assign(node.style, value); // CSSOM: allowed by the page's CSP
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const pct = (x) => `${Math.round(x * 100)}%`;
  const quote = (s) => `\u201c${s}\u201d`;
  const slice = (chars, a, b) => chars.slice(a, b).join("");

  function formatBytes(n) {
    if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)} MB`;
    if (n >= 1e3) return `${(n / 1e3).toFixed(n >= 1e4 ? 0 : 1)} kB`;
    return `${n} bytes`;
  }

  async function api(path, options) {
    let response;
    try {
      response = await fetch(path, options);
    } catch (err) {
      throw new Error("The server cannot be reached. Is unspin serve still running?");
    }
    const type = response.headers.get("content-type") || "";
    const data = type.includes("json") ? await response.json().catch(() => null) : null;
    if (!response.ok) {
      const message = data && data.message ? data.message : `The server answered ${response.status} ${response.statusText}.`;
      const error = new Error(message);
      error.status = response.status;
      throw error;
    }
    return data;
  }

  // Technical prose reads as odder to unspin's news-trained model: at a spun threshold of 0.9, 4% of
  // clean technical paragraphs are called spun instead of 18%, and 95% of 30% word spins still are
  // (README, "Technical prose"; python bench/technical.py).
  const TECHNICAL_SPUN_THRESHOLD = 0.9;
  const withOptions = (body, technical) => (technical ? { ...body, spun_threshold: TECHNICAL_SPUN_THRESHOLD } : body);

  const postJSON = (path, body) =>
    api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

  function setStatus(message, busy) {
    statusLine.textContent = message || "";
    statusLine.classList.toggle("busy", Boolean(busy));
  }

  function showError(message) {
    errorBox.textContent = message || "";
    errorBox.hidden = !message;
  }

  function setBusy(busy) {
    submitButton.disabled = busy;
    $("example").disabled = busy;
    form.setAttribute("aria-busy", busy ? "true" : "false");
  }

  // --- input ------------------------------------------------------------------------

  function updateCount() {
    const text = textarea.value;
    const bytes = new TextEncoder().encode(text).length;
    const words = (text.match(/\S+/g) || []).length;
    const limit = state.health ? state.health.max_request_bytes : null;
    let line = text ? `${words.toLocaleString()} words · ${formatBytes(bytes)}` : "";
    if (limit && bytes > limit * 0.98) line += ` (over this server's limit of ${formatBytes(limit)})`;
    $("count").textContent = line;
  }

  async function loadFile(file) {
    if (!file) return;
    showError("");
    const limit = state.health ? state.health.max_request_bytes : null;
    if (limit && file.size > limit) {
      showError(`${file.name} is ${formatBytes(file.size)}, over this server's limit of ${formatBytes(limit)}.`);
      return;
    }
    setStatus(`Reading ${file.name}…`, true);
    const body = new FormData();
    body.append("file", file, file.name);
    try {
      const data = await api("/api/extract", { method: "POST", body });
      textarea.value = data.text;
      state.filename = data.filename;
      updateCount();
      const what = { html: "the HTML page", docx: "the Word document", odt: "the OpenDocument file", pdf: "the PDF" }[data.format];
      setStatus(`Loaded ${data.filename}${what ? ` (the text of ${what})` : ""}. Press Check text.`);
      textarea.focus();
    } catch (err) {
      setStatus("");
      showError(`${file.name}: ${err.message}`);
    }
  }

  // --- checking ---------------------------------------------------------------------

  async function check() {
    const text = textarea.value;
    closePopover(false);
    showError("");
    if (!text.trim()) {
      showError("Paste or upload a text first.");
      textarea.focus();
      return;
    }
    const request = ++state.request;
    setBusy(true);
    if (!state.health) await healthReady.catch(() => null);
    setStatus(state.health && !state.health.ready ? "Loading the language resources (first check only), then checking…" : "Checking…", true);
    try {
      const technical = $("technical").checked;
      const report = await postJSON("/api/check", withOptions({ text }, technical));
      if (request !== state.request) return;
      state.text = text;
      state.technical = technical;
      state.chars = Array.from(text);
      state.report = report;
      if (state.health) state.health.ready = true;
      render();
      const n = report.findings.length;
      setStatus(`Done: ${report.verdict}, ${n} ${n === 1 ? "phrase" : "phrases"} marked.`);
      results.hidden = false;
      results.focus({ preventScroll: true });
      $("verdict").scrollIntoView({ behavior: matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth", block: "start" });
      if (state.health && state.health.index) trace(text, request);
    } catch (err) {
      if (request !== state.request) return;
      setStatus("");
      showError(err.message);
    } finally {
      if (request === state.request) setBusy(false);
    }
  }

  function render() {
    renderVerdict();
    renderMarked();
    renderRestored();
    renderTable();
    $("trace").hidden = !(state.health && state.health.index);
    $("trace-body").replaceChildren();
    $("trace-status").textContent = "";
  }

  function renderVerdict() {
    const r = state.report;
    const n = r.findings.length;
    const summary = {
      spun: "This text looks machine-spun: words were swapped for synonyms.",
      clean: "This text does not look machine-spun.",
      uncertain: "unspin cannot tell whether this text was spun.",
    }[r.verdict];
    const found = n ? `${n} ${n === 1 ? "phrase looks" : "phrases look"} substituted.` : "No substituted phrases found.";
    $("verdict").replaceChildren(
      el("div", { class: `badge ${r.verdict}`, id: "verdict-label" }, r.verdict, el("small", { text: "verdict" })),
      el("p", { class: "summary" }, `${summary} ${found}`),
      el("div", { class: "prob-row" },
        el("span", {}, "Spun probability ", el("strong", { id: "probability", text: pct(r.spun_probability) })),
        el("div", { class: `meter ${r.verdict}`, role: "img", "aria-label": `spun probability ${pct(r.spun_probability)}` },
          el("span", { style: { width: `${(r.spun_probability * 100).toFixed(1)}%` } }))),
    );
    if (r.reason) $("verdict").append(el("p", { class: "reason", text: r.reason }));
  }

  function findingText(f) {
    const shown = slice(state.chars, f.start, f.end);
    return shown === f.text ? shown : f.text;
  }

  function renderMarked() {
    const view = $("marked");
    const parts = [];
    let pos = 0;
    state.report.findings.forEach((f, i) => {
      if (f.start < pos) return;
      parts.push(slice(state.chars, pos, f.start));
      parts.push(el("button", {
        type: "button",
        class: f.confidence >= 0.8 ? "hl strong" : "hl",
        "data-index": i,
        "aria-haspopup": "dialog",
        "aria-expanded": "false",
        "aria-controls": "popover",
        title: `Likely original: ${quote(f.original)} (${pct(f.confidence)} confident)`,
        "aria-label": `${findingText(f)}, possibly spun; likely original ${f.original}`,
        onclick: (event) => openFinding(i, event.currentTarget),
      }, findingText(f)));
      pos = f.end;
    });
    parts.push(slice(state.chars, pos));
    view.replaceChildren(...parts);
  }

  function renderRestored() {
    const view = $("restored");
    const r = state.report;
    const parts = [];
    let pos = 0;
    let rebuilt = "";
    for (const f of r.findings) {
      if (f.start < pos) continue;
      const before = slice(state.chars, pos, f.start);
      parts.push(before, el("del", { text: findingText(f) }), el("ins", { text: f.original }));
      rebuilt += before + f.original;
      pos = f.end;
    }
    const tail = slice(state.chars, pos);
    parts.push(tail);
    rebuilt += tail;
    // The diff is built from the findings; show it only where it reproduces the server's text.
    const diffOK = rebuilt === r.restored;
    $("view-diff").disabled = !diffOK;
    if (state.view === "diff" && diffOK) view.replaceChildren(...parts);
    else view.replaceChildren(r.restored);
    view.setAttribute("data-view", state.view === "diff" && diffOK ? "diff" : "clean");
    document.querySelector(".legend").hidden = !(state.view === "diff" && diffOK);
  }

  function setView(view) {
    state.view = view;
    $("view-diff").setAttribute("aria-pressed", String(view === "diff"));
    $("view-clean").setAttribute("aria-pressed", String(view === "clean"));
    if (state.report) renderRestored();
  }

  function renderTable() {
    const body = document.querySelector("#findings tbody");
    const rows = state.report.findings.map((f, i) => {
      const others = (f.alternatives || []).map((a) => a.text).filter((t) => t.toLowerCase() !== f.original.toLowerCase()).slice(0, 3);
      return el("tr", {},
        el("td", {}, el("button", { type: "button", class: "linklike", onclick: (e) => openFinding(i, e.currentTarget), text: findingText(f) })),
        el("td", { text: f.original }),
        el("td", { class: "num" }, pct(f.confidence),
          el("span", { class: "conf-bar", "aria-hidden": "true" }, el("span", { style: { width: `${(f.confidence * 100).toFixed(0)}%` } }))),
        el("td", { class: "alts", text: others.join(", ") || "\u2014" }));
    });
    body.replaceChildren(...rows);
    $("findings-panel").hidden = rows.length === 0;
  }

  // --- the evidence popover -----------------------------------------------------------

  // signals explained in words, in this order; the rest are listed raw
  const EXPLAINED = ["lm_gain", "channel_prior", "source", "lexicon_kind", "lexicon_weight", "lexicon_swaps", "lexicon_kept", "margin"];

  function describeSignal(key, value) {
    if (key === "lm_gain" && typeof value === "number") {
      const times = Math.pow(10, value);
      const how = value > 0
        ? (times > 1e6 ? "over a million times" : `about ${times >= 10 ? Math.round(times).toLocaleString() : times.toFixed(1)} times`) + " more likely in this context than the word as written"
        : "no more likely in this context than the word as written";
      return ["Language model", `the original is ${how} (log\u2081\u2080 gain ${value >= 0 ? "+" : ""}${value.toFixed(2)})`];
    }
    if (key === "channel_prior" && typeof value === "number") {
      return ["Swap plausibility", `${pct(Math.pow(10, value))}: how readily a spinner turns the original into this word (log\u2081\u2080 prior ${value.toFixed(2)})`];
    }
    if (key === "source") {
      const names = {
        thesaurus: "a thesaurus synonym (WordNet)",
        related: "a near-synonym one WordNet relation away",
        embedding: "a close word vector (GloVe)",
        moby: "the Moby thesaurus, nearest by word vector",
        function: "a spinner's stand-in for a function word or connective",
        lexicon: "a known spinner substitution (lexicon)",
      };
      return ["Candidate from", String(value).split(/[+,\s]+/).map((s) => names[s] || s).join(" and ")];
    }
    if (key === "lexicon_kind") {
      return ["Lexicon record", value === "learned"
        ? "learned from spun copies traced to their sources (unspin learn)"
        : "curated: a swap no writer makes"];
    }
    if (key === "lexicon_weight" && typeof value === "number") {
      return ["Lexicon weight", `${value} (from 3 up, restored wherever it stands)`];
    }
    if (key === "lexicon_swaps" && typeof value === "number") {
      return ["Seen swapped", `${value} times for this original in the traced copies`];
    }
    if (key === "lexicon_kept" && typeof value === "number") {
      return ["Seen left as written", `${value} times in the traced copies`];
    }
    if (key === "margin" && typeof value === "number") {
      return ["Decision margin", `${value >= 0 ? "+" : ""}${value.toFixed(2)} (log\u2081\u2080; the score that sets the confidence)`];
    }
    return [key.replace(/_/g, " "), typeof value === "number" ? value.toFixed(3) : JSON.stringify(value)];
  }

  function openFinding(index, trigger) {
    const f = state.report.findings[index];
    if (!f) return;
    if (state.openIndex === index && !popover.hidden) {
      closePopover(true);
      return;
    }
    closePopover(false);
    const anchor = document.querySelector(`#marked .hl[data-index="${index}"]`);
    state.trigger = trigger || anchor;
    state.openIndex = index;
    $("popover-title").replaceChildren(quote(findingText(f)), el("span", { class: "arrow", "aria-hidden": "true", text: "\u2192" }),
      el("span", { class: "visually-hidden", text: " likely original " }), quote(f.original));
    const alternatives = (f.alternatives || []).map((a) =>
      el("li", {}, a.text, el("span", { class: "alts", text: ` (score ${a.score.toFixed(2)})` })));
    const signals = f.signals || {};
    const explained = EXPLAINED.filter((k) => k in signals);
    const evidence = explained.map((k) => {
      const [label, text] = describeSignal(k, signals[k]);
      return el("li", {}, el("strong", { text: `${label}: ` }), text);
    });
    const others = Object.keys(signals).filter((k) => !EXPLAINED.includes(k));
    if (others.length) {
      evidence.push(el("li", {}, el("details", {},
        el("summary", { text: `All ${Object.keys(signals).length} signals` }),
        el("dl", { class: "raw-signals" }, Object.keys(signals).flatMap((k) => [
          el("dt", {}, el("code", { text: k })),
          el("dd", { text: typeof signals[k] === "number" ? String(Math.round(signals[k] * 1000) / 1000) : String(signals[k]) }),
        ])))));
    }
    $("popover-body").replaceChildren(
      el("dl", {},
        el("dt", { text: "Confidence" }), el("dd", { id: "popover-confidence" }, pct(f.confidence),
          el("span", { class: "conf-bar", "aria-hidden": "true" }, el("span", { style: { width: `${(f.confidence * 100).toFixed(0)}%` } }))),
        el("dt", { text: "Where" }), el("dd", { text: `characters ${f.start.toLocaleString()}\u2013${f.end.toLocaleString()}` }),
        el("dt", { text: "Candidates" }), el("dd", {}, alternatives.length ? el("ol", {}, alternatives) : "\u2014")),
      el("h4", { class: "visually-hidden", text: "Evidence" }),
      el("ul", { class: "evidence", id: "popover-evidence", "aria-label": "Evidence" }, evidence));
    if (anchor) {
      anchor.setAttribute("aria-expanded", "true");
      if (trigger !== anchor) anchor.scrollIntoView({ block: "center" });
    }
    popover.hidden = false;
    placePopover(anchor || trigger);
    $("popover-title").focus({ preventScroll: true });
  }

  function placePopover(anchor) {
    if (!anchor || matchMedia("(max-width: 560px)").matches) {
      popover.style.left = "";
      popover.style.top = "";
      return;
    }
    const rect = anchor.getBoundingClientRect();
    const width = popover.offsetWidth;
    const height = popover.offsetHeight;
    const margin = 12;
    let left = rect.left + window.scrollX;
    left = Math.max(window.scrollX + margin, Math.min(left, window.scrollX + document.documentElement.clientWidth - width - margin));
    let top = rect.bottom + window.scrollY + 8;
    if (rect.bottom + 8 + height > window.innerHeight && rect.top - 8 - height > 0) top = rect.top + window.scrollY - height - 8;
    popover.style.left = `${left}px`;
    popover.style.top = `${top}px`;
  }

  function closePopover(returnFocus) {
    if (popover.hidden) return;
    popover.hidden = true;
    document.querySelectorAll('#marked .hl[aria-expanded="true"]').forEach((b) => b.setAttribute("aria-expanded", "false"));
    state.openIndex = -1;
    if (returnFocus && state.trigger && document.contains(state.trigger)) state.trigger.focus();
    state.trigger = null;
  }

  // --- trace ------------------------------------------------------------------------------

  function markedPassage(chars, start, end, spans, cls, titleOf) {
    const parts = [];
    let pos = start;
    for (const s of spans) {
      const [a, b] = s.range;
      if (a < pos || b > end) continue;
      parts.push(slice(chars, pos, a), el("mark", { class: cls, title: titleOf(s.sub), text: slice(chars, a, b) }));
      pos = b;
    }
    parts.push(slice(chars, pos, end));
    return el("div", { class: "textview" }, parts);
  }

  async function trace(text, request) {
    const section = $("trace");
    const status = $("trace-status");
    section.hidden = false;
    status.textContent = "Searching the index for the sources of this text…";
    status.classList.add("busy");
    try {
      const data = await postJSON("/api/trace", { text, top: 5 });
      if (request !== state.request) return;
      const matches = data.matches || [];
      status.classList.remove("busy");
      status.textContent = matches.length
        ? `${matches.length} indexed ${matches.length === 1 ? "document shares" : "documents share"} passages with this text.`
        : "No indexed document shares passages with this text.";
      const cards = [];
      for (const m of matches) {
        let source = null;
        try {
          source = (await api(`/api/documents/${encodeURIComponent(m.id)}`)).text;
        } catch (err) {
          source = null;
        }
        if (request !== state.request) return;
        cards.push(renderMatch(m, source));
      }
      $("trace-body").replaceChildren(...cards);
    } catch (err) {
      if (request !== state.request) return;
      status.classList.remove("busy");
      status.textContent = `Tracing failed: ${err.message}`;
    }
  }

  function renderMatch(m, sourceText) {
    const passages = m.passages || [];
    const subs = m.substitutions || [];
    const sourceChars = sourceText === null ? null : Array.from(sourceText);
    const stats = [];
    if (typeof m.score === "number") stats.push(`score ${m.score.toFixed(2)}`);
    if (typeof m.coverage === "number") stats.push(`covers ${pct(m.coverage)} of your text`);
    stats.push(`${passages.length} copied ${passages.length === 1 ? "passage" : "passages"}`);
    stats.push(`${subs.length} swapped ${subs.length === 1 ? "word" : "words"}`);
    const blocks = passages.map((p, k) => {
      const [qa, qb] = p.query;
      const [sa, sb] = p.source;
      const inside = subs.filter((s) => s.query[0] >= qa && s.query[1] <= qb);
      const mine = markedPassage(state.chars, qa, qb, inside.map((s) => ({ range: s.query, sub: s })), "swap",
        (s) => `source has ${quote(s.original)}`);
      const theirs = sourceChars
        ? markedPassage(sourceChars, sa, sb, subs.filter((s) => s.source[0] >= sa && s.source[1] <= sb).map((s) => ({ range: s.source, sub: s })), "orig",
          (s) => `your text has ${quote(s.spun)}`)
        : el("div", { class: "textview", text: "(the source text is not available)" });
      return el("div", { class: "passage", "aria-label": `passage ${k + 1}` },
        el("div", {}, el("h4", { text: "Your text" }), mine),
        el("div", {}, el("h4", { text: "Source" }), theirs));
    });
    const shown = blocks.slice(0, 3);
    const rest = blocks.slice(3);
    return el("article", { class: "match" },
      el("div", { class: "match-head" }, el("h3", { text: m.id }), el("span", { class: "stats", text: stats.join(" · ") })),
      shown,
      rest.length ? el("details", { class: "more" }, el("summary", { text: `${rest.length} more ${rest.length === 1 ? "passage" : "passages"}` }), rest) : null);
  }

  // --- wiring --------------------------------------------------------------------------------

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    check();
  });
  textarea.addEventListener("input", updateCount);
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      check();
    }
  });
  textarea.addEventListener("dragover", (event) => {
    if (event.dataTransfer && Array.from(event.dataTransfer.types).includes("Files")) {
      event.preventDefault();
      textarea.classList.add("dragging");
    }
  });
  textarea.addEventListener("dragleave", () => textarea.classList.remove("dragging"));
  textarea.addEventListener("drop", (event) => {
    textarea.classList.remove("dragging");
    if (event.dataTransfer && event.dataTransfer.files.length) {
      event.preventDefault();
      loadFile(event.dataTransfer.files[0]);
    }
  });
  $("file").addEventListener("change", (event) => {
    const file = event.target.files[0];
    event.target.value = "";
    loadFile(file);
  });
  $("example").addEventListener("click", async () => {
    showError("");
    try {
      textarea.value = (await api("/api/example")).text;
      state.filename = null;
      updateCount();
      check();
    } catch (err) {
      showError(err.message);
    }
  });
  $("view-diff").addEventListener("click", () => setView("diff"));
  $("view-clean").addEventListener("click", () => setView("clean"));
  $("copy").addEventListener("click", async () => {
    if (!state.report) return;
    try {
      await navigator.clipboard.writeText(state.report.restored);
      setStatus("Restored text copied.");
    } catch (err) {
      setView("clean");
      const range = document.createRange();
      range.selectNodeContents($("restored"));
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      setStatus("Select-all done: press Ctrl+C to copy the restored text.");
    }
  });
  $("save-report").addEventListener("click", async () => {
    if (!state.report) return;
    showError("");
    setStatus("Preparing the report…", true);
    try {
      let response;
      try {
        response = await fetch("/api/report", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          // (the options the shown result was checked with, whatever the box says now)
          body: JSON.stringify(withOptions({ text: state.text, filename: state.filename || null }, state.technical)),
        });
      } catch (err) {
        throw new Error("The server cannot be reached. Is unspin serve still running?");
      }
      if (!response.ok) {
        const data = await response.json().catch(() => null);
        throw new Error(data && data.message ? data.message : `The server answered ${response.status} ${response.statusText}.`);
      }
      // (the name the server gives it, after the uploaded file: "essay-unspin-report.html")
      const named = /filename\*=UTF-8''([^;]+)/.exec(response.headers.get("Content-Disposition") || "");
      const name = named ? decodeURIComponent(named[1]) : "unspin-report.html";
      const url = URL.createObjectURL(await response.blob());
      const link = el("a", { href: url, download: name });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      setStatus(`Report saved as ${name}.`);
    } catch (err) {
      setStatus("");
      showError(err.message);
    }
  });
  $("popover-close").addEventListener("click", () => closePopover(true));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !popover.hidden) {
      event.preventDefault();
      closePopover(true);
    }
  });
  document.addEventListener("click", (event) => {
    if (popover.hidden) return;
    if (popover.contains(event.target) || (event.target.closest && event.target.closest(".hl, .linklike"))) return;
    closePopover(false);
  });
  window.addEventListener("resize", () => {
    if (!popover.hidden) placePopover(document.querySelector(`#marked .hl[data-index="${state.openIndex}"]`));
  });

  const healthReady = api("/api/health").then((health) => {
    state.health = health;
    $("version").textContent = health.version;
    updateCount();
  });
  healthReady.catch((err) => showError(err.message));
  updateCount();
})();
