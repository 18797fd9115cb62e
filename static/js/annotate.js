// The review workspace: select text to quote it in the annotation form, link highlights to their threads,
// and keep the signing time of the decision form current. The page works without this file: the
// annotation form takes a typed quote (and start/end), and the server checks the quote either way.
//
// Positions are Unicode code points of the revision's plain text, as the server counts them (Python string
// indices). JavaScript strings count UTF-16 code units, so every length here goes through Array.from().
(() => {
  "use strict";

  const CONTEXT_CHARS = 32; // as reviewers/anchoring.py stores prefix and suffix

  const codePoints = (text) => Array.from(text).length;

  function setValue(field, value) {
    if (field) field.value = value;
  }

  // The selection, clipped to the revision text element, as code-point offsets into its text.
  function selectionIn(container) {
    const selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
    const range = selection.getRangeAt(0).cloneRange();
    if (!range.intersectsNode(container)) return null;
    const whole = document.createRange();
    whole.selectNodeContents(container);
    if (range.compareBoundaryPoints(Range.START_TO_START, whole) < 0) {
      range.setStart(whole.startContainer, whole.startOffset);
    }
    if (range.compareBoundaryPoints(Range.END_TO_END, whole) > 0) {
      range.setEnd(whole.endContainer, whole.endOffset);
    }
    if (range.collapsed) return null;
    const before = document.createRange();
    before.selectNodeContents(container);
    before.setEnd(range.startContainer, range.startOffset);
    let start = codePoints(before.toString());
    let exact = range.toString();
    // A double-click often takes the space after a word: leave surrounding whitespace out of the quote.
    const leading = exact.length - exact.trimStart().length;
    start += codePoints(exact.slice(0, leading));
    exact = exact.trim();
    if (!exact) return null;
    const end = start + codePoints(exact);
    const chars = Array.from(container.textContent);
    if (chars.slice(start, end).join("") !== exact) return null; // should not happen; let the server decide
    return {
      start,
      end,
      exact,
      prefix: chars.slice(Math.max(0, start - CONTEXT_CHARS), start).join(""),
      suffix: chars.slice(end, end + CONTEXT_CHARS).join(""),
    };
  }

  function setUpAnnotationForm(container, form) {
    const field = (name) => form.elements.namedItem(name);
    const status = document.getElementById("quote-status");
    let filledFromSelection = false;
    let timer = null;

    function fill() {
      const found = selectionIn(container);
      if (!found) return;
      setValue(field("exact"), found.exact);
      setValue(field("start"), String(found.start));
      setValue(field("end"), String(found.end));
      setValue(field("prefix"), found.prefix);
      setValue(field("suffix"), found.suffix);
      filledFromSelection = true;
      if (status) {
        status.textContent = `Quoted ${codePoints(found.exact)} characters (${found.start}–${found.end}). Now write your note below.`;
      }
    }

    document.addEventListener("selectionchange", () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(fill, 150);
    });
    container.addEventListener("mouseup", fill);
    container.addEventListener("keyup", fill);

    // Typed by hand after a selection: the positions and context no longer describe the quote.
    field("exact").addEventListener("input", () => {
      setValue(field("prefix"), "");
      setValue(field("suffix"), "");
      if (filledFromSelection) {
        setValue(field("start"), "");
        setValue(field("end"), "");
        filledFromSelection = false;
      }
    });
    for (const name of ["start", "end"]) {
      field(name).addEventListener("input", () => {
        setValue(field("prefix"), "");
        setValue(field("suffix"), "");
        filledFromSelection = false;
      });
    }

    // A safety concern always blocks approval; show it.
    const kind = field("kind");
    const blocking = field("blocking");
    if (kind && blocking) {
      kind.addEventListener("change", () => {
        if (kind.value === "safety") blocking.checked = true;
      });
    }
  }

  // Highlights and threads point at each other.
  function setUpThreads(container) {
    const marksFor = (id) =>
      container.querySelectorAll(`mark[data-annotation-ids~="${CSS.escape(String(id))}"]`);

    function activate(id) {
      for (const mark of container.querySelectorAll("mark.annotation.active")) mark.classList.remove("active");
      for (const item of document.querySelectorAll(".thread.active")) item.classList.remove("active");
      if (!id) return;
      for (const mark of marksFor(id)) mark.classList.add("active");
      const item = document.getElementById(`annotation-${id}`);
      if (item) item.classList.add("active");
    }

    container.addEventListener("click", (event) => {
      const mark = event.target.closest("mark.annotation");
      if (!mark || !window.getSelection().isCollapsed) return;
      const id = mark.dataset.annotationId;
      activate(id);
      const item = document.getElementById(`annotation-${id}`);
      if (item) {
        item.setAttribute("tabindex", "-1");
        item.focus({ preventScroll: true });
        item.scrollIntoView({ block: "nearest", behavior: "smooth" });
      }
    });

    for (const item of document.querySelectorAll(".thread[data-annotation-id]")) {
      const id = item.dataset.annotationId;
      item.addEventListener("mouseenter", () => activate(id));
      item.addEventListener("focusin", () => activate(id));
    }
  }

  // The decision form shows the server's UTC time at page load; move it on as time passes.
  function setUpSigningClock() {
    const clocks = document.querySelectorAll(".signing-time");
    if (clocks.length === 0) return;
    const shown = clocks[0].textContent.trim();
    const serverTime = Date.parse(`${shown.replace(" ", "T")}Z`);
    if (Number.isNaN(serverTime)) return;
    const loadedAt = performance.now();
    const tick = () => {
      const now = new Date(serverTime + (performance.now() - loadedAt));
      const text = now.toISOString().slice(0, 19).replace("T", " ");
      for (const clock of clocks) clock.textContent = text;
    };
    window.setInterval(tick, 1000);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const container = document.getElementById("revision-text");
    const form = document.getElementById("annotation-form");
    if (container && form) setUpAnnotationForm(container, form);
    if (container) setUpThreads(container);
    setUpSigningClock();
  });
})();
