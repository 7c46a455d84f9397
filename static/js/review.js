// The anonymisation workspace: move between identifiers with the keyboard and decide on the one
// in focus. (Selecting text to mark is selection.js's work.)

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

document.addEventListener("keydown", (event) => {
  if (event.target.matches("input, textarea, select") || event.ctrlKey || event.metaKey || event.altKey) return;
  if (!document.querySelector("[data-review]")) return;
  if (event.key === "j") moveFocus(1);
  else if (event.key === "k") moveFocus(-1);
  else if (event.key === "a" || event.key === "r") decideFocused(event.key);
});
