"""Interviews and the life of their audio: the list with what is due for deletion, recording and
editing an interview, verifying its transcript against the audio, recording the audio's deletion,
and the deletion record for the ethics committee."""

import copy
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from studies.access import study_access
from studies.exports import csv_bytes, docx_table_bytes, download
from studies.forms.audio import AudioDeletionForm, InterviewFilterForm, InterviewForm
from studies.models import AudioStage, Interview, Membership, Role, Study
from studies.services import audio as audio_services

LIST = "studies/audio/interviews.html"
FORM = "studies/audio/interview_form.html"
DELETION = "studies/audio/audio_delete.html"
DELETION_RECORD_HEADER = [
    "Participant",
    "Source project",
    "Date held",
    "Copies kept",
    "Verified by",
    "Verified at",
    "Deleted by",
    "Deleted at",
    "Copies deleted",
    "How deleted",
]


@dataclass(frozen=True)
class InterviewRow:
    """An interview as the list shows it, with what the study's retention period makes of it."""

    interview: Interview
    due_on: date | None
    overdue: bool

    @classmethod
    def of(cls, interview: Interview, study: Study, today: date) -> "InterviewRow":
        due_on = interview.audio_due_on(study)
        return cls(interview, due_on, due_on is not None and due_on < today)

    @property
    def can_verify(self) -> bool:
        return self.interview.stage == AudioStage.RECORDED

    @property
    def audio_exists(self) -> bool:
        return self.interview.stage in (AudioStage.RECORDED, AudioStage.VERIFIED)


def _interviews(study: Study):
    return Interview.objects.filter(participant__study=study).select_related(
        "participant__source_project", "verified_by", "audio_deleted_by"
    )


def _get_interview(study: Study, uuid: UUID) -> Interview:
    return get_object_or_404(_interviews(study), uuid=uuid)


def _list_url(study: Study, interview: Interview | None = None) -> str:
    url = reverse("study-interviews", args=[study.slug])
    return f"{url}#interview-{interview.uuid}" if interview else url


def _named(interview: Interview) -> str:
    held_on = interview.held_on
    return f"{interview.participant.pseudonym}'s interview of {held_on.day} {held_on:%b %Y}"


def _render_list(
    request: HttpRequest, study: Study, member: Membership, *, status: int = 200
) -> HttpResponse:
    form = InterviewFilterForm(request.GET, study=study)
    today = timezone.localdate()
    rows = (
        [InterviewRow.of(interview, study, today) for interview in form.filter(_interviews(study))]
        if form.is_valid()
        else []
    )
    context = {
        "study": study,
        "member": member,
        "form": form,
        "rows": rows,
        "overdue": sum(row.overdue for row in rows),
    }
    return render(request, LIST, context, status=status)


def _render_row(
    request: HttpRequest, study: Study, member: Membership, interview: Interview, *, status=200
) -> HttpResponse:
    """One row of the list, for htmx to swap in place, with the messages out of band."""
    interview = _get_interview(study, interview.uuid)
    row = InterviewRow.of(interview, study, timezone.localdate())
    context = {"study": study, "member": member, "row": row}
    return render(request, f"{LIST}#interview-row", context, status=status)


@require_GET
def interviews(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study, Role.LEAD)
    return _render_list(request, study, member)


def _render_form(request, study, form, *, interview=None, locked=False, status=200):
    action = (
        reverse("study-interview-edit", args=[study.slug, interview.uuid])
        if interview
        else reverse("study-interview-create", args=[study.slug])
    )
    context = {
        "study": study,
        "form": form,
        "interview": interview,
        "locked": locked,
        "action": action,
    }
    template = f"{FORM}#interview-form" if request.htmx else FORM
    return render(request, template, context, status=status)


def _saved(request: HttpRequest, study: Study, interview: Interview) -> HttpResponse:
    messages.success(request, f"Saved {_named(interview)}.")
    if request.htmx:
        return HttpResponseClientRedirect(_list_url(study, interview))
    return redirect(_list_url(study, interview))


