// The theme board. Drag a code chip onto a theme, a subtheme, the miscellaneous area, or back to
// the codes in no theme; hold Ctrl, Alt or Cmd while dropping to copy it (a code can sit in
// several themes) instead of moving it. Dragging uses pointer events (mouse, pen and touch
// alike), not the HTML drag-and-drop API. By keyboard (or a click): a chip is a button that opens
// a "Move to…" menu of the same places. A drop is a POST through htmx, answered with the board
// (#theme-board) as it now is; the board region is swapped, so everything here is looked up
// afresh and listens on the document. Without this script the board's form does the same.
(() => {
  const BOARD = "#theme-board[data-board]";
  if (!document.querySelector(BOARD)) return;
  const board = () => document.querySelector(BOARD);
  const copyKey = (event) => event.ctrlKey || event.altKey || event.metaKey;

  // Where a place's chips are: the drop zone itself, not its subthemes.
  function zoneFor(key) {
    const root = board();
    if (!root) return null;
    if (key === "holding") return root.querySelector("#theme-holding");
    return root.querySelector(`[data-drop="${CSS.escape(key)}"]`);
  }

  // After a choice from the menu: the focus goes to the code in its new place — or, if it left
  // for no visible place (taken out, but still in another theme), to the place it left.
  function focusAfter(code, key, left) {
    const root = board();
    if (!root) return;
    const errors = root.querySelector(".form-errors");
    const zone = zoneFor(key);
    const chip = zone && Array.from(zone.querySelectorAll(".theme-chip")).find(
      (chip) => chip.dataset.code === code && chip.closest("[data-drop]") === zone,
    );
    const fallback = zoneFor(left);
    if (errors) {
      errors.tabIndex = -1;
      errors.focus();
    } else if (chip) {
      chip.focus();
    } else if (fallback) {
      fallback.tabIndex = -1;
      fallback.focus();
    }
  }

  // `focusKey`: after a choice from the menu, the place where the chip should have the focus.
  function post(url, values, code, focusKey, left) {
    htmx.ajax("POST", url, { target: "#theme-board", swap: "outerHTML", values }).then(() => {
      if (focusKey !== null) focusAfter(code, focusKey, left);
    });
  }

  // A chip put somewhere: a theme's uuid, "holding" (the area not made yet) or "" (no theme).
  function place(chip, key, { copy = false, focus = false } = {}) {
    const root = board();
    const code = chip.dataset.code;
    const from = chip.dataset.from;
    if (key === from) return; // back where it was
    if (key === "") {
      if (from) post(root.dataset.unplaceUrl, { code, theme: from }, code, focus ? "" : null, from);
      return;
    }
    const values = { code, theme: key };
    if (from && !copy) values.from = from;
    post(root.dataset.placeUrl, values, code, focus ? key : null, from);
  }

  // Dragging -------------------------------------------------------------------------------------
  let drag = null;
  let swallowClick = false;

  function zoneAt(x, y) {
    const under = document.elementFromPoint(x, y);
    const zone = under && under.closest("[data-drop], .theme-card");
    // A discarded theme (a card without data-drop) takes no codes, nor does the card around it.
    return zone && zone.hasAttribute("data-drop") && board() && board().contains(zone) ? zone : null;
  }

  function light(zone) {
    if (drag.over === zone) return;
    if (drag.over) drag.over.classList.remove("drop-over");
    drag.over = zone;
    if (zone && zone.dataset.drop !== drag.chip.dataset.from) zone.classList.add("drop-over");
  }

  function start(event) {
    const box = drag.chip.getBoundingClientRect();
    drag.active = true;
    drag.dx = drag.startX - box.left;
    drag.dy = drag.startY - box.top;
    drag.ghost = drag.chip.cloneNode(true);
    drag.ghost.removeAttribute("id");
    drag.ghost.setAttribute("aria-hidden", "true");
    drag.ghost.classList.add("chip-ghost");
    drag.ghost.style.width = `${box.width}px`;
    document.body.append(drag.ghost);
    drag.chip.classList.add("dragging");
    document.body.classList.add("board-dragging");
    closeMenu();
  }

  function follow(event) {
    drag.ghost.style.left = `${event.clientX - drag.dx}px`;
    drag.ghost.style.top = `${event.clientY - drag.dy}px`;
    drag.ghost.classList.toggle("copying", Boolean(drag.chip.dataset.from) && copyKey(event));
  }

  function stop() {
    if (!drag) return;
    if (drag.ghost) drag.ghost.remove();
    if (drag.over) drag.over.classList.remove("drop-over");
    drag.chip.classList.remove("dragging");
    document.body.classList.remove("board-dragging");
    drag = null;
  }

  document.addEventListener("pointerdown", (event) => {
    swallowClick = false;
    const chip = event.target.closest(".theme-chip");
    if (!chip || event.button !== 0 || !board() || !board().contains(chip)) return;
    drag = { chip, startX: event.clientX, startY: event.clientY, pointer: event.pointerId, active: false, over: null };
  });

  document.addEventListener("pointermove", (event) => {
    if (!drag || event.pointerId !== drag.pointer) return;
    if (!drag.active) {
      if (Math.hypot(event.clientX - drag.startX, event.clientY - drag.startY) < 5) return;
      start(event);
    }
    event.preventDefault();
    follow(event);
    light(zoneAt(event.clientX, event.clientY));
  });

  document.addEventListener("pointerup", (event) => {
    if (!drag || event.pointerId !== drag.pointer) return;
    if (!drag.active) {
      drag = null; // a click: it opens the menu
      return;
    }
    const { chip } = drag;
    const zone = zoneAt(event.clientX, event.clientY);
    stop();
    swallowClick = true;
    if (zone) place(chip, zone.dataset.drop, { copy: copyKey(event) });
  });

  document.addEventListener("pointercancel", stop);
  document.addEventListener("keydown", (event) => {
    if (drag && drag.active && event.key === "Escape") stop();
  });

  // The "Move to…" menu --------------------------------------------------------------------------
  let menu = null;
  let menuChip = null;

  function closeMenu({ refocus = false } = {}) {
    if (!menu) return;
    menu.remove();
    menu = null;
    if (menuChip) menuChip.setAttribute("aria-expanded", "false");
    if (refocus && menuChip && document.body.contains(menuChip)) menuChip.focus();
    menuChip = null;
  }

  function group(title, entries) {
    const box = document.createElement("div");
    box.setAttribute("role", "group");
    const heading = document.createElement("p");
    heading.className = "menu-heading";
    heading.id = `move-menu-${Math.random().toString(36).slice(2)}`;
    heading.textContent = title;
    box.setAttribute("aria-labelledby", heading.id);
    box.append(heading);
    for (const [label, act] of entries) {
      const item = document.createElement("button");
      item.type = "button";
      item.setAttribute("role", "menuitem");
      item.tabIndex = -1;
      item.textContent = label;
      item.addEventListener("click", () => {
        closeMenu();
        act();
      });
      box.append(item);
    }
    menu.append(box);
  }

  function openMenu(chip) {
    closeMenu();
    const from = chip.dataset.from;
    const label = chip.dataset.label;
    const zones = Array.from(board().querySelectorAll("[data-drop]"));
    const places = zones.filter((zone) => zone.dataset.drop !== "" && zone.dataset.drop !== from);
    menu = document.createElement("div");
    menu.className = "move-menu";
    menu.setAttribute("role", "menu");
    menu.setAttribute("aria-label", `Where “${label}” goes`);
    const to = (copy) => places.map((zone) => [zone.dataset.name, () => place(chip, zone.dataset.drop, { copy, focus: true })]);
    if (from) {
      group(`Move “${label}” to`, to(false));
      group("Also put it in (it stays here too)", to(true));
      group("Or", [[`Take it out of “${chip.dataset.fromName}”`, () => place(chip, "", { focus: true })]]);
    } else {
      group(`Put “${label}” in`, to(false));
    }
    const box = chip.getBoundingClientRect();
    document.body.append(menu);
    const width = menu.offsetWidth;
    const left = Math.min(window.scrollX + box.left, window.scrollX + document.documentElement.clientWidth - width - 16);
    menu.style.left = `${Math.max(window.scrollX + 8, left)}px`;
    menu.style.top = `${window.scrollY + box.bottom + 4}px`;
    menuChip = chip;
    chip.setAttribute("aria-expanded", "true");
    const first = menu.querySelector("[role=menuitem]");
    if (first) first.focus();
  }

  document.addEventListener(
    "click",
    (event) => {
      if (!swallowClick) return;
      swallowClick = false;
      event.preventDefault();
      event.stopPropagation();
    },
    true,
  );

  document.addEventListener("click", (event) => {
    const chip = event.target.closest(".theme-chip");
    const again = chip && chip === menuChip; // a second click on the chip closes its menu
    if (menu && !menu.contains(event.target)) closeMenu();
    if (chip && !again && board() && board().contains(chip) && chip.tagName === "BUTTON") openMenu(chip);
  });

  document.addEventListener("keydown", (event) => {
    if (!menu || !menu.contains(event.target)) return;
    const items = Array.from(menu.querySelectorAll("[role=menuitem]"));
    const at = items.indexOf(event.target);
    let next = null;
    if (event.key === "ArrowDown") next = items[(at + 1) % items.length];
    else if (event.key === "ArrowUp") next = items[(at - 1 + items.length) % items.length];
    else if (event.key === "Home") next = items[0];
    else if (event.key === "End") next = items[items.length - 1];
    else if (event.key === "Escape") {
      event.preventDefault();
      closeMenu({ refocus: true });
      return;
    } else if (event.key === "Tab") {
      closeMenu({ refocus: true });
      return;
    }
    if (next) {
      event.preventDefault();
      next.focus();
    }
  });

  document.body.addEventListener("htmx:beforeSwap", () => closeMenu());

  // A form on the board (a new theme, a new subtheme, the form for placing a code) is swapped
  // with the board: the focus goes back to the same field, or to its closed section's summary.
  let focusedId = null;
  document.body.addEventListener("htmx:beforeRequest", (event) => {
    const active = document.activeElement;
    focusedId = board() && board().contains(event.detail.elt) && active && active.id ? active.id : null;
  });
  document.body.addEventListener("htmx:afterSettle", (event) => {
    if (!focusedId || !event.detail.target || event.detail.target.id !== "theme-board") return;
    const again = document.getElementById(focusedId);
    focusedId = null;
    if (!again) return;
    const closed = again.closest("details:not([open])");
    (closed ? closed.querySelector("summary") : again).focus();
  });
  window.addEventListener("resize", () => closeMenu());
})();
