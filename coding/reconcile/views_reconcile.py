"""Reconciliation pages: the study's reconciliations (and starting one), one reconciliation's
transcripts with their progress, and the reconciliation of one transcript — both layers drawn on
the text, the difference list beside it to step through with the keyboard, a decision recorded on
each item, code refinements made there (linked to the decision) and the consensus layer."""

from collections import Counter

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from coding import codebook
from coding.models import (
    Code,
    CodingRound,
    ConsensusCoding,
    Decision,
    Meeting,
    Outcome,
    Reconciliation,
)
from coding.reconcile import services
from coding.reconcile.differences import Kind
from coding.rendering import render_turns
from studies.access import study_access
from studies.models import Membership, Role, Study
from transcripts.models import Transcript, TranscriptState


class StartForm(forms.Form):
    title = forms.CharField(required=False, strip=True)
    coder_a = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(),
        to_field_name="username",
        required=False,
        label="Coder A",
        error_messages={"invalid_choice": "That coder is not a member of this study."},
    )
    coder_b = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(),
        to_field_name="username",
        required=False,
        label="Coder B",
        error_messages={"invalid_choice": "That coder is not a member of this study."},
    )
    transcripts = forms.ModelMultipleChoiceField(
        queryset=Transcript.objects.none(),
        to_field_name="uuid",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "A chosen transcript is not one of this study's."},
    )
    coding_round = forms.ModelChoiceField(
        queryset=CodingRound.objects.none(),
        to_field_name="uuid",
        required=False,
        label="From the round",
        empty_label="(none)",
        error_messages={"invalid_choice": "That round is not one of this study's."},
    )

    def __init__(self, *args, study: Study, **kwargs):
        super().__init__(*args, **kwargs)
        coders = get_user_model().objects.filter(
            memberships__in=Membership.objects.active().filter(study=study)
        )
        coders = coders.order_by("username")
        for name in ("coder_a", "coder_b"):
            self.fields[name].queryset = coders
            self.fields[name].label_from_instance = lambda user: user.get_username()
        self.fields["transcripts"].queryset = Transcript.objects.filter(
            study=study, state=TranscriptState.LOCKED
        ).order_by("title")
        self.fields["coding_round"].queryset = CodingRound.objects.filter(
            study=study, closed_at__isnull=False
        )


def reconciliations(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study)
    form = StartForm(request.POST or None, study=study)
    errors = []
    if request.method == "POST":
        if not member.has_role(Role.CODER):
            raise PermissionDenied("Reconciling is for coders, leads and custodians.")
        if form.is_valid():
            data = form.cleaned_data
            try:
                reconciliation = services.reconciliation_start(
                    member=member,
                    title=data["title"],
                    coder_a=data["coder_a"],
                    coder_b=data["coder_b"],
                    transcripts=data["transcripts"],
                    coding_round=data["coding_round"],
                    request=request,
                )
            except ValidationError as error:
                errors = error.messages
            else:
                messages.success(request, f"Started “{reconciliation.title}”.")
                return redirect(
                    "coding-reconciliation", study=study.slug, reconciliation=reconciliation.uuid
                )
    listed = (
        Reconciliation.objects.filter(study=study)
        .select_related("coder_a", "coder_b", "started_by")
        .prefetch_related("transcripts")
    )
    decided = Counter(
        Decision.objects.filter(reconciliation__study=study).values_list(
            "reconciliation", flat=True
        )
    )
    for reconciliation in listed:
        reconciliation.decided = decided[reconciliation.pk]
    return render(
        request,
        "coding/reconcile/reconciliations.html",
        {
            "study": study,
            "member": member,
            "reconciliations": listed,
            "form": form,
            "errors": errors,
            "can_start": member.has_role(Role.CODER),
        },
        status=422 if errors or form.errors else 200,
    )


def _reconciliation(study: Study, uuid) -> Reconciliation:
    return get_object_or_404(
        Reconciliation.objects.select_related("coder_a", "coder_b", "study", "coding_round"),
        study=study,
        uuid=uuid,
    )


