"""The anonymisation workspace: a transcript's candidates highlighted in its text and grouped by
entity, decisions, the anonymised version, sign-off, second check and lock; the study's deny-
and allow-lists; and, for custodians only, the original text and the anonymisation log."""

from itertools import groupby

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseStopPolling

from studies.access import study_access
from studies.audit import Action, audit
from studies.models import Role
from studies.second_factor import second_factor_required
from studies.services import audio
from transcripts import review, versions
from transcripts.forms_review import (
    AddCandidateForm,
    CorrectionForm,
    DecisionForm,
    ListedIdentifierForm,
    SignOffForm,
)
from transcripts.models import (
    Candidate,
    CandidateStatus,
    ListedIdentifier,
    SearchJob,
    Transcript,
    TranscriptState,
)

PAGE = "transcripts/review.html"


def _transcript(study, uuid) -> Transcript:
    return get_object_or_404(
        Transcript.objects.select_related(
            "participant", "signed_off_by", "checked_by", "locked_by"
        ),
        study=study,
        uuid=uuid,
    )


def _turns(version, candidates):
    """Each turn's speaker and its text cut into pieces: (text, offset, candidate or None)."""
    turns = []
    marks = sorted(candidates, key=lambda c: c.start)
    for turn in version.turns.select_related("participant").order_by("position"):
        pieces, cursor = [], turn.start
        for mark in marks:
            if mark.end <= turn.start or mark.start >= turn.end:
                continue
            start, end = max(mark.start, turn.start), min(mark.end, turn.end)
            if start > cursor:
                pieces.append((version.text[cursor:start], cursor, None))
            pieces.append((version.text[start:end], start, mark))
            cursor = end
        if cursor < turn.end:
            pieces.append((version.text[cursor : turn.end], cursor, None))
        turns.append(
            {
                "turn": turn,
                "speaker": turn.participant.pseudonym if turn.participant else "Interviewer",
                "pieces": pieces,
            }
        )
    return turns


def _render(request, study, transcript, *, status=200, form_errors=None) -> HttpResponse:
    version = review.current_version(transcript)
    candidates = list(version.candidates.select_related("decided_by")) if version.text else []
    groups = []
    for _digest, items in groupby(
        sorted(candidates, key=lambda c: (c.entity_digest, c.start)), key=lambda c: c.entity_digest
    ):
        items = list(items)
        groups.append(
            {
                "first": items[0],
                "items": items,
                "pending": sum(c.status == CandidateStatus.PENDING for c in items),
            }
        )
    groups.sort(key=lambda group: (group["pending"] == 0, group["first"].start))
    decided, total = review.review_progress(version)
    context = {
        "study": study,
        "transcript": transcript,
        "version": version,
        "turns": _turns(version, candidates),
        "groups": groups,
        "decided": decided,
        "total": total,
        "unapplied": sum(
            c.status == CandidateStatus.ACCEPTED and c.applied_at is None for c in candidates
        ),
        "add_form": AddCandidateForm(),
        "sign_off_form": SignOffForm(),
        "correction_form": CorrectionForm(),
        "errors": form_errors or [],
        "State": TranscriptState,
    }
    template = f"{PAGE}#workspace" if request.htmx else PAGE
    return render(request, template, context, status=status)


def workspace(request: HttpRequest, study: str, transcript: str) -> HttpResponse:
    study, member = study_access(request, study, Role.LEAD)
    return _render(request, study, _transcript(study, transcript))


def _act(request, study, transcript, action) -> HttpResponse:
    """Run a workflow, which returns what to tell the user; answer with the workspace (htmx) or a
    redirect, or with the errors."""
    try:
        success = action()
    except ValidationError as error:
        return _render(request, study, transcript, status=422, form_errors=error.messages)
    messages.success(request, success)
    if request.htmx:
        transcript.refresh_from_db()
        return _render(request, study, transcript)
    return redirect("transcript-review", study=study.slug, transcript=transcript.uuid)


