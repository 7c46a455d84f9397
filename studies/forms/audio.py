"""Forms for interviews and the life of their audio."""

from datetime import timedelta

from django import forms
from django.db.models import Q
from django.utils import timezone

from studies.forms import DateInput
from studies.models import Interview, Participant, SourceProject, Study

YES_NO = [("True", "Yes"), ("False", "No")]


class UUIDChoiceField(forms.ModelChoiceField):
    """A row posted by its UUID; a value that is not even a UUID is just not one of the choices."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except forms.ValidationError as error:
            if error.code == "invalid_choice":
                raise
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            ) from None


class ParticipantChoiceField(UUIDChoiceField):
    def label_from_instance(self, participant: Participant) -> str:
        return participant.pseudonym


class InterviewForm(forms.ModelForm):
    """An interview's details. The participant is posted by its UUID and must be one of the
    study's participants who has not withdrawn (or the interview's own, when editing)."""

    participant = ParticipantChoiceField(
        queryset=Participant.objects.none(),
        to_field_name="uuid",
        empty_label="Choose a participant",
        error_messages={"invalid_choice": "Choose one of this study's participants."},
    )
    audio_recorded = forms.TypedChoiceField(
        label="Audio recorded",
        choices=YES_NO,
        coerce=lambda value: value == "True",
        initial="True",
    )

    class Meta:
        model = Interview
        fields = ["participant", "held_on", "medium", "audio_recorded", "audio_copies"]
        widgets = {"held_on": DateInput, "audio_copies": forms.Textarea(attrs={"rows": 3})}
        labels = {"held_on": "Date held", "audio_copies": "Where the audio is kept"}
        help_texts = {
            "audio_copies": "One copy per line, for example “Teams cloud (university tenant)” "
            "or “encrypted laptop of the interviewer”.",
        }

    def __init__(self, *args, study: Study, **kwargs):
        super().__init__(*args, **kwargs)
        eligible = Q(withdrawn_at__isnull=True)
        if self.instance.pk:
            eligible |= Q(pk=self.instance.participant_id)
            # The form holds the participant's pk; the select is keyed by UUID.
            self.initial["participant"] = self.instance.participant
        self.fields["participant"].queryset = Participant.objects.filter(
            eligible, study=study
        ).order_by("pseudonym")

    def clean_held_on(self):
        held_on = self.cleaned_data["held_on"]
        if held_on > timezone.localdate():
            raise forms.ValidationError("The interview date cannot be in the future.")
        return held_on

    def clean(self):
        cleaned = super().clean()
        recorded, copies = cleaned.get("audio_recorded"), cleaned.get("audio_copies", "").strip()
        if recorded and not copies:
            self.add_error(
                "audio_copies", "Say where the audio is kept, so that every copy can be deleted."
            )
        if recorded is False and copies:
            self.add_error("audio_copies", "An interview without audio has no copies to keep.")
        return cleaned


class AudioDeletionForm(forms.Form):
    deleted_copies = forms.CharField(
        label="Copies deleted",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One copy per line.",
    )
    deletion_method = forms.CharField(
        label="How they were deleted",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: deleted from Teams cloud and secure-erased from the encrypted laptop.",
        error_messages={"required": "Say how the audio was deleted."},
    )
    before_verification = forms.BooleanField(
        label="Delete before the transcript was verified",
        required=False,
        help_text="The transcript can no longer be checked against the audio afterwards.",
    )

    def __init__(self, *args, interview: Interview, **kwargs):
        kwargs.setdefault("initial", {"deleted_copies": interview.audio_copies})
        super().__init__(*args, **kwargs)
        self.interview = interview
        if interview.verified_at:
            del self.fields["before_verification"]

    def clean(self):
        cleaned = super().clean()
        if "before_verification" in self.fields and not cleaned.get("before_verification"):
            self.add_error(
                "before_verification",
                "The transcript has not been verified against this audio yet. Tick “delete "
                "before the transcript was verified” to delete it anyway.",
            )
        return cleaned


class InterviewFilterForm(forms.Form):
    source_project = UUIDChoiceField(
        queryset=SourceProject.objects.none(),
        to_field_name="uuid",
        required=False,
        empty_label="All source projects",
        error_messages={"invalid_choice": "Choose one of this study's source projects."},
    )
    overdue = forms.BooleanField(label="Overdue only", required=False)

    def __init__(self, *args, study: Study, **kwargs):
        super().__init__(*args, **kwargs)
        self.study = study
        self.fields["source_project"].queryset = study.source_projects.all()

    def filter(self, interviews):
        data = self.cleaned_data
        if data.get("source_project"):
            interviews = interviews.filter(participant__source_project=data["source_project"])
        if data.get("overdue"):
            # Due on held_on + retention; overdue once that day has passed.
            last_day_held = timezone.localdate() - timedelta(days=self.study.audio_retention_days)
            interviews = interviews.filter(
                audio_recorded=True, audio_deleted_at__isnull=True, held_on__lt=last_day_held
            )
        return interviews
