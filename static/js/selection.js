// A text selection inside the transcript becomes the [start, end) of the page's
// [data-selection-form], in Unicode code points as the server counts them (JavaScript strings
// count UTF-16 units, so an emoji before the selection would otherwise shift it).
// Every piece of transcript text is an element with data-offset: its first code point's offset.

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

document.addEventListener("selectionchange", () => {
  const form = document.querySelector("[data-selection-form]");
  if (form) readSelection(form);
});