@vary_on_headers("HX-Request")
@require_POST
def decide(request: HttpRequest, study: str, transcript: str) -> HttpResponse:
    study, member = study_access(request, study, Role.LEAD)
    transcript = _transcript(study, transcript)
    form = DecisionForm(request.POST, version=review.current_version(transcript))
    if not form.is_valid():
        return _render(
            request,
            study,
            transcript,
            status=422,
            form_errors=[m for e in form.errors.values() for m in e],
        )
    data = form.cleaned_data

    def action() -> str:
        count = review.candidate_decide(
            member=member,
            candidate=data["candidate"],
            status=CandidateStatus(data["decision"]),
            replacement=data["replacement"] or None,
            everywhere=data["everywhere"],
            request=request,
        )
        verb = "Replaced" if data["decision"] == "accepted" else "Kept"
        return f"{verb}: {count} occurrence{'s' if count != 1 else ''}."

    return _act(request, study, transcript, action)


@vary_on_headers("HX-Request")
@require_POST
def add(request: HttpRequest, study: str, transcript: str) -> HttpResponse:
    study, member = study_access(request, study, Role.LEAD)
    transcript = _transcript(study, transcript)
    form = AddCandidateForm(request.POST)
    if not form.is_valid():
        return _render(
            request,
            study,
            transcript,
            status=422,
            form_errors=[m for e in form.errors.values() for m in e],
        )
    data = form.cleaned_data

    def action() -> str:
        candidate = review.candidate_add(
            member=member, transcript=transcript, request=request, **data
        )
        return f"Marked for replacement with {candidate.replacement}."

    return _act(request, study, transcript, action)


@vary_on_headers("HX-Request")
@require_POST
def apply(request: HttpRequest, study: str, transcript: str) -> HttpResponse:
    study, member = study_access(request, study, Role.LEAD)
    transcript = _transcript(study, transcript)

    def action() -> str:
        version = review.transcript_apply(member=member, transcript=transcript, request=request)
        return f"Version {version.number}, anonymised, is made. Read it through, then sign off."

    return _act(request, study, transcript, action)


@vary_on_headers("HX-Request")
@require_POST
def detect(request: HttpRequest, study: str, transcript: str) -> HttpResponse:
    study, member = study_access(request, study, Role.LEAD)
    transcript = _transcript(study, transcript)

    def action() -> str:
        found = review.transcript_detect(transcript=transcript)
        return f"Searched again: {found} new candidate{'s' if found != 1 else ''}."

    return _act(request, study, transcript, action)


@vary_on_headers("HX-Request")
@require_POST
def sign_off(request: HttpRequest, study: str, transcript: str) -> HttpResponse:
    study, member = study_access(request, study, Role.LEAD)
    transcript = _transcript(study, transcript)
    full_read = SignOffForm(request.POST).is_valid()

    def action() -> str:
        review.transcript_sign_off(
            member=member, transcript=transcript, full_read=full_read, request=request
        )
        return "Signed off."

    return _act(request, study, transcript, action)


@vary_on_headers("HX-Request")
@require_POST
def check(request: HttpRequest, study: str, transcript: str) -> HttpResponse:
    study, member = study_access(request, study, Role.LEAD)
    transcript = _transcript(study, transcript)

    def action() -> str:
        review.transcript_check(member=member, transcript=transcript, request=request)
        return "Checked by a second person."

    return _act(request, study, transcript, action)


@vary_on_headers("HX-Request")
@require_POST
def verify_audio(request: HttpRequest, study: str, transcript: str) -> HttpResponse:
    """Record that the transcript was checked against its interview's audio."""
    study, member = study_access(request, study, Role.LEAD)
    transcript = _transcript(study, transcript)

    def action() -> str:
        if transcript.interview is None:
            raise ValidationError("This transcript is not linked to an interview with audio.")
        audio.interview_verify(actor=member, interview=transcript.interview, request=request)
        return "Recorded: verified against the audio."

    return _act(request, study, transcript, action)


@vary_on_headers("HX-Request")
@require_POST
def correct(request: HttpRequest, study: str, transcript: str) -> HttpResponse:
    """A correction of a locked transcript's turn: a new version, everything carried over."""
    study, member = study_access(request, study, Role.LEAD)
    transcript = _transcript(study, transcript)
    form = CorrectionForm(request.POST)
    if not form.is_valid():
        return _render(
            request,
            study,
            transcript,
            status=422,
            form_errors=[m for e in form.errors.values() for m in e],
        )

    def action() -> str:
        version = versions.transcript_correct(
            member=member, transcript=transcript, request=request, **form.cleaned_data
        )
        return f"Corrected: version {version.number}."

    return _act(request, study, transcript, action)


