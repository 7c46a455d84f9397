"""Meetings and the decision log. Every member reads them; coders, leads and custodians record,
change and delete meetings (coding/reconcile/meetings.py decides). Decisions are read through
`decisions_visible_to`, the code labels they name through `Coding.objects.visible_to`, and the
journal entries beside them through `JournalEntry.objects.visible_to`."""

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.db.models.functions import Substr
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from coding.models import JournalEntry, Meeting
from coding.reconcile import meetings
from coding.reconcile.forms_meetings import DecisionFilterForm, MeetingForm
from studies.access import study_access
from studies.exports import csv_bytes, download
from studies.models import Membership, Role, Study

DECISIONS_PER_PAGE = 50
CSV_HEADER = [
    "reconciliation",
    "coder A",
    "coder B",
    "transcript",
    "participant pseudonym",
    "version",
    "kind",
    "start",
    "end",
    "passage text",
    "codes A",
    "codes B",
    "outcome",
    "rationale",
    "meeting",
    "decided by",
    "decided at",
]


def _decisions(member: Membership) -> QuerySet:
    """The decisions the member may see, each with what the log shows of it: the words of its
    passage (cut in the database from its version's text), the transcript, the coders."""
    return (
        meetings.decisions_visible_to(member)
        .select_related(
            "reconciliation__coder_a",
            "reconciliation__coder_b",
            "version__transcript__participant",
            "meeting",
            "decided_by",
        )
        .defer("version__text")
        .annotate(passage=Substr("version__text", F("start") + 1, F("end") - F("start")))
    )


def _meeting(member: Membership, uuid: UUID) -> Meeting:
    meetings_ = Meeting.objects.filter(study_id=member.study_id).select_related("created_by")
    return get_object_or_404(meetings_, uuid=uuid)


# Meetings -----------------------------------------------------------------------------------


@require_safe
def meeting_list(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study)
    visible = meetings.decisions_visible_to(member).values("pk")
    rows = (
        Meeting.objects.filter(study=study)
        .annotate(n_decisions=Count("decisions", filter=Q(decisions__in=visible)))
        .prefetch_related("attendees")
        .order_by("-held_on", "-created_at")
    )
    return render(
        request,
        "coding/reconcile/meetings.html",
        {"study": study, "meetings": rows, "can_write": member.has_role(Role.CODER)},
    )


@require_safe
def meeting_page(request: HttpRequest, study: str, meeting: UUID) -> HttpResponse:
    study, member = study_access(request, study)
    meeting = _meeting(member, meeting)
    entries = JournalEntry.objects.visible_to(member).select_related("author")
    decisions = list(
        _decisions(member)
        .filter(meeting=meeting)
        .prefetch_related(Prefetch("journal_entries", queryset=entries, to_attr="entries"))
        .order_by("decided_at", "id")
    )
    meetings.code_labels(member, decisions)
    return render(
        request,
        "coding/reconcile/meeting.html",
        {
            "study": study,
            "meeting": meeting,
            "attendees": meeting.attendees.order_by("username"),
            "decisions": decisions,
            "can_write": member.has_role(Role.CODER),
        },
    )


def _form_page(
    request: HttpRequest,
    study: Study,
    form: MeetingForm,
    meeting: Meeting | None,
    *,
    status: int = 200,
    errors: list[str] | None = None,
    sent_minutes: str = "",
) -> HttpResponse:
    context = {
        "study": study,
        "form": form,
        "meeting": meeting,
        "errors": errors or [],
        "sent_minutes": sent_minutes,
    }
    return render(request, "coding/reconcile/meeting_form.html", context, status=status)


def _initial(meeting: Meeting) -> dict:
    return {
        "held_on": meeting.held_on,
        "title": meeting.title,
        "attendees": [user.get_username() for user in meeting.attendees.all()],
        "minutes": meeting.minutes,
        "decisions": [str(uuid) for uuid in meeting.decisions.values_list("uuid", flat=True)],
        "revision": meetings.meeting_fingerprint(meeting),
    }


