"""The thematic map drawn as SVG, for the page, the download and the snapshots alike. Pure: it
imports nothing from Django.

Everything that makes the drawing look as it does is a presentation attribute on its element
(fill, stroke, font-size …), never CSS: the page's Content-Security-Policy allows no inline
styles, and a file taken into a paper must look the same without the page's stylesheet. Fonts
are a generic family; sizes are in user units, so that the figure scales as one. Line styles,
not colours alone, tell the kinds of link apart, so that the map reads in grey print too."""

import re
from html import escape

from themes.layout import (
    CODE,
    FONT,
    IN_TENSION_WITH,
    IN_THEME,
    LEGEND_GAP,
    LINE,
    MARGIN,
    RELATES_TO,
    STATUS_FONT,
    SUBTHEME,
    SUBTHEME_OF,
    THEME,
    WEIGHT,
    Link,
    Node,
    border_point,
    bounds,
    small_text,
)

FONT_FAMILY = "Helvetica, Arial, sans-serif"
INK = "#1b1f24"
MUTED = "#5b6573"
NAVY = "#17324d"

NODE_STYLE = {
    THEME: {"fill": "#e6edf5", "stroke": NAVY, "stroke-width": "2.5"},
    SUBTHEME: {"fill": "#f5f8fb", "stroke": NAVY, "stroke-width": "1.5"},
    CODE: {"fill": "#ffffff", "stroke": "#6b7785", "stroke-width": "1"},
}
LINK_STYLE = {
    IN_THEME: {"stroke": "#a3adb8", "stroke-width": "1"},
    SUBTHEME_OF: {"stroke": NAVY, "stroke-width": "1.8"},
    RELATES_TO: {"stroke": "#2d4f73", "stroke-width": "1.6", "stroke-dasharray": "9 5"},
    IN_TENSION_WITH: {
        "stroke": "#9c2f25",
        "stroke-width": "2",
        "stroke-dasharray": "1 5",
        "stroke-linecap": "round",
    },
}
# Which arrowheads a kind carries: at the target ("end") and at the source ("start").
MARKERS = {SUBTHEME_OF: ("end",), IN_TENSION_WITH: ("start", "end")}
LEGEND = [
    (SUBTHEME_OF, "subtheme of"),
    (RELATES_TO, "relates to"),
    (IN_TENSION_WITH, "in tension with"),
    (IN_THEME, "code in theme"),
]
KIND_NAMES = {THEME: "Theme", SUBTHEME: "Subtheme", CODE: "Code"}
LEGEND_SAMPLE = 44

# Characters XML 1.0 does not allow, whatever their escaping.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value) -> str:
    return escape(_NOT_XML.sub("", str(value)), quote=True)


def _attrs(values: dict) -> str:
    return "".join(f' {name}="{_text(value)}"' for name, value in values.items() if value != "")


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _markers(prefix: str) -> str:
    parts = []
    for kind, ends in MARKERS.items():
        colour = LINK_STYLE[kind]["stroke"]
        for end in ends:
            # orient="auto" turns the marker along the line; a start marker points back.
            shape = "M0,0 L10,5 L0,10 z" if end == "end" else "M10,0 L0,5 L10,10 z"
            ref = 10 if end == "end" else 0
            parts.append(
                f'<marker id="{prefix}-{end}-{kind}" viewBox="0 0 10 10" refX="{ref}" refY="5" '
                'markerUnits="userSpaceOnUse" markerWidth="10" markerHeight="10" orient="auto">'
                f'<path d="{shape}" fill="{colour}"/></marker>'
            )
    return f"<defs>{''.join(parts)}</defs>"


def _label_text(x: float, y: float, text: str, *, size: int, extra: dict | None = None) -> str:
    """A line of text with a white halo, readable where it crosses a line."""
    attrs = {
        "x": _number(x),
        "y": _number(y),
        "text-anchor": "middle",
        "font-size": size,
        "fill": INK,
        "stroke": "#ffffff",
        "stroke-width": "4",
        "stroke-linejoin": "round",
        "paint-order": "stroke",
        **(extra or {}),
    }
    return f"<text{_attrs(attrs)}>{_text(text)}</text>"


def _ends(link: Link, nodes: dict[str, Node]) -> tuple[float, float, float, float]:
    source, target = nodes[link.source], nodes[link.target]
    return (
        *border_point(source, (target.x, target.y)),
        *border_point(target, (source.x, source.y)),
    )


