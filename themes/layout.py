"""The thematic map's geometry: how big a node is (its label wrapped), where nodes go before
anyone has moved them, where a link meets a node's border, the frame around the whole, and what
changed between two maps. Pure: it imports nothing from Django.

A node is a theme, a subtheme or a code; its (x, y) is its centre, in the SVG's user units.
Before a node is dragged it has no stored position and sits where the default layout puts it:
the top-level themes as blocks in rows, each a small tree — the theme above its codes (in
columns) and its subthemes, each subtheme above its own codes. An unmoved node keeps its offset
from the node it hangs under (its anchor), so the codes of a moved theme go with it."""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

THEME, SUBTHEME, CODE = "theme", "subtheme", "code"
KINDS = (THEME, SUBTHEME, CODE)
# The links drawn from the data, besides the typed links people add.
IN_THEME = "in_theme"  # a code in a theme: light, unlabelled
SUBTHEME_OF = "subtheme_of"
RELATES_TO = "relates_to"
IN_TENSION_WITH = "in_tension_with"
SYMMETRIC = {RELATES_TO, IN_TENSION_WITH}

FONT = {THEME: 18, SUBTHEME: 15, CODE: 13}
WEIGHT = {THEME: "700", SUBTHEME: "600", CODE: "400"}
WRAP = {THEME: 20, SUBTHEME: 20, CODE: 18}  # characters per line
# Average advance of a glyph as a share of the font size, on the generous side so that a label
# fits its box in any sans-serif the reader's machine has (bold is wider).
GLYPH = {THEME: 0.62, SUBTHEME: 0.6, CODE: 0.56}
PAD = {THEME: (16, 10), SUBTHEME: (14, 8), CODE: (12, 6)}
LINE = 1.25  # line height, in font sizes
STATUS_FONT = 11
MIN_WIDTH = 60

# The default layout.
SIBLING_GAP = 24
LEVEL_GAP = 48
CODE_GAP = 10
CODES_PER_COLUMN = 6
BLOCK_GAP_X = 96
BLOCK_GAP_Y = 72
ASPECT = 1.3  # width over height the rows of blocks aim at: a page-wide figure

MARGIN = 24
LEGEND_GAP = 36

# A figure the full width of a journal page, at print resolution.
FIGURE_MM = 170
PRINT_DPI = 300
PRINT_WIDTH_PX = round(FIGURE_MM / 25.4 * PRINT_DPI)  # 2008
MM_PER_POINT = 25.4 / 72
READABLE_PT = 7  # what journals ask of the smallest text in a figure


