"""Downloads of every coded extract the member may see, as CSV and as .xlsx: attachments with
server-made names, each audited (format and rows, never the words) before a byte leaves."""

import hashlib
import tempfile

from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from exchange.extracts import csv_chunks, extract_count, extract_table, write_xlsx
from studies.access import study_access
from studies.audit import Action, audit
from studies.models import Study

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WHAT = "extracts"


def _filename(study: Study, extension: str) -> str:
    return f"{study.slug}-{WHAT}-{timezone.now():%Y%m%d-%H%M%S}.{extension}"


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def extracts_csv(request: HttpRequest, study: str) -> StreamingHttpResponse:
    """Streamed, so that a large study's export starts at once and never sits whole in memory.
    The audit event is written first, counting the rows as the export starts (its SHA-256 cannot
    be known before the last row is sent, so the CSV's event names none)."""
    study, member = study_access(request, study)
    filename = _filename(study, "csv")
    table = extract_table(member=member)
    audit(
        Action.EXPORT,
        request=request,
        study=study,
        details={
            "what": WHAT,
            "format": "csv",
            "file": filename,
            "rows": extract_count(member=member),
        },
    )
    response = StreamingHttpResponse(
        csv_chunks(table.header, table.rows), content_type="text/csv; charset=utf-8"
    )
    return _attachment(response, filename)


@require_GET
def extracts_xlsx(request: HttpRequest, study: str) -> FileResponse:
    """Written in openpyxl's write-only mode to a temporary file, which is then sent and deleted;
    the audit event names the rows written and the file's SHA-256."""
    study, member = study_access(request, study)
    filename = _filename(study, "xlsx")
    table = extract_table(member=member)
    # Closed, and so deleted, by the response once sent (a context manager would close it first).
    file = tempfile.TemporaryFile()  # noqa: SIM115
    try:
        rows = write_xlsx(table.header, table.rows, file)
        file.seek(0)
        digest = hashlib.file_digest(file, "sha256").hexdigest()
        file.seek(0)
    except BaseException:
        file.close()
        raise
    audit(
        Action.EXPORT,
        request=request,
        study=study,
        details={
            "what": WHAT,
            "format": "xlsx",
            "file": filename,
            "rows": rows,
            "sha256": digest,
        },
    )
    response = FileResponse(file, content_type=XLSX)
    return _attachment(response, filename)