@vary_on_headers("HX-Request")
@require_POST
def lock(request: HttpRequest, study: str, transcript: str) -> HttpResponse:
    study, member = study_access(request, study, Role.LEAD)
    transcript = _transcript(study, transcript)

    def action() -> str:
        review.transcript_lock(member=member, transcript=transcript, request=request)
        return "Locked: the transcript can now be coded."

    return _act(request, study, transcript, action)


@require_http_methods(["GET", "POST"])
def identifiers(request: HttpRequest, study: str) -> HttpResponse:
    """The study's deny-list (names to look for, with their replacements) and allow-list."""
    study, member = study_access(request, study, Role.LEAD)
    form = ListedIdentifierForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        key = review.digest(data["text"])
        if ListedIdentifier.objects.filter(study=study, kind=data["kind"], digest=key).exists():
            form.add_error("text", "It is already on that list.")
        else:
            try:
                replacement = (
                    review.clean_replacement(data["replacement"]) if data["replacement"] else ""
                )
            except ValidationError as error:
                form.add_error("replacement", error)
            else:
                ListedIdentifier.objects.create(
                    study=study,
                    kind=data["kind"],
                    text=data["text"].strip(),
                    digest=key,
                    category=data["category"] or "other",
                    replacement=replacement,
                    added_by=request.user,
                )
                audit(
                    Action.IDENTIFIER_LIST,
                    request=request,
                    study=study,
                    details={"list": data["kind"], "added": 1},
                )
                messages.success(request, "Added.")
                return redirect("transcript-identifiers", study=study.slug)
    entries = list(ListedIdentifier.objects.filter(study=study).select_related("added_by"))
    return render(
        request,
        "transcripts/identifiers.html",
        {
            "study": study,
            "form": form,
            "entries": entries,
            "search": SearchJob.objects.filter(study=study).first(),
        },
        status=422 if form.is_bound else 200,
    )


@require_POST
def search_all(request: HttpRequest, study: str) -> HttpResponse:
    """Search every transcript under review again, in the background."""
    study, member = study_access(request, study, Role.LEAD)
    review.search_all_queue(member=member, request=request)
    messages.success(request, "Searching every transcript in review again.")
    return redirect("transcript-identifiers", study=study.slug)


def search_progress(request: HttpRequest, study: str) -> HttpResponse:
    """The latest search's progress, polled by the lists' page until it is done."""
    study, member = study_access(request, study, Role.LEAD)
    search = SearchJob.objects.filter(study=study).first()
    response = render(
        request, "transcripts/identifiers.html#search", {"study": study, "search": search}
    )
    if search is None or not search.is_pending:
        response.status_code = HttpResponseStopPolling.status_code
    return response


@require_POST
def identifier_remove(request: HttpRequest, study: str, entry: str) -> HttpResponse:
    study, member = study_access(request, study, Role.LEAD)
    entry = get_object_or_404(ListedIdentifier, study=study, uuid=entry)
    audit(
        Action.IDENTIFIER_LIST,
        request=request,
        study=study,
        details={"list": entry.kind, "removed": 1},
    )
    entry.delete()
    messages.success(request, "Removed.")
    return redirect("transcript-identifiers", study=study.slug)


def original(request: HttpRequest, study: str, transcript: str) -> HttpResponse:
    """The text before anonymisation and the log of what was replaced: custodians only, after the
    second factor, every read audited."""
    study, member = study_access(request, study, Role.CUSTODIAN, hidden=True)
    if response := second_factor_required(request):
        return response
    transcript = _transcript(study, transcript)
    log = list(
        Candidate.objects.filter(version__transcript=transcript, applied_at__isnull=False)
        .select_related("decided_by", "version")
        .order_by("version__number", "start")
    )
    audit(
        Action.VAULT_READ,
        request=request,
        study=study,
        target=transcript,
        details={"page": "original text and log"},
    )
    return render(
        request,
        "transcripts/original.html",
        {
            "study": study,
            "transcript": transcript,
            "original": getattr(transcript, "original", None),
            "log": log,
        },
    )
