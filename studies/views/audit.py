"""The study's audit log, for leads and custodians: filter it, page through it, export it."""

import csv
from datetime import UTC

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from studies.access import study_access
from studies.audit import Action, audit
from studies.forms import AuditFilterForm
from studies.models import AuditEvent, Role

PAGE_SIZE = 50
CSV_COLUMNS = ["time (UTC)", "who", "action", "object type", "object", "address", "details"]


def _filtered(request, study) -> tuple[AuditFilterForm, object]:
    form = AuditFilterForm(request.GET)
    events = AuditEvent.objects.filter(study=study).select_related("actor")
    return form, form.filter(events) if form.is_valid() else events.none()


def audit_log(request: HttpRequest, study: str) -> HttpResponse:
    study, _member = study_access(request, study, Role.LEAD)
    form, events = _filtered(request, study)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "studies/audit_log.html",
        {"study": study, "form": form, "page": page, "query": query.urlencode()},
    )


def audit_log_csv(request: HttpRequest, study: str) -> HttpResponse:
    study, _member = study_access(request, study, Role.LEAD)
    form, events = _filtered(request, study)
    if not form.is_valid():
        return render(
            request,
            "studies/audit_log.html",
            {"study": study, "form": form, "page": None},
            status=400,
        )
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{study.slug}-audit-{stamp}.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for event in events.iterator(chunk_size=2000):
        writer.writerow(
            [
                event.created_at.astimezone(UTC).isoformat(timespec="seconds"),
                event.actor.get_username() if event.actor else "",
                event.action,
                event.target_type,
                _safe_cell(event.target),
                event.address or "",
                _safe_cell(_details(event.details)),
            ]
        )
        count += 1
    audit(
        Action.AUDIT_EXPORT,
        request=request,
        study=study,
        details={"rows": count, **request.GET.dict()},
    )
    return response


def _details(details: dict) -> str:
    return "; ".join(f"{key}={value}" for key, value in details.items())


def _safe_cell(text: str) -> str:
    """Spreadsheets run a cell that starts with = + - @ as a formula; quote it."""
    return f"'{text}" if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text
