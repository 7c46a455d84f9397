// Reading and coding. A selection in the transcript (mouse, or keyboard: Shift+arrows inside a
// focused turn) opens the coding form as a popover beside it, with the code search focused;
// selection.js has already put its [start, end) in code points into the form. Clicking a
// highlight (or Enter on it) shows the codings under it in the side panel, read on demand.
(() => {
  const reading = document.querySelector("[data-coding]");
  if (!reading) return;
  const text = reading.querySelector(".reading-text");
  const form = document.querySelector("[data-selection-form]");
  const turns = () => Array.from(text.querySelectorAll(".coding-turn"));

  // The highlight panel: the codings under one point of the text.
  function showCodings(mark) {
    for (const picked of text.querySelectorAll("mark.picked")) picked.classList.remove("picked");
    mark.classList.add("picked");
    const url = `${reading.dataset.detailsUrl}?at=${mark.dataset.offset}`;
    htmx.ajax("GET", url, { target: "#coding-details", swap: "none" });
  }

  text.addEventListener("click", (event) => {
    const mark = event.target.closest("mark.coded");
    if (mark && window.getSelection().isCollapsed) showCodings(mark);
  });

  // Roving focus: one turn is in the tab order; arrows move between turns and their highlights.
  function focusTurn(turn, options = {}) {
    if (!turn) return;
    for (const other of turns()) other.tabIndex = -1;
    turn.tabIndex = 0;
    turn.focus(options);
  }
  const first = text.querySelector(".coding-turn");
  if (first) first.tabIndex = 0;

  function startSelectionIn(turn) {
    const selection = window.getSelection();
    const inside = selection.rangeCount && turn.contains(selection.anchorNode);
    if (inside) return selection;
    const piece = turn.querySelector("p [data-offset]");
    if (!piece || !piece.firstChild) return null;
    selection.collapse(piece.firstChild, 0);
    return selection;
  }

  text.addEventListener("keydown", (event) => {
    const turn = event.target.closest(".coding-turn");
    if (!turn) return;
    const mark = event.target.closest("mark.coded");
    const key = event.key;
    if (event.shiftKey && (key === "ArrowRight" || key === "ArrowLeft")) {
      const selection = startSelectionIn(turn);
      if (!selection) return;
      event.preventDefault();
      selection.modify("extend", key === "ArrowRight" ? "forward" : "backward", event.altKey ? "character" : "word");
    } else if (key === "ArrowDown" || key === "ArrowUp") {
      event.preventDefault();
      focusTurn(key === "ArrowDown" ? turn.nextElementSibling : turn.previousElementSibling);
    } else if (key === "ArrowRight" || key === "ArrowLeft") {
      const marks = Array.from(turn.querySelectorAll("mark.coded"));
      if (!marks.length) return;
      event.preventDefault();
      const at = marks.indexOf(mark);
      const next = key === "ArrowRight" ? marks[at + 1] || marks[0] : marks[at - 1] || marks[marks.length - 1];
      next.focus();
    } else if ((key === "Enter" || key === " ") && mark) {
      event.preventDefault();
      showCodings(mark);
    } else if (!form || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    } else if (key === "c" || key === "C" || key === "Enter") {
      if (openPopover()) event.preventDefault();
    } else if (key === "j" || key === "J") {
      const selection = window.getSelection();
      if (selection.isCollapsed || !text.contains(selection.anchorNode)) return;
      readSelection(form);
      if (!hasSelection()) return;
      event.preventDefault();
      window.location.assign(journalUrl());
    }
  });

  if (!form) return;
  const search = form.querySelector("[name=new_code]");
  const choices = Array.from(form.querySelectorAll(".code-choices label[data-label]"));
  const hint = form.querySelector("[data-new-hint]");
  const journalLink = () => form.querySelector("[data-journal-link]");
  const hasSelection = () => Boolean(form.querySelector("[name=end]").value);
  const journalUrl = () => {
    const at = (name) => form.querySelector(`[name=${name}]`).value;
    return `${form.dataset.journalUrl}&${new URLSearchParams({ start: at("start"), end: at("end") })}`;
  };
  let returnTo = null; // the id of the turn to go back to

  // Until it is applied, the selection stays visible while the search field has the focus.
  function holdSelection() {
    const selection = window.getSelection();
    if (!window.CSS || !CSS.highlights || !selection.rangeCount || selection.isCollapsed) return;
    CSS.highlights.set("pending-coding", new Highlight(selection.getRangeAt(0).cloneRange()));
  }

  function filter() {
    const typed = search.value.trim().toLowerCase();
    let exact = false;
    for (const choice of choices) {
      const label = choice.dataset.label;
      exact ||= label === typed;
      choice.hidden = Boolean(typed) && !label.includes(typed) && !choice.querySelector("input").checked;
    }
    hint.textContent = !typed
      ? "Enter applies the ticked codes; a name no code has makes a new code."
      : exact
        ? `Enter applies “${search.value.trim()}”.`
        : `Enter creates the code “${search.value.trim()}” and applies it.`;
  }

  function openPopover() {
    const selection = window.getSelection();
    if (!selection.rangeCount || selection.isCollapsed) return false;
    readSelection(form); // selection.js: now, without waiting for its selectionchange
    if (!hasSelection()) return false;
    const range = selection.getRangeAt(0);
    if (!text.contains(range.commonAncestorContainer)) return false;
    const turn = range.startContainer.parentElement.closest(".coding-turn");
    returnTo = turn && turn.id;
    holdSelection();
    const box = range.getBoundingClientRect();
    form.classList.add("floating");
    const width = form.offsetWidth;
    const left = Math.min(window.scrollX + box.left, window.scrollX + document.documentElement.clientWidth - width - 16);
    form.style.left = `${Math.max(window.scrollX + 8, left)}px`;
    form.style.top = `${window.scrollY + box.bottom + 8}px`;
    journalLink().href = journalUrl();
    search.value = "";
    filter();
    search.focus({ preventScroll: true });
    return true;
  }

  function closePopover({ clear = false } = {}) {
    form.classList.remove("floating");
    form.style.left = form.style.top = "";
    if (window.CSS && CSS.highlights) CSS.highlights.delete("pending-coding");
    if (clear) {
      for (const box of form.querySelectorAll("input[type=checkbox]")) box.checked = false;
      search.value = "";
      filter();
      window.getSelection().removeAllRanges();
    }
    // The turn may have been swapped for its coded self: find it again by its id.
    if (returnTo) focusTurn(document.getElementById(returnTo), { preventScroll: true });
    returnTo = null;
  }

  // A popover from now on, positioned against the page whatever the columns do.
  form.classList.add("popover");
  document.body.append(form);
  text.addEventListener("mouseup", () => setTimeout(openPopover, 0));
  search.addEventListener("input", filter);
  search.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") {
      const visible = choices.find((choice) => !choice.hidden);
      if (visible) { event.preventDefault(); visible.querySelector("input").focus(); }
    } else if (event.key === "Enter") {
      const typed = search.value.trim().toLowerCase();
      const match = choices.find((choice) => choice.dataset.label === typed);
      if (match) {
        match.querySelector("input").checked = true;
        search.value = "";
      }
    }
  });
  form.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { event.preventDefault(); closePopover(); }
  });
  document.addEventListener("mousedown", (event) => {
    if (form.classList.contains("floating") && !form.contains(event.target)) closePopover();
  });
  form.addEventListener("htmx:afterRequest", (event) => {
    if (event.detail.elt === form && event.detail.successful) closePopover({ clear: true });
  });
})();