def reconciliation_page(request: HttpRequest, study: str, reconciliation: str) -> HttpResponse:
    study, member = study_access(request, study)
    reconciliation = _reconciliation(study, reconciliation)
    transcripts = list(reconciliation.transcripts.select_related("participant").order_by("title"))
    decided = Counter(
        Decision.objects.filter(reconciliation=reconciliation).values_list(
            "version__transcript", flat=True
        )
    )
    for transcript in transcripts:
        transcript.decided = decided[transcript.pk]
    return render(
        request,
        "coding/reconcile/reconciliation.html",
        {
            "study": study,
            "member": member,
            "reconciliation": reconciliation,
            "transcripts": transcripts,
            "decisions": decided.total(),
            "can_change": member.has_role(Role.CODER),
        },
    )


@require_POST
def finish(request: HttpRequest, study: str, reconciliation: str) -> HttpResponse:
    study, member = study_access(request, study, Role.CODER)
    reconciliation = _reconciliation(study, reconciliation)
    try:
        services.reconciliation_finish(
            member=member, reconciliation=reconciliation, request=request
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"Finished “{reconciliation.title}”.")
    return redirect("coding-reconciliation", study=study.slug, reconciliation=reconciliation.uuid)


def _transcript(reconciliation: Reconciliation, uuid) -> Transcript:
    return get_object_or_404(
        reconciliation.transcripts.select_related("participant", "source_project"), uuid=uuid
    )


def _reading(request, study, member, reconciliation, transcript, *, errors=(), status=200):
    if services.hidden_from(member, reconciliation):
        return render(
            request,
            "coding/reconcile/blind.html",
            {"study": study, "reconciliation": reconciliation, "message": services.BLIND},
            status=403 if request.method == "POST" else 200,
        )
    version, listed = services.difference_list(member, reconciliation, transcript)
    codings = [coding for entry in listed for coding in (*entry.codings_a, *entry.codings_b)]
    consensus = list(
        ConsensusCoding.objects.filter(reconciliation=reconciliation, version=version)
        .select_related("code", "added_by", "decision")
        .order_by("start", "end")
    )
    for coding in consensus:
        coding.words = version.text[coding.start : coding.end]
    codes = list(
        Code.objects.visible_to(member).filter(retired_at__isnull=True).select_related("created_by")
    )
    entries = []
    for number, entry in enumerate(listed, start=1):
        entries.append(
            {
                "number": number,
                "entry": entry,
                "words": version.text[entry.item.start : entry.item.end],
                "overlap": round(entry.item.overlap * 100),
                "code": (*entry.codings_a, *entry.codings_b)[0].code,  # the consensus default
                "mergeable": entry.item.kind == Kind.DIFFERENT_CODES
                and len({c.code_id for c in entry.codings_a}) == 1
                and len({c.code_id for c in entry.codings_b}) == 1,
            }
        )
    summary = Counter(entry.item.kind for entry in listed)
    return render(
        request,
        "coding/reconcile/transcript.html",
        {
            "study": study,
            "member": member,
            "reconciliation": reconciliation,
            "transcript": transcript,
            "version": version,
            "turns": render_turns(
                list(version.turns.select_related("participant").order_by("position")),
                version.text,
                codings,
            ),
            "entries": entries,
            "summary": [(kind, summary[kind]) for kind in Kind],
            "decided": sum(1 for entry in listed if entry.decision is not None),
            "consensus": consensus,
            "codes": codes,
            "outcomes": Outcome.choices,
            "meetings": Meeting.objects.filter(study=study)[:20],
            "can_change": member.has_role(Role.CODER),
            "errors": errors,
        },
        status=status,
    )


def transcript_page(
    request: HttpRequest, study: str, reconciliation: str, transcript: str
) -> HttpResponse:
    study, member = study_access(request, study)
    reconciliation = _reconciliation(study, reconciliation)
    return _reading(request, study, member, reconciliation, _transcript(reconciliation, transcript))


def _back(reconciliation, transcript, item: str = "") -> str:
    url = reverse(
        "coding-reconcile-transcript",
        args=[reconciliation.study.slug, reconciliation.uuid, transcript.uuid],
    )
    return f"{url}#item-{item}" if item else url


def _post(request, study, reconciliation, transcript):
    study, member = study_access(request, study, Role.CODER)
    reconciliation = _reconciliation(study, reconciliation)
    return study, member, reconciliation, _transcript(reconciliation, transcript)