def wrap(text: str, limit: int) -> list[str]:
    """The text in lines of at most `limit` characters, broken between words (a longer word is
    cut)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        while len(word) > limit:
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:limit])
            word = word[limit:]
        if not line:
            line = word
        elif len(line) + 1 + len(word) <= limit:
            line = f"{line} {word}"
        else:
            lines.append(line)
            line = word
    if line or not lines:
        lines.append(line)
    return lines


@dataclass
class Node:
    key: str  # "theme:<uuid>" or "code:<uuid>"
    kind: str  # THEME, SUBTHEME or CODE
    label: str
    status: str = ""  # shown under a theme's name until it is final
    x: float = 0.0
    y: float = 0.0
    placed: bool = False  # its position was stored (someone moved it)
    anchor: str | None = None  # the key of the node it hangs under
    db_id: int | None = None  # the theme's or code's primary key

    @cached_property
    def lines(self) -> list[str]:
        return wrap(self.label, WRAP[self.kind])

    @property
    def status_shown(self) -> str:
        return self.status if self.kind != CODE and self.status not in {"", "final"} else ""

    @cached_property
    def size(self) -> tuple[float, float]:
        font, (pad_x, pad_y) = FONT[self.kind], PAD[self.kind]
        lines = self.lines
        width = max(len(line) for line in lines) * GLYPH[self.kind] * font
        height = len(lines) * font * LINE
        if self.status_shown:
            width = max(width, len(self.status_shown) * 0.55 * STATUS_FONT)
            height += STATUS_FONT * LINE
        return max(MIN_WIDTH, round(width + 2 * pad_x)), round(height + 2 * pad_y)

    def box(self) -> tuple[float, float, float, float]:
        """Left, top, right, bottom."""
        width, height = self.size
        return self.x - width / 2, self.y - height / 2, self.x + width / 2, self.y + height / 2


@dataclass(frozen=True)
class Link:
    source: str
    target: str
    kind: str  # IN_THEME, SUBTHEME_OF, RELATES_TO or IN_TENSION_WITH
    label: str = ""
    implicit: bool = False  # drawn from the data, not added by someone
    uuid: str = ""  # a typed link's, to remove it

    @property
    def identity(self) -> str:
        """What makes two links the same link (the order of the ends of a symmetric kind does
        not matter)."""
        ends = (
            sorted((self.source, self.target))
            if self.kind in SYMMETRIC
            else (self.source, self.target)
        )
        return f"{ends[0]} {self.kind} {ends[1]}"


@dataclass
class Branch:
    """A theme in the default layout, with its codes (nodes) and subthemes (branches)."""

    node: Node
    codes: list[Node] = field(default_factory=list)
    children: list["Branch"] = field(default_factory=list)


@dataclass
class _Block:
    width: float
    height: float
    # node key → centre, relative to the block's top-left corner
    centres: dict[str, tuple[float, float]] = field(default_factory=dict)

    def shifted(self, dx: float, dy: float) -> dict[str, tuple[float, float]]:
        return {key: (x + dx, y + dy) for key, (x, y) in self.centres.items()}


def _codes_column(codes: list[Node]) -> _Block:
    width = max(code.size[0] for code in codes)
    block, y = _Block(width, 0), 0.0
    for code in codes:
        height = code.size[1]
        block.centres[code.key] = (width / 2, y + height / 2)
        y += height + CODE_GAP
    block.height = y - CODE_GAP
    return block


def _block(branch: Branch) -> _Block:
    """The theme above a row: its codes in columns, then its subthemes' blocks. The theme sits
    over its first column of codes, so that the lines to them run straight down behind them."""
    head_width, head_height = branch.node.size
    columns = [
        _codes_column(branch.codes[at : at + CODES_PER_COLUMN])
        for at in range(0, len(branch.codes), CODES_PER_COLUMN)
    ]
    parts = columns + [_block(child) for child in branch.children]
    if not parts:
        return _Block(head_width, head_height, {branch.node.key: (head_width / 2, head_height / 2)})
    row_width = sum(part.width for part in parts) + SIBLING_GAP * (len(parts) - 1)
    head_x = columns[0].width / 2 if columns else row_width / 2
    left = min(0.0, head_x - head_width / 2)  # a wide theme reaches past its row
    right = max(row_width, head_x + head_width / 2)
    block = _Block(right - left, head_height, {branch.node.key: (head_x - left, head_height / 2)})
    x, top = -left, head_height + LEVEL_GAP
    for part in parts:
        block.centres.update(part.shifted(x, top))
        x += part.width + SIBLING_GAP
    block.height = top + max(part.height for part in parts)
    return block


def arrange(roots: Iterable[Branch]) -> dict[str, tuple[float, float]]:
    """Default centres for every node of the trees: each top-level theme's tree is a block, and
    the blocks fill rows about as wide as the whole is tall (times ASPECT), in their order."""
    blocks = [_block(root) for root in roots]
    if not blocks:
        return {}
    area = sum((b.width + BLOCK_GAP_X) * (b.height + BLOCK_GAP_Y) for b in blocks)
    row_limit = max(max(b.width for b in blocks), math.sqrt(area * ASPECT))
    centres: dict[str, tuple[float, float]] = {}
    x = y = row_height = 0.0
    for block in blocks:
        if x > 0 and x + block.width > row_limit:
            x, y, row_height = 0.0, y + row_height + BLOCK_GAP_Y, 0.0
        centres.update(block.shifted(x, y))
        x += block.width + BLOCK_GAP_X
        row_height = max(row_height, block.height)
    return {key: (round(cx, 1), round(cy, 1)) for key, (cx, cy) in centres.items()}


def anchors(roots: Iterable[Branch]) -> dict[str, str]:
    """Each node's anchor: the theme it hangs under in the default layout."""
    found: dict[str, str] = {}

    def visit(branch: Branch) -> None:
        for code in branch.codes:
            found[code.key] = branch.node.key
        for child in branch.children:
            found[child.node.key] = branch.node.key
            visit(child)

    for root in roots:
        visit(root)
    return found


def place(
    nodes: list[Node],
    defaults: Mapping[str, tuple[float, float]],
    stored: Mapping[str, tuple[float, float]],
    hung: Mapping[str, str],
) -> None:
    """Set every node's position: its stored one, or its default offset from where its anchor
    now is. `nodes` come anchors first (as the layout visits them). A theme nobody has placed
    is then moved down, with what hangs under it, off any node that was placed where it would
    be (the default layout does not know where people put things)."""
    where: dict[str, tuple[float, float]] = {}
    for node in nodes:
        node.anchor = hung.get(node.key)
        if node.key in stored:
            node.x, node.y = stored[node.key]
            node.placed = True
        elif node.anchor in where and node.anchor in defaults and node.key in defaults:
            ax, ay = where[node.anchor]
            dx, dy = defaults[node.anchor]
            x, y = defaults[node.key]
            node.x, node.y = round(ax + x - dx, 1), round(ay + y - dy, 1)
        else:
            node.x, node.y = defaults.get(node.key, (0.0, 0.0))
        where[node.key] = (node.x, node.y)
    if stored:
        _clear_of_placed(nodes, defaults)


