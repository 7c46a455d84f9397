// Reconciling a transcript: step through the difference list with J/K (or the arrows); the
// current item is outlined in the list and its passage in the text (code-point offsets, as the
// server counts them, found in the text's [data-offset] pieces).
(() => {
  const root = document.querySelector("[data-reconcile]");
  if (!root) return;
  const text = root.querySelector(".reading-text");
  const list = root.querySelector(".diff-list");
  const items = Array.from(list.querySelectorAll(".diff-item"));
  if (!items.length) return;
  list.classList.add("stepping");

  // The text node and UTF-16 index of a code-point offset in the transcript.
  function pointAt(offset) {
    let found = null;
    for (const piece of text.querySelectorAll("[data-offset]")) {
      if (Number(piece.dataset.offset) > offset) break;
      found = piece;
    }
    if (!found || !found.firstChild) return null;
    const within = offset - Number(found.dataset.offset);
    const units = Array.from(found.textContent).slice(0, within).join("").length;
    return { node: found.firstChild, index: Math.min(units, found.firstChild.length) };
  }

  function show(item) {
    const start = pointAt(Number(item.dataset.start));
    const end = pointAt(Number(item.dataset.end));
    if (!start || !end || !window.CSS || !CSS.highlights) return;
    const range = document.createRange();
    range.setStart(start.node, start.index);
    range.setEnd(end.node, end.index);
    CSS.highlights.set("current-difference", new Highlight(range));
    start.node.parentElement.scrollIntoView({ block: "center" });
  }

  function select(item, { focus = true } = {}) {
    for (const other of items) other.classList.toggle("current", other === item);
    if (focus) item.focus({ preventScroll: false });
    show(item);
  }

  const fromHash = location.hash && document.getElementById(location.hash.slice(1));
  select(items.includes(fromHash) ? fromHash : items.find((item) => !item.classList.contains("decided")) || items[0], { focus: false });

  list.addEventListener("click", (event) => {
    const item = event.target.closest(".diff-item");
    if (item && !item.classList.contains("current")) select(item, { focus: false });
  });
  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, textarea, select") || event.ctrlKey || event.metaKey || event.altKey) return;
    const at = items.findIndex((item) => item.classList.contains("current"));
    if (event.key === "j" || event.key === "ArrowDown") {
      event.preventDefault();
      select(items[Math.min(at + 1, items.length - 1)]);
    } else if (event.key === "k" || event.key === "ArrowUp") {
      event.preventDefault();
      select(items[Math.max(at - 1, 0)]);
    } else if (event.key === "Enter" && event.target.closest(".diff-item")) {
      const rationale = items[at].querySelector("textarea");
      if (rationale) { event.preventDefault(); rationale.focus(); }
    }
  });
})();