@require_POST
def decide(request: HttpRequest, study: str, reconciliation: str, transcript: str) -> HttpResponse:
    study, member, reconciliation, transcript = _post(request, study, reconciliation, transcript)
    meeting = None
    if request.POST.get("meeting"):
        meeting = Meeting.objects.filter(study=study, uuid=request.POST["meeting"]).first()
        if meeting is None:
            return _reading(
                request, study, member, reconciliation, transcript,
                errors=["That meeting is not one of this study's."], status=422,
            )  # fmt: skip
    item = request.POST.get("item", "")
    try:
        decision = services.decision_record(
            member=member,
            reconciliation=reconciliation,
            transcript=transcript,
            item=item,
            outcome=request.POST.get("outcome", ""),
            rationale=request.POST.get("rationale", ""),
            meeting=meeting,
            request=request,
        )
    except ValidationError as error:
        return _reading(
            request, study, member, reconciliation, transcript, errors=error.messages, status=422
        )
    messages.success(request, f"Recorded: {decision.get_outcome_display().lower()}.")
    return redirect(_back(reconciliation, transcript, item))


def _decision(reconciliation, transcript, item: str) -> Decision | None:
    return Decision.objects.filter(
        reconciliation=reconciliation, version__transcript=transcript, item=item
    ).first()


@require_POST
def merge(request: HttpRequest, study: str, reconciliation: str, transcript: str) -> HttpResponse:
    """Merge one side's code into the other's, as the decision on the item prompted."""
    study, member, reconciliation, transcript = _post(request, study, reconciliation, transcript)
    item = request.POST.get("item", "")
    decision = _decision(reconciliation, transcript, item)
    visible = Code.objects.visible_to(member)
    code = visible.filter(uuid=request.POST.get("code") or None).first()
    into = visible.filter(uuid=request.POST.get("into") or None).first()
    errors = []
    if decision is None:
        errors.append("Record the decision on this difference first: the merge is linked to it.")
    if code is None or into is None:
        errors.append("Choose the two codes to merge.")
    if not errors:
        try:
            merged = codebook.codes_merge(
                member=member,
                code=code,
                into=into,
                reason=decision.rationale,
                decision=decision,
                request=request,
            )
        except (ValidationError, PermissionDenied) as error:
            errors = getattr(error, "messages", None) or [str(error)]
        else:
            messages.success(
                request, f"Merged “{code.label}” into “{into.label}”: {merged.moved} moved."
            )
            return redirect(_back(reconciliation, transcript))
    return _reading(request, study, member, reconciliation, transcript, errors=errors, status=422)


@require_POST
def consensus_add(
    request: HttpRequest, study: str, reconciliation: str, transcript: str
) -> HttpResponse:
    study, member, reconciliation, transcript = _post(request, study, reconciliation, transcript)
    item = request.POST.get("item", "")
    code = Code.objects.visible_to(member).filter(uuid=request.POST.get("code") or None).first()
    try:
        start, end = int(request.POST.get("start", "")), int(request.POST.get("end", ""))
    except ValueError:
        start = end = -1
    try:
        if code is None:
            raise ValidationError("Choose the code for the consensus layer.")
        services.consensus_add(
            member=member,
            reconciliation=reconciliation,
            transcript=transcript,
            code=code,
            start=start,
            end=end,
            decision=_decision(reconciliation, transcript, item),
        )
    except ValidationError as error:
        return _reading(
            request, study, member, reconciliation, transcript, errors=error.messages, status=422
        )
    messages.success(request, f"Added “{code.label}” to the consensus layer.")
    return redirect(_back(reconciliation, transcript, item))


@require_POST
def consensus_remove(
    request: HttpRequest, study: str, reconciliation: str, transcript: str, coding: str
) -> HttpResponse:
    study, member, reconciliation, transcript = _post(request, study, reconciliation, transcript)
    coding = get_object_or_404(
        ConsensusCoding, reconciliation=reconciliation, version__transcript=transcript, uuid=coding
    )
    services.consensus_remove(member=member, coding=coding)
    messages.success(request, "Removed from the consensus layer.")
    return redirect(_back(reconciliation, transcript))
