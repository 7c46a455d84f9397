"""The results section's skeleton as a Word document (python-docx): the methods scaffold, the
theme overview table ("Table 4"), the thematic map as a picture, and per theme a heading (its
subthemes one level down), its central concept and definition, and its chosen quotes as block
quotes, each attributed by pseudonym only — "(P6)".

What goes in, and what does not:
- A quote is printed with the words its transcript has now. One that the verbatim check flags is
  still printed, followed by a visible "[check against the transcript]", so that the author sees
  it where it stands rather than finding it missing; one whose words a correction removed is not
  printed at all, only the marker (words taken out of a transcript never leave in an export).
- A quote of a participant who may not be quoted now (consent withdrawn or declined since it was
  chosen) is left out, and the document says how many were (not whose).
- Nothing from the identity vault: the consent guard answers yes or no, and nothing else of it
  is read.

Speed: the quotes are the bulk of a long report, so their paragraphs are built straight in the
document's XML (python-docx's own `add_paragraph` looks the style up each time, about a third of
a millisecond a quote); everything else goes through python-docx. `report_docx` is the function
to time (PERFORMANCE.md: 10,000 extracts in at most 5 s)."""

import io
import math
import re
from datetime import datetime
from functools import lru_cache

from django.http import HttpRequest
from django.utils import timezone
from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from lxml import etree
from PIL import Image, ImageDraw, ImageFont

from exchange.report import Report, report_for
from studies.models import Membership, Study
from themes import layout, map_svg
from themes.layout import SUBTHEME, THEME, Node
from themes.map import ThematicMap, map_for

CHECK = "[check against the transcript]"
REMOVED = "[the words of this extract were removed by a correction of the transcript]"
QUOTE_STYLE = "Block Quote"
TABLE_STYLE = "Table Grid"
TABLE_TITLE = "Table 4. Themes, subthemes, definitions and contributing participants"
TABLE_HEADER = ("Theme", "Subthemes", "Definition", "Participants")
TABLE_WIDTHS_CM = (3.6, 3.6, 6.8, 3.0)  # 17 cm: the text width of A4 with 2 cm margins
FIGURE_CAPTION = "Figure 1. Thematic map: the themes and subthemes, and the links between them."
FIGURE_WIDTH_CM = layout.FIGURE_MM / 10

# Characters XML 1.0 does not allow, whatever their escaping.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


# The thematic map as a picture --------------------------------------------------------------

FONT_FILES = {
    "regular": ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "Arial.ttf"),
    "bold": ("DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf", "Arial Bold.ttf"),
    "italic": ("DejaVuSans-Oblique.ttf", "LiberationSans-Italic.ttf", "Arial Italic.ttf"),
}
PX_PER_PT = layout.PRINT_DPI / 72
LARGEST_PT = 12  # a theme's name is printed no larger than this, however small the map
LEGEND_PT = 8
MARGIN_PX = 60