def _data(link: Link, interactive: bool) -> dict:
    if not interactive:
        return {}
    return {"data-source": link.source, "data-target": link.target, "data-kind": link.kind}


def _link(link: Link, nodes: dict[str, Node], prefix: str, interactive: bool) -> str:
    x1, y1, x2, y2 = _ends(link, nodes)
    style = dict(LINK_STYLE[link.kind])
    for end in MARKERS.get(link.kind, ()):
        style[f"marker-{end}"] = f"url(#{prefix}-{end}-{link.kind})"
    line = (
        f'<line x1="{_number(x1)}" y1="{_number(y1)}" x2="{_number(x2)}" y2="{_number(y2)}"'
        f"{_attrs(style)}/>"
    )
    classes = f"map-link map-link-{link.kind}"
    return f"<g{_attrs({'class': classes, **_data(link, interactive)})}>{line}</g>"


def _link_label(link: Link, nodes: dict[str, Node], interactive: bool, size: int) -> str:
    """A typed link's label, at its middle; drawn over the nodes, so that none hides it."""
    x1, y1, x2, y2 = _ends(link, nodes)
    attrs = {"class": "map-link-label", **_data(link, interactive), "font-style": "italic"}
    return _label_text((x1 + x2) / 2, (y1 + y2) / 2 - 4, link.label, size=size, extra=attrs)


def _node(node: Node, interactive: bool, hint_id: str, css_class: str = "map-node") -> str:
    width, height = node.size
    font = FONT[node.kind]
    radius = height / 2 if node.kind == CODE else 8 if node.kind == THEME else 6
    rect = (
        f'<rect x="{_number(-width / 2)}" y="{_number(-height / 2)}" width="{_number(width)}" '
        f'height="{_number(height)}" rx="{_number(radius)}"{_attrs(NODE_STYLE[node.kind])}/>'
    )
    lines = node.lines
    status = node.status_shown
    text_height = len(lines) * font * LINE + (STATUS_FONT * LINE if status else 0)
    baseline = -text_height / 2 + font * 0.95  # the first line's baseline, about an ascent down
    spans = "".join(
        f'<tspan x="0" y="{_number(baseline + n * font * LINE)}">{_text(line)}</tspan>'
        for n, line in enumerate(lines)
    )
    text = (
        f'<text text-anchor="middle" font-size="{font}" font-weight="{WEIGHT[node.kind]}" '
        f'fill="{INK}">{spans}</text>'
    )
    if status:
        y = baseline + (len(lines) - 1) * font * LINE + STATUS_FONT * LINE + 1
        text += (
            f'<text x="0" y="{_number(y)}" text-anchor="middle" font-size="{STATUS_FONT}" '
            f'font-style="italic" fill="{MUTED}">{_text(status)}</text>'
        )
    attrs = {
        "class": f"{css_class} map-{node.kind}",
        "transform": f"translate({_number(node.x)} {_number(node.y)})",
    }
    if interactive:
        attrs |= {
            "data-key": node.key,
            "data-kind": node.kind,
            "data-label": node.label,
            "data-placed": "1" if node.placed else "0",
            "data-anchor": node.anchor or "",
            "data-x": _number(node.x),
            "data-y": _number(node.y),
            "tabindex": "0",
            "role": "button",
            "aria-roledescription": "map node",
            "aria-label": f"{KIND_NAMES[node.kind]}: {node.label}",
            "aria-describedby": hint_id,
        }
    return f"<g{_attrs(attrs)}><title>{_text(node.label)}</title>{rect}{text}</g>"


def _drawn(nodes: list[Node], links: list[Link]) -> list[Link]:
    """The links between two of the nodes, the light code-in-theme lines first (under the
    typed links)."""
    keys = {node.key for node in nodes}
    drawn = [link for link in links if link.source in keys and link.target in keys]
    return sorted(drawn, key=lambda link: link.kind != IN_THEME)


