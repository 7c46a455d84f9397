"""Downloads of study tables as CSV and .docx: attachments with server-made names, each one
audited with its SHA-256."""

import csv
import hashlib
import io
from collections.abc import Iterable, Sequence

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.shared import Pt

from studies.audit import Action, audit
from studies.models import Study

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def safe_cell(value) -> str:
    """A cell's text; one that a spreadsheet would run as a formula is quoted."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")  # the BOM lets Excel read UTF-8


def docx_table_bytes(
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence],
    *,
    note: str = "",
    landscape: bool = False,
) -> bytes:
    """A Word document holding one titled table, ready to paste into a paper."""
    document = Document()
    if landscape:
        section = document.sections[0]
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    document.add_heading(title, level=2)
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        for cell, value in zip(table.add_row().cells, row, strict=True):
            cell.text = "" if value is None else str(value)
    for row in table.rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(9)
    if note:
        document.add_paragraph(note).runs[0].italic = True
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def download(
    *,
    request: HttpRequest,
    study: Study,
    what: str,
    content: bytes,
    extension: str,
    details: dict | None = None,
) -> HttpResponse:
    """The file as an attachment named by the server, with an audit event naming its SHA-256."""
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    filename = f"{study.slug}-{what}-{stamp}.{extension}"
    content_type = {"csv": "text/csv; charset=utf-8", "docx": DOCX}[extension]
    audit(
        Action.EXPORT,
        request=request,
        study=study,
        details={
            "what": what,
            "file": filename,
            "sha256": hashlib.sha256(content).hexdigest(),
            **(details or {}),
        },
    )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
