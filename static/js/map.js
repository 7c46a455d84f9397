// The thematic map. Drag a node (mouse, pen or touch), or focus it and move it with the arrow
// keys (Shift: larger steps): where it is left is saved for everyone. A node nobody has placed
// yet goes with the node it hangs under (a code with its theme), as the server lays it out.
// And the downloads: the SVG file the server draws, and a PNG of it at print resolution.
// Events are delegated from the document, so the map keeps working after htmx swaps it.
(() => {
  const STEP = 10;
  const BIG_STEP = 50;
  const GAP = 3; // between a node's border and the end of a link (room for an arrowhead)
  const MARGIN = 24;
  const KEY_SAVE_DELAY = 500;
  const DPI = 300;

  const region = () => document.querySelector("[data-map]");
  const round = (value) => Math.round(value * 10) / 10;

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function say(text, isError = false) {
    const status = document.querySelector("[data-map-status]");
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("map-status-error", isError);
  }

  // Nodes and links --------------------------------------------------------------------------

  const movable = (target) => target && target.closest && target.closest(".map-svg .map-node[data-key]");
  const position = (node) => [parseFloat(node.dataset.x), parseFloat(node.dataset.y)];
  const byKey = (svg, key) => svg.querySelector(`.map-node[data-key="${CSS.escape(key)}"]`);

  function size(node) {
    const rect = node.querySelector("rect");
    return [parseFloat(rect.getAttribute("width")), parseFloat(rect.getAttribute("height"))];
  }

  function setPosition(node, x, y) {
    node.dataset.x = round(x);
    node.dataset.y = round(y);
    node.setAttribute("transform", `translate(${round(x)} ${round(y)})`);
  }

  // Where the line from a node's centre toward a point leaves its box (as themes/layout.py).
  function borderPoint(node, toward) {
    const [x, y] = position(node);
    const dx = toward[0] - x;
    const dy = toward[1] - y;
    if (!dx && !dy) return [x, y];
    const [width, height] = size(node);
    const scales = [1];
    if (dx) scales.push((width / 2 + GAP) / Math.abs(dx));
    if (dy) scales.push((height / 2 + GAP) / Math.abs(dy));
    const scale = Math.min(...scales);
    return [round(x + dx * scale), round(y + dy * scale)];
  }

  function ends(svg, element) {
    const source = byKey(svg, element.dataset.source);
    const target = byKey(svg, element.dataset.target);
    if (!source || !target) return null;
    return [...borderPoint(source, position(target)), ...borderPoint(target, position(source))];
  }

  // The links (and their labels, drawn over the nodes) that touch the moved nodes.
  function redrawLinks(svg, keys) {
    for (const element of svg.querySelectorAll(".map-link, .map-link-label")) {
      if (!keys.has(element.dataset.source) && !keys.has(element.dataset.target)) continue;
      const points = ends(svg, element);
      if (!points) continue;
      const [x1, y1, x2, y2] = points;
      if (element.classList.contains("map-link-label")) {
        element.setAttribute("x", round((x1 + x2) / 2));
        element.setAttribute("y", round((y1 + y2) / 2 - 4));
        continue;
      }
      const line = element.querySelector("line");
      line.setAttribute("x1", x1);
      line.setAttribute("y1", y1);
      line.setAttribute("x2", x2);
      line.setAttribute("y2", y2);
    }
  }

  // The unplaced nodes that hang under this one, and those under them.
  function followers(svg, node) {
    const found = [];
    const todo = [node.dataset.key];
    const unplaced = Array.from(svg.querySelectorAll('.map-node[data-placed="0"]'));
    while (todo.length) {
      const key = todo.pop();
      for (const other of unplaced) {
        if (other.dataset.anchor === key && other !== node && !found.includes(other)) {
          found.push(other);
          todo.push(other.dataset.key);
        }
      }
    }
    return found;
  }

  function moveTo(node, x, y) {
    const svg = node.ownerSVGElement;
    const [oldX, oldY] = position(node);
    const dx = x - oldX;
    const dy = y - oldY;
    const moved = new Set([node.dataset.key]);
    setPosition(node, x, y);
    for (const other of followers(svg, node)) {
      const [ox, oy] = position(other);
      setPosition(other, ox + dx, oy + dy);
      moved.add(other.dataset.key);
    }
    redrawLinks(svg, moved);
  }

  // The frame grows to hold a node moved beyond it (the server frames it anew on reload).
  function fit(svg) {
    const box = svg.querySelector(".map-nodes").getBBox();
    const [x, y, w, h] = svg.getAttribute("viewBox").split(/[\s,]+/).map(Number);
    const left = Math.min(x, box.x - MARGIN);
    const top = Math.min(y, box.y - MARGIN);
    const width = Math.max(x + w, box.x + box.width + MARGIN) - left;
    const height = Math.max(y + h, box.y + box.height + MARGIN) - top;
    if (left === x && top === y && width === w && height === h) return;
    const frame = [left, top, width, height].map(round);
    svg.setAttribute("viewBox", frame.join(" "));
    svg.setAttribute("width", frame[2]);
    svg.setAttribute("height", frame[3]);
    const background = svg.querySelector(".map-background");
    for (const [name, value] of [["x", frame[0]], ["y", frame[1]], ["width", frame[2]], ["height", frame[3]]]) {
      background.setAttribute(name, value);
    }
  }

  // Saving -----------------------------------------------------------------------------------

  let saving = Promise.resolve();
  let unsaved = 0;

  // Post where the node now is, with where it was (`from`): the server refuses the move (409)
  // if someone else moved the node meanwhile, and says where it is now.
  function save(node, from) {
    const place = region();
    if (!place) return saving;
    const [x, y] = position(node);
    const label = node.dataset.label;
    const body = new URLSearchParams({ node: node.dataset.key, x, y, from_x: from[0], from_y: from[1] });
    unsaved += 1;
    saving = saving
      .then(() =>
        fetch(place.dataset.moveUrl, {
          method: "POST",
          body,
          credentials: "same-origin",
          headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
        }),
      )
      .then(async (response) => {
        const answer = await response.json().catch(() => ({}));
        if (response.ok) {
          node.dataset.placed = "1";
          say(`Moved “${label}”.`);
          return;
        }
        if (response.status === 409 && "x" in answer) {
          node.dataset.placed = "1";
          moveTo(node, answer.x, answer.y);
        } else {
          moveTo(node, from[0], from[1]);
        }
        say(answer.error || `“${label}” could not be moved (the server answered ${response.status}).`, true);
      })
      .catch(() => {
        moveTo(node, from[0], from[1]);
        say(`“${label}” could not be moved: check your connection and try again.`, true);
      })
      .finally(() => {
        unsaved -= 1;
      });
    return saving;
  }

  // Dragging ---------------------------------------------------------------------------------

  let drag = null;

  function pointIn(svg, event) {
    return new DOMPoint(event.clientX, event.clientY).matrixTransform(svg.getScreenCTM().inverse());
  }

  document.addEventListener("pointerdown", (event) => {
    const node = movable(event.target);
    if (!node || event.button !== 0) return;
    event.preventDefault();
    const svg = node.ownerSVGElement;
    const start = pointIn(svg, event);
    const from = position(node);
    drag = { node, svg, pointer: event.pointerId, offset: [start.x - from[0], start.y - from[1]], from, moved: false };
    node.setPointerCapture(event.pointerId);
    node.classList.add("dragging");
    node.focus({ preventScroll: true });
  });

  document.addEventListener("pointermove", (event) => {
    if (!drag || event.pointerId !== drag.pointer) return;
    const point = pointIn(drag.svg, event);
    const x = point.x - drag.offset[0];
    const y = point.y - drag.offset[1];
    if (!drag.moved && Math.hypot(x - drag.from[0], y - drag.from[1]) < 2) return;
    drag.moved = true;
    moveTo(drag.node, x, y);
  });

  function endDrag(event) {
    if (!drag || event.pointerId !== drag.pointer) return;
    const { node, svg, from, moved } = drag;
    drag = null;
    node.classList.remove("dragging");
    if (node.hasPointerCapture(event.pointerId)) node.releasePointerCapture(event.pointerId);
    if (!moved) return;
    if (event.type === "pointercancel") {
      moveTo(node, from[0], from[1]);
      return;
    }
    fit(svg);
    save(node, from);
  }
  document.addEventListener("pointerup", endDrag);
  document.addEventListener("pointercancel", endDrag);

  // The keyboard -----------------------------------------------------------------------------

  const ARROWS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  const timers = new WeakMap();

  function saveKeyed(node) {
    clearTimeout(timers.get(node));
    timers.delete(node);
    if (node.dataset.fromX === undefined) return;
    const from = [parseFloat(node.dataset.fromX), parseFloat(node.dataset.fromY)];
    delete node.dataset.fromX;
    delete node.dataset.fromY;
    fit(node.ownerSVGElement);
    save(node, from);
  }

  document.addEventListener("keydown", (event) => {
    const node = movable(event.target);
    const arrow = ARROWS[event.key];
    if (!node || !arrow || event.ctrlKey || event.metaKey || event.altKey) return;
    event.preventDefault();
    const step = event.shiftKey ? BIG_STEP : STEP;
    const [x, y] = position(node);
    if (node.dataset.fromX === undefined) {
      node.dataset.fromX = x;
      node.dataset.fromY = y;
    }
    clearTimeout(timers.get(node));
    moveTo(node, x + arrow[0] * step, y + arrow[1] * step);
  });

  document.addEventListener("keyup", (event) => {
    const node = movable(event.target);
    if (!node || !ARROWS[event.key] || node.dataset.fromX === undefined) return;
    clearTimeout(timers.get(node));
    timers.set(node, setTimeout(() => saveKeyed(node), KEY_SAVE_DELAY));
  });

  document.addEventListener("focusout", (event) => {
    const node = movable(event.target);
    if (node) saveKeyed(node);
  });

  // Downloads --------------------------------------------------------------------------------

  function download(blob, name) {
    const url = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }

  function filename(response, fallback) {
    const match = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
    return match ? match[1] : fallback;
  }

  const CRC_TABLE = (() => {
    const table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
    return table;
  })();

  function crc32(bytes) {
    let c = 0xffffffff;
    for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  }

  // The PNG with its resolution written in (a pHYs chunk after the header), so that a word
  // processor places it at print size.
  async function withResolution(blob, dpi) {
    const png = new Uint8Array(await blob.arrayBuffer());
    const view = new DataView(png.buffer);
    for (let at = 8; at + 8 <= png.length; ) {
      const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
      if (type === "pHYs") return blob;
      if (type === "IDAT" || type === "IEND") break;
      at += 12 + view.getUint32(at);
    }
    const perMetre = Math.round(dpi / 0.0254);
    const chunk = new Uint8Array(21);
    const out = new DataView(chunk.buffer);
    out.setUint32(0, 9);
    chunk.set([0x70, 0x48, 0x59, 0x73], 4); // "pHYs"
    out.setUint32(8, perMetre);
    out.setUint32(12, perMetre);
    chunk[16] = 1; // the unit is the metre
    out.setUint32(17, crc32(chunk.subarray(4, 17)));
    const afterHeader = 8 + 25; // the signature, then IHDR
    return new Blob([png.subarray(0, afterHeader), chunk, png.subarray(afterHeader)], { type: "image/png" });
  }

  async function downloadPng(button) {
    const place = region();
    const url = new URL(place.dataset.svgUrl, window.location.href);
    url.searchParams.set("format", "png");
    button.disabled = true;
    say("Drawing the PNG…");
    try {
      await saving;
      const response = await fetch(url, { credentials: "same-origin" });
      if (!response.ok) throw new Error(`the server answered ${response.status}`);
      const svg = new DOMParser().parseFromString(await response.text(), "image/svg+xml").documentElement;
      const [, , w, h] = svg.getAttribute("viewBox").split(/[\s,]+/).map(Number);
      const width = Number(place.dataset.printWidth);
      const height = Math.round((width * h) / w);
      // Drawn at its final size, the vector map is rasterised sharp, not scaled up.
      svg.setAttribute("width", width);
      svg.setAttribute("height", height);
      const image = new Image();
      image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(new XMLSerializer().serializeToString(svg))}`;
      await image.decode();
      const canvas = document.createElement("canvas");
      canvas.width = width;
      canvas.height = height;
      const context = canvas.getContext("2d");
      context.fillStyle = "#ffffff";
      context.fillRect(0, 0, width, height);
      context.drawImage(image, 0, 0, width, height);
      const blob = await new Promise((resolve, reject) =>
        canvas.toBlob((made) => (made ? resolve(made) : reject(new Error("the browser made no image"))), "image/png"),
      );
      download(await withResolution(blob, DPI), filename(response, "thematic-map.svg").replace(/\.svg$/, ".png"));
      say(`Downloaded the map as a PNG, ${width} × ${height} pixels (${DPI} dpi).`);
    } catch (error) {
      say(`The PNG could not be made: ${error.message}.`, true);
    } finally {
      button.disabled = false;
    }
  }

  document.addEventListener("click", (event) => {
    const png = event.target.closest("[data-export='png']");
    if (png) {
      event.preventDefault();
      downloadPng(png);
      return;
    }
    const svg = event.target.closest("[data-export='svg']");
    if (svg && unsaved > 0) {
      // Download the map once the moves being saved are in it.
      event.preventDefault();
      saving.then(() => window.location.assign(svg.href));
    }
  });

  // The PNG needs this script: its button shows only with it.
  function offerPng() {
    for (const button of document.querySelectorAll("[data-export='png']")) button.hidden = false;
  }
  offerPng();
  document.addEventListener("htmx:afterSettle", offerPng);
})();