@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
def interview_create(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study, Role.LEAD)
    if request.method == "GET":
        return _render_form(request, study, InterviewForm(study=study))
    form = InterviewForm(request.POST, study=study)
    if form.is_valid():
        try:
            interview = audio_services.interview_record(
                actor=member, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _saved(request, study, interview)
    return _render_form(request, study, form, status=422)


@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
def interview_edit(request: HttpRequest, study: str, interview: UUID) -> HttpResponse:
    study, member = study_access(request, study, Role.LEAD)
    interview = _get_interview(study, interview)
    locked = interview.stage == AudioStage.DELETED
    if request.method == "GET" or locked:
        form = InterviewForm(instance=interview, study=study)
        status = 422 if request.method == "POST" else 200
        return _render_form(request, study, form, interview=interview, locked=locked, status=status)
    # A bound model form writes onto its instance; the page keeps showing what is stored.
    form = InterviewForm(request.POST, instance=copy.copy(interview), study=study)
    if form.is_valid():
        try:
            saved = audio_services.interview_update(
                actor=member, interview=interview, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _saved(request, study, saved)
    return _render_form(request, study, form, interview=interview, status=422)


@vary_on_headers("HX-Request")
@require_POST
def interview_verify(request: HttpRequest, study: str, interview: UUID) -> HttpResponse:
    study, member = study_access(request, study, Role.LEAD)
    interview = _get_interview(study, interview)
    try:
        audio_services.interview_verify(actor=member, interview=interview, request=request)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, f"{_named(interview)}: {message}")
        if request.htmx:
            return _render_row(request, study, member, interview, status=422)
        return _render_list(request, study, member, status=422)
    messages.success(
        request, f"The transcript of {_named(interview)} is verified against its audio."
    )
    if request.htmx:
        return _render_row(request, study, member, interview)
    return redirect(_list_url(study, interview))


@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
def audio_delete(request: HttpRequest, study: str, interview: UUID) -> HttpResponse:
    """The custodian's record that an interview's audio was deleted. From the list, htmx opens
    the form in the interview's row and swaps the row back once the deletion is recorded."""
    study, member = study_access(request, study, Role.CUSTODIAN)
    interview = _get_interview(study, interview)
    refusal = audio_services.deletion_refusal(interview)
    if request.method == "GET" or refusal:
        form = AudioDeletionForm(interview=interview)
        status = 422 if request.method == "POST" else 200
        return _render_deletion(request, study, interview, form, refusal=refusal, status=status)
    form = AudioDeletionForm(request.POST, interview=interview)
    if form.is_valid():
        try:
            audio_services.audio_delete(
                actor=member,
                interview=interview,
                deleted_copies=form.cleaned_data["deleted_copies"],
                deletion_method=form.cleaned_data["deletion_method"],
                before_verification=form.cleaned_data.get("before_verification", False),
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, f"Recorded that the audio of {_named(interview)} was deleted."
            )
            if request.htmx:
                return _render_row(request, study, member, interview)
            return redirect(_list_url(study, interview))
    return _render_deletion(request, study, interview, form, status=422)


def _render_deletion(request, study, interview, form, *, refusal=None, status=200):
    context = {
        "study": study,
        "interview": interview,
        "form": form,
        "refusal": refusal,
        "in_row": bool(request.htmx),
    }
    template = f"{DELETION}#deletion-row" if request.htmx else DELETION
    return render(request, template, context, status=status)


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _lines(text: str) -> str:
    return "; ".join(line.strip() for line in text.splitlines() if line.strip())


@require_GET
def audio_deletion_record(request: HttpRequest, study: str, extension: str) -> HttpResponse:
    """Every interview whose audio was deleted: who verified it, who deleted which copies, how."""
    study, _member = study_access(request, study, Role.LEAD)
    deleted = (
        _interviews(study)
        .filter(audio_deleted_at__isnull=False)
        .order_by("held_on", "participant__pseudonym")
    )
    rows = [
        [
            interview.participant.pseudonym,
            interview.participant.source_project.name,
            interview.held_on.isoformat(),
            _lines(interview.audio_copies),
            interview.verified_by.get_username() if interview.verified_by else "not verified",
            _when(interview.verified_at),
            interview.audio_deleted_by.get_username(),
            _when(interview.audio_deleted_at),
            _lines(interview.deleted_copies),
            interview.deletion_method,
        ]
        for interview in deleted
    ]
    if extension == "csv":
        content = csv_bytes(DELETION_RECORD_HEADER, rows)
    else:
        content = docx_table_bytes(
            f"Audio deletion record: {study.title}",
            DELETION_RECORD_HEADER,
            rows,
            note=(
                f"Exported on {timezone.localdate():%Y-%m-%d}. Audio is due for deletion "
                f"{study.audio_retention_days} days after the interview."
            ),
            landscape=True,
        )
    return download(
        request=request,
        study=study,
        what="audio-deletion-record",
        content=content,
        extension=extension,
        details={"rows": len(rows)},
    )
