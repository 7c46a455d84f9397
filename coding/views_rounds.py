"""The blind rounds page: every member sees the rounds, who codes in them and who has finished;
a lead opens and closes (unblinds) them; a coder marks their part done."""

from collections.abc import Sequence

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from coding import rounds as services
from coding.models import CodingRound, RoundCoder
from studies.access import study_access
from studies.models import Membership, Role, Study
from transcripts.models import Transcript, TranscriptState

PAGE = "coding/rounds.html"
CODING_ROLES = [role for role in Role if role.rank >= Role.CODER.rank]


class RoundOpenForm(forms.Form):
    """What a round is made of. The choices are the study's transcripts and members; whether
    they may go into a round (locked, not in another open round, a coder) the service says."""

    title = forms.CharField(required=False, strip=True)
    transcripts = forms.ModelMultipleChoiceField(
        queryset=Transcript.objects.none(),
        to_field_name="uuid",
        required=False,
        error_messages={"invalid_choice": "A chosen transcript is not one of this study's."},
    )
    coders = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.none(),
        to_field_name="username",
        required=False,
        error_messages={"invalid_choice": "%(value)s is not a member of this study."},
    )

    def __init__(self, *args, study: Study, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["transcripts"].queryset = Transcript.objects.filter(study=study)
        self.fields["coders"].queryset = get_user_model().objects.filter(
            memberships__in=Membership.objects.active().filter(study=study)
        )


def _context(study: Study, member: Membership, form: RoundOpenForm | None) -> dict:
    coding_rounds = list(
        CodingRound.objects.filter(study=study)
        .select_related("opened_by", "closed_by")
        .prefetch_related(
            Prefetch("transcripts", queryset=Transcript.objects.select_related("participant")),
            Prefetch(
                "round_coders",
                queryset=RoundCoder.objects.select_related("coder").order_by("coder__username"),
            ),
        )
    )
    busy = {}
    for coding_round in coding_rounds:
        coding_round.parts = list(coding_round.round_coders.all())
        coding_round.not_done = [part for part in coding_round.parts if part.done_at is None]
        coding_round.my_part = next(
            (part for part in coding_round.parts if part.coder_id == member.user_id), None
        )
        if coding_round.is_open:
            busy.update({t.pk: coding_round for t in coding_round.transcripts.all()})
    context = {"study": study, "member": member, "rounds": coding_rounds}
    if member.is_lead:
        form = form or RoundOpenForm(study=study)
        chosen = (
            (set(form.data.getlist("transcripts")), set(form.data.getlist("coders")))
            if form.is_bound
            else (set(), set())
        )
        locked = Transcript.objects.filter(study=study, state=TranscriptState.LOCKED)
        coders = Membership.objects.active().filter(study=study, role__in=CODING_ROLES)
        context |= {
            "form": form,
            "transcript_choices": [
                (t, str(t.uuid) in chosen[0], busy.get(t.pk))
                for t in locked.select_related("participant")
            ],
            "coder_choices": [
                (m, m.user.get_username() in chosen[1])
                for m in coders.select_related("user").order_by("user__username")
            ],
        }
    return context


def _render(
    request: HttpRequest,
    study: Study,
    member: Membership,
    *,
    form: RoundOpenForm | None = None,
    errors: Sequence[str] = (),
    status: int = 200,
) -> HttpResponse:
    template = f"{PAGE}#rounds" if request.htmx else PAGE
    context = _context(study, member, form) | {"errors": errors}
    return render(request, template, context, status=status)


def _answer(request: HttpRequest, study: Study, member: Membership) -> HttpResponse:
    """After a change: the region to htmx, a redirect to the page otherwise."""
    if request.htmx:
        return _render(request, study, member)
    return redirect("coding-rounds", study=study.slug)


@vary_on_headers("HX-Request")
def round_list(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study)
    return _render(request, study, member)


@vary_on_headers("HX-Request")
@require_POST
def round_open(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study, Role.LEAD)
    form = RoundOpenForm(request.POST, study=study)
    if form.is_valid():
        try:
            coding_round = services.round_open(
                member=member,
                title=form.cleaned_data["title"],
                transcripts=list(form.cleaned_data["transcripts"]),
                coders=list(form.cleaned_data["coders"]),
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Opened the round “{coding_round.title}”: coding is blind.")
            return _answer(request, study, member)
    return _render(request, study, member, form=form, status=422)


def _round(study: Study, uuid) -> CodingRound:
    return get_object_or_404(CodingRound, study=study, uuid=uuid)


@vary_on_headers("HX-Request")
@require_POST
def round_done(request: HttpRequest, study: str, coding_round: str) -> HttpResponse:
    study, member = study_access(request, study, Role.CODER)
    coding_round = _round(study, coding_round)
    try:
        services.round_mark_done(member=member, coding_round=coding_round, request=request)
    except ValidationError as error:
        return _render(request, study, member, errors=error.messages, status=422)
    messages.success(request, f"Marked your part of “{coding_round.title}” done.")
    return _answer(request, study, member)


@vary_on_headers("HX-Request")
@require_POST
def round_unblind(request: HttpRequest, study: str, coding_round: str) -> HttpResponse:
    study, member = study_access(request, study, Role.LEAD)
    coding_round = _round(study, coding_round)
    try:
        services.round_unblind(member=member, coding_round=coding_round, request=request)
    except ValidationError as error:
        return _render(request, study, member, errors=error.messages, status=422)
    messages.success(
        request, f"Closed “{coding_round.title}”: every coder's codings are now visible."
    )
    return _answer(request, study, member)