def _overlap(a: tuple, b: tuple, gap: float = 12) -> bool:
    return a[0] < b[2] + gap and b[0] < a[2] + gap and a[1] < b[3] + gap and b[1] < a[3] + gap


def _clear_of_placed(nodes: list[Node], defaults: Mapping[str, tuple[float, float]]) -> None:
    groups: dict[str, list[Node]] = {}  # an unplaced top theme → it and what hangs under it
    group_of: dict[str, str] = {}
    fixed = []
    for node in nodes:
        if node.key not in defaults:
            continue  # not drawn
        if not node.placed and node.anchor in group_of:
            group_of[node.key] = group_of[node.anchor]
            groups[group_of[node.key]].append(node)
        elif not node.placed and node.anchor is None:
            group_of[node.key] = node.key
            groups[node.key] = [node]
        else:
            fixed.append(node.box())
    for group in groups.values():
        for _attempt in range(len(fixed) + 1):
            boxes = [node.box() for node in group]
            whole = (min(b[0] for b in boxes), min(b[1] for b in boxes),
                     max(b[2] for b in boxes), max(b[3] for b in boxes))  # fmt: skip
            near = [f for f in fixed if _overlap(whole, f)]
            hit = [f for f in near if any(_overlap(box, f) for box in boxes)]
            if not hit:
                break
            shift = max(f[3] for f in hit) + LEVEL_GAP - min(box[1] for box in boxes)
            for node in group:
                node.y = round(node.y + shift, 1)
        fixed.extend(node.box() for node in group)


def border_point(node: Node, toward: tuple[float, float], gap: float = 3) -> tuple[float, float]:
    """Where the line from the node's centre toward a point leaves its box (plus a small gap,
    so that an arrowhead is not hidden under the box)."""
    dx, dy = toward[0] - node.x, toward[1] - node.y
    if dx == 0 and dy == 0:
        return node.x, node.y
    width, height = node.size
    scales = []
    if dx:
        scales.append((width / 2 + gap) / abs(dx))
    if dy:
        scales.append((height / 2 + gap) / abs(dy))
    scale = min(1.0, *scales)
    return round(node.x + dx * scale, 1), round(node.y + dy * scale, 1)


def bounds(nodes: Iterable[Node]) -> tuple[float, float, float, float] | None:
    boxes = [node.box() for node in nodes]
    if not boxes:
        return None
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def small_text(nodes: Iterable[Node]) -> int:
    """The size of the map's smallest labels, which link labels and the legend share: that of
    the smallest kind of node on it."""
    return min((FONT[node.kind] for node in nodes), default=FONT[THEME])


def smallest_printed_pt(view_width: float, font: float = FONT[CODE]) -> float:
    """The size, in points, of text of `font` user units once the map is printed FIGURE_MM wide."""
    return round(font * FIGURE_MM / view_width / MM_PER_POINT, 1)


def print_height(view_width: float, view_height: float) -> int:
    """The height in pixels of the map at print resolution, PRINT_WIDTH_PX wide."""
    return round(PRINT_WIDTH_PX * view_height / view_width)


# What changed between two maps -------------------------------------------------------------


@dataclass(frozen=True)
class Differences:
    nodes_added: list[Node]
    nodes_removed: list[Node]
    relabelled: list[tuple[Node, str]]  # the node as it is in the newer map, its older label
    moved: int
    links_added: list[Link]
    links_removed: list[Link]
    links_relabelled: list[tuple[Link, str]]

    def __bool__(self) -> bool:
        return bool(
            self.nodes_added
            or self.nodes_removed
            or self.relabelled
            or self.moved
            or self.links_added
            or self.links_removed
            or self.links_relabelled
        )


def differences(
    old: tuple[list[Node], list[Link]], new: tuple[list[Node], list[Link]]
) -> Differences:
    """Nodes and links only in the newer map (added), only in the older one (removed), renamed,
    and how many nodes were moved. Each list keeps the order of the map it comes from."""
    (old_nodes, old_links), (new_nodes, new_links) = old, new
    before = {node.key: node for node in old_nodes}
    after = {node.key: node for node in new_nodes}
    links_before = {link.identity: link for link in old_links}
    links_after = {link.identity: link for link in new_links}
    return Differences(
        nodes_added=[node for key, node in after.items() if key not in before],
        nodes_removed=[node for key, node in before.items() if key not in after],
        relabelled=[
            (node, before[key].label)
            for key, node in after.items()
            if key in before and before[key].label != node.label
        ],
        moved=sum(
            1
            for key, node in after.items()
            if key in before and (before[key].x, before[key].y) != (node.x, node.y)
        ),
        links_added=[link for key, link in links_after.items() if key not in links_before],
        links_removed=[link for key, link in links_before.items() if key not in links_after],
        links_relabelled=[
            (link, links_before[key].label)
            for key, link in links_after.items()
            if key in links_before and links_before[key].label != link.label
        ],
    )