def _legend(prefix: str, nodes: list[Node], links: list[Link]) -> tuple[str, float, float]:
    """The legend of what the map shows (themes always), drawn from (0, 0); its width and
    height."""
    row_height = 34
    parts, x = [], 0.0
    shown = {node.kind for node in nodes} | {THEME}
    for kind in (THEME, SUBTHEME, CODE):
        if kind not in shown:
            continue
        sample = Node(key=f"legend:{kind}", kind=kind, label=KIND_NAMES[kind])
        width, _height = sample.size
        sample.x, sample.y = x + width / 2, row_height / 2
        parts.append(_node(sample, interactive=False, hint_id="", css_class="map-legend-node"))
        x += width + 16
    widest, height = x - 16, row_height
    kinds = {link.kind for link in links}
    font = small_text(nodes)
    x, y = 0.0, row_height + 24
    for kind, name in LEGEND:
        if kind not in kinds:
            continue
        style = dict(LINK_STYLE[kind])
        for end in MARKERS.get(kind, ()):
            style[f"marker-{end}"] = f"url(#{prefix}-{end}-{kind})"
        parts.append(
            f'<line x1="{_number(x)}" y1="{_number(y)}" x2="{_number(x + LEGEND_SAMPLE)}" '
            f'y2="{_number(y)}"{_attrs(style)}/>'
        )
        text_x = x + LEGEND_SAMPLE + 8
        parts.append(
            f'<text x="{_number(text_x)}" y="{_number(y + font * 0.35)}" '
            f'font-size="{font}" fill="{INK}">{_text(name)}</text>'
        )
        x = text_x + len(name) * 0.56 * font + 24
        widest, height = max(widest, x - 24), y + font
    return f'<g class="map-legend">{"".join(parts)}</g>', widest, height


def view_box(nodes: list[Node], links: list[Link]) -> tuple[float, float, float, float]:
    """The frame of the drawing: the nodes, and the legend under them (left, top, width,
    height)."""
    _legend_svg, legend_width, legend_height = _legend("x", nodes, _drawn(nodes, links))
    found = bounds(nodes)
    if found is None:
        left, top, right, bottom = 0.0, 0.0, legend_width, -LEGEND_GAP
    else:
        left, top, right, bottom = found
    width = max(right - left, legend_width) + 2 * MARGIN
    height = bottom - top + LEGEND_GAP + legend_height + 2 * MARGIN
    return round(left - MARGIN, 1), round(top - MARGIN, 1), round(width, 1), round(height, 1)


def render(
    nodes: list[Node],
    links: list[Link],
    *,
    prefix: str = "map",
    title: str = "Thematic map",
    interactive: bool = False,
    standalone: bool = False,
) -> str:
    """The map as one <svg> element (`standalone`: a file, with its XML declaration).
    `interactive` adds what the page's script needs: keys, focus, and names for screen readers.
    Links are drawn under the nodes (their labels over them); only links between two of the
    nodes are drawn. The legend names what the map shows."""
    by_key = {node.key: node for node in nodes}
    drawn_links = _drawn(nodes, links)
    left, top, width, height = view_box(nodes, links)
    legend, _w, _h = _legend(prefix, nodes, drawn_links)
    legend_y = (bounds(nodes) or (0, 0, 0, -LEGEND_GAP))[3] + LEGEND_GAP
    hint_id = f"{prefix}-hint"
    svg_attrs = {
        "xmlns": "http://www.w3.org/2000/svg",
        "version": "1.1",
        "viewBox": f"{_number(left)} {_number(top)} {_number(width)} {_number(height)}",
        "width": _number(width),
        "height": _number(height),
        "font-family": FONT_FAMILY,
        "role": "img" if not interactive else "group",
        "aria-labelledby": f"{prefix}-title",
        "class": "map-svg" if interactive else "",
    }
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n' if standalone else "",
        f"<svg{_attrs(svg_attrs)}>",
        f'<title id="{prefix}-title">{_text(title)}</title>',
        _markers(prefix),
        f'<rect class="map-background" x="{_number(left)}" y="{_number(top)}" '
        f'width="{_number(width)}" height="{_number(height)}" fill="#ffffff"/>',
        '<g class="map-links">',
        *(_link(link, by_key, prefix, interactive) for link in drawn_links),
        "</g>",
        '<g class="map-nodes">',
        *(_node(node, interactive, hint_id) for node in nodes),
        "</g>",
        '<g class="map-link-labels">',
        *(
            _link_label(link, by_key, interactive, small_text(nodes))
            for link in drawn_links
            if link.label
        ),
        "</g>",
        f'<g transform="translate({_number(left + MARGIN)} {_number(legend_y)})">{legend}</g>',
        "</svg>\n" if standalone else "</svg>",
    ]
    return "".join(parts)