def _save(
    request: HttpRequest, study: Study, member: Membership, meeting: Meeting | None
) -> HttpResponse:
    form = MeetingForm(request.POST, member=member, meeting=meeting)
    if form.is_valid():
        data = form.cleaned_data
        try:
            saved = meetings.meeting_save(
                member=member,
                meeting=meeting,
                held_on=data["held_on"],
                title=data["title"],
                attendees=list(data["attendees"]),
                minutes=data["minutes"],
                decisions=list(data["decisions"]),
                revision=data["revision"] or None,
                request=request,
            )
        except meetings.Stale as error:
            # The meeting as it is now, the refusal, and the minutes as sent to copy from.
            meeting.refresh_from_db()
            fresh = MeetingForm(member=member, meeting=meeting, initial=_initial(meeting))
            return _form_page(
                request,
                study,
                fresh,
                meeting,
                status=409,
                errors=error.messages,
                sent_minutes=data["minutes"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Meeting “{saved.title}” saved.")
            return redirect("coding-meeting", study=study.slug, meeting=saved.uuid)
    return _form_page(request, study, form, meeting, status=422)


@require_http_methods(["GET", "POST"])
def meeting_new(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study, Role.CODER)
    if request.method == "POST":
        return _save(request, study, member, None)
    return _form_page(request, study, MeetingForm(member=member), None)


@require_http_methods(["GET", "POST"])
def meeting_edit(request: HttpRequest, study: str, meeting: UUID) -> HttpResponse:
    study, member = study_access(request, study, Role.CODER)
    meeting = _meeting(member, meeting)
    if request.method == "POST":
        return _save(request, study, member, meeting)
    form = MeetingForm(member=member, meeting=meeting, initial=_initial(meeting))
    return _form_page(request, study, form, meeting)


@vary_on_headers("HX-Request")
@require_POST
def meeting_delete(request: HttpRequest, study: str, meeting: UUID) -> HttpResponse:
    study, member = study_access(request, study, Role.CODER)
    meeting = _meeting(member, meeting)
    meetings.meeting_delete(member=member, meeting=meeting, request=request)
    messages.success(
        request, f"Meeting “{meeting.title}” deleted; its decisions stay in the decision log."
    )
    # htmx asked for a confirmation first; the page it was on is gone, so it goes to the list.
    if request.htmx:
        return HttpResponseClientRedirect(reverse("coding-meetings", args=[study.slug]))
    return redirect("coding-meetings", study=study.slug)


# The decision log ---------------------------------------------------------------------------


def _filtered(request: HttpRequest, member: Membership) -> tuple[DecisionFilterForm, QuerySet]:
    form = DecisionFilterForm(request.GET, member=member)
    decisions = _decisions(member).order_by("-decided_at", "-id")
    return form, form.filter(decisions) if form.is_valid() else decisions.none()


@vary_on_headers("HX-Request")
@require_safe
def decision_log(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study)
    form, decisions = _filtered(request, member)
    page = Paginator(decisions, DECISIONS_PER_PAGE).get_page(request.GET.get("page"))
    meetings.code_labels(member, page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    template = "coding/reconcile/decisions.html"
    return render(
        request,
        f"{template}#log" if request.htmx else template,
        {
            "study": study,
            "form": form,
            "page": page,
            "query": query.urlencode(),
        },
        status=200 if form.is_valid() else 400,
    )


def _csv_row(decision) -> list:
    reconciliation, transcript = decision.reconciliation, decision.version.transcript
    meeting = decision.meeting
    return [
        reconciliation.title,
        reconciliation.coder_a.get_username(),
        reconciliation.coder_b.get_username(),
        transcript.title,
        transcript.participant.pseudonym,
        decision.version.number,
        decision.kind,
        decision.start,
        decision.end,
        decision.passage or "",
        "; ".join(decision.labels_a),
        "; ".join(decision.labels_b),
        decision.get_outcome_display(),
        decision.rationale,
        f"{meeting.held_on:%Y-%m-%d} {meeting.title}" if meeting else "",
        decision.decided_by.get_username(),
        timezone.localtime(decision.decided_at).isoformat(timespec="seconds"),
    ]


@require_safe
def decision_log_csv(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study)
    form, decisions = _filtered(request, member)
    if not form.is_valid():
        return render(
            request,
            "coding/reconcile/decisions.html",
            {"study": study, "form": form, "page": None, "query": ""},
            status=400,
        )
    decisions = list(decisions.order_by("decided_at", "id"))
    meetings.code_labels(member, decisions)
    content = csv_bytes(CSV_HEADER, [_csv_row(decision) for decision in decisions])
    filters = {key: value for key, value in form.data.items() if key in form.fields and value}
    return download(
        request=request,
        study=study,
        what="decisions",
        content=content,
        extension="csv",
        details={"rows": len(decisions), **filters},
    )