@lru_cache(maxsize=64)
def _font(style: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A sans-serif of the machine's, or Pillow's own when it has none."""
    for name in FONT_FILES[style]:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


def _colour(value: str) -> tuple[int, int, int]:
    value = value.lstrip("#")
    return tuple(int(value[at : at + 2], 16) for at in (0, 2, 4))


def _dashes(draw, start, end, pattern, colour, width) -> None:
    """A line drawn in a pattern of dash and gap lengths (a dot for a dash of at most the
    line's width, as a round cap draws it)."""
    (x1, y1), (x2, y2) = start, end
    length = math.hypot(x2 - x1, y2 - y1)
    if not length:
        return
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    at, index = 0.0, 0
    while at < length:
        step = pattern[index % len(pattern)]
        if index % 2 == 0:
            stop = min(length, at + step)
            if step <= width:
                r = width / 2 + 0.5
                cx, cy = x1 + ux * at, y1 + uy * at
                draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
            else:
                draw.line(
                    (x1 + ux * at, y1 + uy * at, x1 + ux * stop, y1 + uy * stop),
                    fill=colour,
                    width=width,
                )
        at += step
        index += 1


def _arrow(draw, tip, tail, size, colour) -> None:
    (x, y), (tx, ty) = tip, tail
    length = math.hypot(x - tx, y - ty) or 1
    ux, uy = (x - tx) / length, (y - ty) / length
    bx, by = x - ux * size, y - uy * size
    draw.polygon(
        [
            (x, y),
            (bx - uy * size / 2, by + ux * size / 2),
            (bx + uy * size / 2, by - ux * size / 2),
        ],
        fill=colour,
    )


def _line(draw, kind: str, start, end, scale: float, arrows: tuple[str, ...] = ()) -> None:
    style = map_svg.LINK_STYLE[kind]
    colour = _colour(style["stroke"])
    width = max(2, round(float(style["stroke-width"]) * scale))
    pattern = [float(n) * scale for n in style.get("stroke-dasharray", "").split()]
    if pattern:
        _dashes(draw, start, end, pattern, colour, width)
    else:
        draw.line((*start, *end), fill=colour, width=width)
    size = 10 * scale
    if "end" in arrows:
        _arrow(draw, end, start, size, colour)
    if "start" in arrows:
        _arrow(draw, start, end, size, colour)


def map_png(themap: ThematicMap) -> bytes | None:
    """The map (themes and subthemes) as a PNG fit for a paper: 17 cm wide at 300 dpi, boxes
    with their labels, the links between them (told apart by line style, not colour alone, so
    that it reads in grey print) and a legend; None when the map has no nodes."""
    nodes = [node for node in themap.nodes if node.kind in (THEME, SUBTHEME)]
    if not nodes:
        return None
    keys = {node.key: node for node in nodes}
    links = [
        link
        for link in themap.links
        if link.source in keys and link.target in keys and link.kind in map_svg.LINK_STYLE
    ]
    left, top, right, bottom = layout.bounds(nodes)
    width = layout.PRINT_WIDTH_PX
    largest = max(layout.FONT[node.kind] for node in nodes)
    scale = min((width - 2 * MARGIN_PX) / max(right - left, 1), LARGEST_PT * PX_PER_PT / largest)
    x0 = (width - (right - left) * scale) / 2 - left * scale
    y0 = MARGIN_PX - top * scale
    row = round(LEGEND_PT * PX_PER_PT * 2.2)
    kinds = [kind for kind, _name in map_svg.LEGEND if kind in {link.kind for link in links}]
    legend_rows = 1 + (1 if kinds else 0)
    height = round((bottom - top) * scale + 2 * MARGIN_PX + MARGIN_PX + legend_rows * row)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)

    def at(x: float, y: float) -> tuple[float, float]:
        return x0 + x * scale, y0 + y * scale

    for link in sorted(links, key=lambda link: link.kind != layout.IN_THEME):
        source, target = keys[link.source], keys[link.target]
        start = at(*layout.border_point(source, (target.x, target.y)))
        end = at(*layout.border_point(target, (source.x, source.y)))
        _line(draw, link.kind, start, end, scale, map_svg.MARKERS.get(link.kind, ()))
    for node in nodes:
        _box(draw, node, at(node.x, node.y), scale)
    label_font = _font("italic", max(8, round(min(layout.FONT[n.kind] for n in nodes) * scale)))
    for link in links:
        if link.label:
            source, target = keys[link.source], keys[link.target]
            (x1, y1), (x2, y2) = at(source.x, source.y), at(target.x, target.y)
            draw.text(
                ((x1 + x2) / 2, (y1 + y2) / 2),
                _clean(link.label),
                font=label_font,
                fill=_colour(map_svg.INK),
                anchor="mm",
                stroke_width=max(2, round(scale * 2)),
                stroke_fill="white",
            )
    _legend(draw, nodes, kinds, (MARGIN_PX, height - MARGIN_PX - legend_rows * row), row)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", dpi=(layout.PRINT_DPI, layout.PRINT_DPI), optimize=False)
    return buffer.getvalue()


def _box(draw, node: Node, centre: tuple[float, float], scale: float) -> None:
    style = map_svg.NODE_STYLE[node.kind]
    size = max(8, round(layout.FONT[node.kind] * scale))
    font = _font("bold", size)
    lines = [_clean(line) for line in node.lines]
    status = node.status_shown
    status_font = _font("italic", max(8, round(layout.STATUS_FONT * scale)))
    line_height = size * layout.LINE
    text_height = len(lines) * line_height + (
        layout.STATUS_FONT * scale * layout.LINE if status else 0
    )
    pad_x, pad_y = (p * scale for p in layout.PAD[node.kind])
    text_width = max(draw.textlength(line, font=font) for line in lines)
    if status:
        text_width = max(text_width, draw.textlength(status, font=status_font))
    box_width = max(node.size[0] * scale, text_width + 2 * pad_x)
    box_height = max(node.size[1] * scale, text_height + 2 * pad_y)
    x, y = centre
    draw.rounded_rectangle(
        (x - box_width / 2, y - box_height / 2, x + box_width / 2, y + box_height / 2),
        radius=(8 if node.kind == THEME else 6) * scale,
        fill=_colour(style["fill"]),
        outline=_colour(style["stroke"]),
        width=max(1, round(float(style["stroke-width"]) * scale)),
    )
    top = y - text_height / 2
    for n, line in enumerate(lines):
        draw.text(
            (x, top + (n + 0.5) * line_height),
            line,
            font=font,
            fill=_colour(map_svg.INK),
            anchor="mm",
        )
    if status:
        draw.text(
            (x, top + len(lines) * line_height + layout.STATUS_FONT * scale * layout.LINE / 2),
            status,
            font=status_font,
            fill=_colour(map_svg.MUTED),
            anchor="mm",
        )


def _legend(draw, nodes: list[Node], kinds: list[str], origin, row: int) -> None:
    """What the map shows: the kinds of node, then the kinds of link drawn."""
    font = _font("regular", round(LEGEND_PT * PX_PER_PT))
    x, y = origin
    middle = y + row / 2
    for kind in (THEME, SUBTHEME):
        if not any(node.kind == kind for node in nodes):
            continue
        name = map_svg.KIND_NAMES[kind]
        style = map_svg.NODE_STYLE[kind]
        box_width = draw.textlength(name, font=font) + 40
        draw.rounded_rectangle(
            (x, middle - row * 0.4, x + box_width, middle + row * 0.4),
            radius=10,
            fill=_colour(style["fill"]),
            outline=_colour(style["stroke"]),
            width=max(2, round(float(style["stroke-width"]) * 2)),
        )
        draw.text(
            (x + box_width / 2, middle), name, font=font, fill=_colour(map_svg.INK), anchor="mm"
        )
        x += box_width + 40
    x, middle = origin[0], middle + row
    sample = 150
    for kind in kinds:
        name = dict(map_svg.LEGEND)[kind]
        _line(draw, kind, (x, middle), (x + sample, middle), 2.5, map_svg.MARKERS.get(kind, ()))
        x += sample + 20
        draw.text((x, middle), name, font=font, fill=_colour(map_svg.INK), anchor="lm")
        x += draw.textlength(name, font=font) + 60


# The document -------------------------------------------------------------------------------


def _page(document) -> None:
    """A4 with 2 cm margins: a text width of 17 cm, the width of the figure."""
    for section in document.sections:
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.left_margin = section.right_margin = Cm(2)
        section.top_margin = section.bottom_margin = Cm(2.5)


def _quote_style(document) -> str:
    """A block quote paragraph style: indented on both sides, italic. Its style id."""
    style = document.styles.add_style(QUOTE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = document.styles["Normal"]
    style.quick_style = True
    style.font.italic = True
    fmt = style.paragraph_format
    fmt.left_indent = fmt.right_indent = Cm(1)
    fmt.space_before, fmt.space_after = Pt(4), Pt(8)
    return style.style_id


W_PPR, W_PSTYLE, W_R, W_RPR, W_B, W_I, W_T, W_BR, W_VAL = (
    qn(f"w:{name}") for name in ("pPr", "pStyle", "r", "rPr", "b", "i", "t", "br", "val")
)


class _Quotes:
    """Block quote paragraphs written straight into the body's XML (see the module's note)."""

    def __init__(self, document, style_id: str):
        self.end = document.element.body.sectPr  # paragraphs go before the section properties
        self.style_id = style_id

    def _run(self, paragraph, text: str, *, italic: bool | None = None, bold: bool = False):
        run = etree.SubElement(paragraph, W_R)
        if italic is not None or bold:
            properties = etree.SubElement(run, W_RPR)
            if bold:
                etree.SubElement(properties, W_B)
            if italic is not None:
                etree.SubElement(properties, W_I, {W_VAL: "1" if italic else "0"})
        for n, line in enumerate(text.split("\n")):
            if n:
                etree.SubElement(run, W_BR)
            if line:
                etree.SubElement(run, W_T, {_XML_SPACE: "preserve"}).text = line

    def add(self, words: str | None, attribution: str, marker: str = "") -> None:
        paragraph = OxmlElement("w:p")
        properties = etree.SubElement(paragraph, W_PPR)
        etree.SubElement(properties, W_PSTYLE, {W_VAL: self.style_id})
        if words is not None:
            # A passage over several turns keeps its line breaks; blank lines are not kept.
            self._run(paragraph, re.sub(r"\n\s*\n", "\n", _clean(words).strip()))
        self._run(paragraph, f" ({attribution})", italic=False)
        if marker:
            self._run(paragraph, f" {marker}", italic=False, bold=True)
        self.end.addprevious(paragraph)


def _labelled(document, label: str, text: str) -> None:
    paragraph = document.add_paragraph()
    paragraph.add_run(f"{label}: ").bold = True
    paragraph.add_run(_clean(text))


def _table4(document, report: Report) -> None:
    document.add_paragraph(TABLE_TITLE, style="Caption")
    table = document.add_table(rows=1, cols=len(TABLE_HEADER))
    table.style = document.styles[TABLE_STYLE]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    header = table.rows[0]
    repeat = OxmlElement("w:tblHeader")  # the header row repeats on every page
    repeat.set(qn("w:val"), "true")
    header._tr.get_or_add_trPr().append(repeat)
    for cell, text in zip(header.cells, TABLE_HEADER, strict=True):
        cell.text = text
        cell.paragraphs[0].runs[0].bold = True
    for row in report.table:
        cells = table.add_row().cells
        values = (
            row.theme.name,
            "\n".join(sub.name for sub in row.subthemes) or "—",
            row.definition or "—",
            ", ".join(row.participants) or "—",
        )
        for cell, value in zip(cells, values, strict=True):
            cell.text = _clean(value)
    for row in table.rows:
        for cell, width in zip(row.cells, TABLE_WIDTHS_CM, strict=True):
            cell.width = Cm(width)
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(9)
    if not report.table:
        document.add_paragraph("[No themes yet.]")


def _stamp(when: datetime) -> str:
    return f"{timezone.localtime(when):%d %B %Y, %H:%M}"


def render_docx(
    study: Study, report: Report, themap: ThematicMap, *, made_at: datetime | None = None
) -> bytes:
    """The .docx of the report (see the module's note for what goes in and what does not)."""
    document = Document()
    _page(document)
    properties = document.core_properties
    properties.title = f"Results: {study.title}"[:255]
    properties.author = properties.last_modified_by = "alliance-ta"
    properties.comments = ""
    quotes = _Quotes(document, _quote_style(document))

    document.add_heading(_clean(f"Results: {study.title}"), level=0)
    intro = (
        f"A skeleton of the results section, made on {_stamp(made_at or timezone.now())} from "
        "the study's themes, chosen extracts and records: rewrite it in your own words. Every "
        "quote is attributed by pseudonym only."
    )
    document.add_paragraph(intro)
    if report.flagged:
        count = len(report.flagged)
        document.add_paragraph(
            f"{count} quote{'s' if count != 1 else ''} no longer match{'es' if count == 1 else ''} "
            f"the transcript as it now reads: each is marked {CHECK}. Check "
            f"{'them' if count != 1 else 'it'} in the report builder before this goes further."
        )
    if report.withheld:
        count = len(report.withheld)
        document.add_paragraph(
            f"{count} chosen extract{'s were' if count != 1 else ' was'} left out: the "
            "participant has not consented to verbatim quotation, or has withdrawn."
        )

    document.add_heading("Method", level=1)
    for section in report.methods.sections:
        document.add_heading(section.heading, level=2)
        for text in section.paragraphs:
            document.add_paragraph(_clean(text))

    document.add_heading("Results", level=1)
    _table4(document, report)
    picture = map_png(themap)
    if picture is not None:
        document.add_picture(io.BytesIO(picture), width=Cm(FIGURE_WIDTH_CM))
        document.add_paragraph(FIGURE_CAPTION, style="Caption")

    for theme in report.themes:
        document.add_heading(_clean(theme.name), level=min(2 + theme.depth, 4))
        if theme.central_concept.strip():
            _labelled(document, "Central organising concept", theme.central_concept.strip())
        if theme.definition.strip():
            _labelled(document, "Definition", theme.definition.strip())
        if theme.boundaries.strip():
            _labelled(document, "What it is not", theme.boundaries.strip())
        shown = [extract for extract in theme.extracts if extract.quotation.allowed]
        for extract in shown:
            if extract.removed:
                quotes.add(None, extract.pseudonym, f"{REMOVED} {CHECK}")
            else:
                quotes.add(extract.current, extract.pseudonym, CHECK if extract.problem else "")
        if not shown:
            note = document.add_paragraph("[No extracts chosen for this theme yet.]")
            note.runs[0].italic = True

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def report_docx(
    member: Membership, *, request: HttpRequest | None = None, actor=None
) -> tuple[bytes, Report]:
    """The report as the member may see it, as a .docx (and what it was made from). Reads the
    consent guard once (an audited vault read); the export itself is audited by the caller."""
    report = report_for(member, request=request, actor=actor)
    themap = map_for(member, codes=False).without_codes()
    return render_docx(member.study, report, themap), report
