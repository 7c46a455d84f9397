// The anonymisation workspace: turn a text selection into code-point offsets for the
// "mark something missed" form, and move between identifiers with the keyboard.
// Offsets count Unicode code points, as the server does; JavaScript strings count UTF-16 units.

const codePoints = (text) => Array.from(text).length;

function offsetOf(node, offset) {
  // The code-point offset in the transcript of a point inside a [data-offset] piece.
  const piece = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
  const holder = piece && piece.closest("[data-offset]");
  if (!holder) return null;
  const before = node.nodeType === Node.TEXT_NODE ? node.textContent.slice(0, offset) : "";
  return Number(holder.dataset.offset) + codePoints(before);
}

function readSelection(form) {
  const selection = window.getSelection();
  if (!selection || selection.isCollapsed) return;
  const range = selection.getRangeAt(0);
  const start = offsetOf(range.startContainer, range.startOffset);
  const end = offsetOf(range.endContainer, range.endOffset);
  if (start === null || end === null || end <= start) return;
  form.querySelector("[name=start]").value = start;
  form.querySelector("[name=end]").value = end;
  form.querySelector("[data-selection-text]").textContent = `“${selection.toString()}”`;
}

function moveFocus(step) {
  const marks = Array.from(document.querySelectorAll("mark.candidate.pending"));
  if (!marks.length) return;
  const now = marks.indexOf(document.activeElement);
  const next = marks[(now + step + marks.length) % marks.length];
  next.focus();
  next.scrollIntoView({ block: "center" });
}

function decideFocused(key) {
  const mark = document.activeElement.closest && document.activeElement.closest("mark.candidate");
  if (!mark) return;
  const id = mark.id.replace("candidate-", "");
  const form = Array.from(document.querySelectorAll("form.decision")).find((f) =>
    f.closest(".entity").querySelector(`a[href="#candidate-${id}"]`),
  );
  const button = form && form.querySelector(`[data-key="${key}"]`);
  if (!button) return;
  form.querySelector("[name=candidate]").value = id; // this occurrence (and, if ticked, its entity everywhere)
  button.click();
}

document.addEventListener("selectionchange", () => {
  const form = document.querySelector("[data-selection-form]");
  if (form) readSelection(form);
});

document.addEventListener("keydown", (event) => {
  if (event.target.matches("input, textarea, select") || event.ctrlKey || event.metaKey || event.altKey) return;
  if (!document.querySelector("[data-review]")) return;
  if (event.key === "j") moveFocus(1);
  else if (event.key === "k") moveFocus(-1);
  else if (event.key === "a" || event.key === "r") decideFocused(event.key);
});
