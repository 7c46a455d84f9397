"""Forms for meetings and the decision log. They check the shape of the input; the service in
coding/reconcile/meetings.py checks what it means (membership, the study's decisions, roles)."""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from coding.models import Decision, Meeting, Outcome, Reconciliation
from coding.reconcile.meetings import (
    MINUTES_MAX_CHARS,
    TITLE_MAX,
    decision_label,
    decisions_visible_to,
)
from studies.models import Membership

NO_MEETING = "none"


class DateInput(forms.DateInput):
    """A browser's date picker: its value is always written as ISO 8601, whatever the locale."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class DecisionChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Decision) -> str:
        return decision_label(obj)


def decision_choices(member: Membership, meeting: Meeting | None = None):
    """The decisions a form may offer: those the member may see, newest first, with what their
    labels need (and not the transcript's text)."""
    decisions = decisions_visible_to(member)
    if meeting is not None:
        decisions = decisions.filter(Q(meeting__isnull=True) | Q(meeting=meeting))
    return (
        decisions.select_related("version__transcript")
        .defer("version__text")
        .order_by("-decided_at", "-id")
    )


class MeetingForm(forms.Form):
    held_on = forms.DateField(
        label="Held on",
        widget=DateInput,
        error_messages={"required": "Give the date the meeting was held."},
    )
    title = forms.CharField(
        max_length=TITLE_MAX, error_messages={"required": "A meeting needs a title."}
    )
    attendees = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.none(),
        to_field_name="username",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose who came to the meeting.",
            "invalid_choice": "%(value)s is not a member of this study.",
        },
    )
    minutes = forms.CharField(
        required=False,
        max_length=MINUTES_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text="What was discussed; line breaks are kept.",
    )
    decisions = DecisionChoiceField(
        queryset=Decision.objects.none(),
        to_field_name="uuid",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Reconciliation decisions taken in this meeting. A decision taken in another "
        "meeting is not offered.",
        error_messages={
            "invalid_choice": "A chosen decision is not one of this study's, or it was taken "
            "in another meeting."
        },
    )
    # The fingerprint of the meeting the form was made from (coding.reconcile.meetings).
    revision = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, member: Membership, meeting: Meeting | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = (
            get_user_model()
            .objects.filter(memberships__in=Membership.objects.active().filter(study=member.study))
            .order_by("username")
        )
        self.fields["decisions"].queryset = decision_choices(member, meeting)
        if meeting is None:
            self.fields["held_on"].initial = timezone.localdate
            self.fields["attendees"].initial = [member.user.get_username()]


class DecisionFilterForm(forms.Form):
    """The decision log's filters, from the address: each one empty means any."""

    reconciliation = forms.ModelChoiceField(
        queryset=Reconciliation.objects.none(),
        to_field_name="uuid",
        required=False,
        empty_label="Any reconciliation",
        error_messages={"invalid_choice": "That reconciliation is not one of this study's."},
    )
    outcome = forms.ChoiceField(
        choices=[("", "Any outcome"), *Outcome.choices],
        required=False,
        error_messages={"invalid_choice": "%(value)s is not an outcome."},
    )
    meeting = forms.ChoiceField(
        choices=[],
        required=False,
        error_messages={"invalid_choice": "That meeting is not one of this study's."},
    )

    def __init__(self, *args, member: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reconciliation"].queryset = Reconciliation.objects.filter(
            study_id=member.study_id
        )
        meetings = Meeting.objects.filter(study_id=member.study_id)
        self.fields["meeting"].choices = [
            ("", "Any meeting"),
            (NO_MEETING, "Not taken in a meeting"),
            *((str(meeting.uuid), str(meeting)) for meeting in meetings),
        ]

    def filter(self, decisions):
        data = self.cleaned_data
        if data.get("reconciliation"):
            decisions = decisions.filter(reconciliation=data["reconciliation"])
        if data.get("outcome"):
            decisions = decisions.filter(outcome=data["outcome"])
        if data.get("meeting") == NO_MEETING:
            decisions = decisions.filter(meeting__isnull=True)
        elif data.get("meeting"):
            decisions = decisions.filter(meeting__uuid=data["meeting"])
        return decisions
