"""The agreement form: which coders, on which transcripts, by which unit, and why. Only the shape
of the input is checked here; whether it makes a run (two coders, a threshold between 0 and 1,
a justification in reflexive TA, the blind rule) `coding.stats.agreement_compute` says, and its
reasons come back on the fields they concern."""

from django import forms
from django.contrib.auth import get_user_model

from coding.stats import (
    DEFAULT_THRESHOLD,
    JUSTIFICATION_MIN,
    UNIT_LABELS,
    UNITS,
    statistics_by_default,
)
from studies.models import Membership, Role, Study
from transcripts.models import Transcript, TranscriptState

CODING_ROLES = [role for role in Role if role.rank >= Role.CODER.rank]
UNIT_HELP = {
    "turn": "a turn is coded if a coding touches it",
    "character": "every character of the turns",
    "segment": "codings matched when they overlap enough",
    "transcript": "coded anywhere in it",
}
UNIT_CHOICES = [(unit, f"{UNIT_LABELS[unit].capitalize()} ({UNIT_HELP[unit]})") for unit in UNITS]


class AgreementForm(forms.Form):
    coders = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.none(),
        to_field_name="username",
        required=False,  # the service says why fewer than two will not do
        error_messages={"invalid_choice": "%(value)s is not a coder of this study."},
    )
    unit = forms.ChoiceField(choices=UNIT_CHOICES, initial="turn")
    threshold = forms.FloatField(
        required=False,
        initial=DEFAULT_THRESHOLD,
        label="Overlap threshold",
        help_text="Segments only: the share of their union two codings must share to match "
        "(more than 0, at most 1).",
    )
    exclude_interviewer = forms.BooleanField(
        required=False, label="Leave out the interviewer's turns"
    )
    transcripts = forms.ModelMultipleChoiceField(
        queryset=Transcript.objects.none(),
        to_field_name="uuid",
        required=False,
        error_messages={"invalid_choice": "A chosen transcript is not one of this study's."},
    )
    justification = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        strip=True,
        help_text="Why agreement, and what you will do with it. It is kept with the run and "
        "goes into the methods text.",
    )

    def __init__(self, *args, study: Study, **kwargs):
        super().__init__(*args, **kwargs)
        # Former members too: their layers stay in the study.
        self.fields["coders"].queryset = (
            get_user_model()
            .objects.filter(
                memberships__in=Membership.objects.filter(study=study, role__in=CODING_ROLES)
            )
            .order_by("username")
        )
        self.fields["transcripts"].queryset = Transcript.objects.filter(
            study=study, state=TranscriptState.LOCKED
        ).select_related("participant")
        self.justification_required = not statistics_by_default(study)
        if self.justification_required:
            self.fields["justification"].help_text = (
                f"Required in reflexive TA, at least {JUSTIFICATION_MIN} characters. "
                + self.fields["justification"].help_text
            )

    def chosen(self, name: str) -> set[str]:
        """The values ticked for a multiple choice, as submitted (for re-rendering)."""
        return set(self.data.getlist(name)) if self.is_bound else set()
