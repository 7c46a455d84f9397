"""Forms of study set-up: the study's details, inclusion criteria, the analysis mode, source
projects and interview guides."""

import re

from django import forms

from studies.forms import StudySettingsForm
from studies.models import AnalysisMode, Protocol, SourceProject, Study
from studies.services.guides import LEVELS
from studies.services.setup import CRITERION_MAX_LENGTH, MIN_JUSTIFICATION


class StudyDetailsForm(StudySettingsForm):
    """The study's description, ethics approval and data-handling rules. The analysis mode is
    changed on the set-up page, with a justification."""

    audio_retention_days = forms.IntegerField(
        label="Audio retention (days)",
        min_value=1,
        max_value=3650,
        help_text=Study._meta.get_field("audio_retention_days").help_text,
        error_messages={
            "min_value": "Keep audio for at least 1 day.",
            "max_value": "Audio can be kept for at most 3650 days (ten years).",
        },
    )

    class Meta(StudySettingsForm.Meta):
        fields = [
            *StudySettingsForm.Meta.fields,
            "ethics_committee",
            "withdrawal_policy",
            "audio_retention_days",
            "speaker_pattern",
            "keep_uploaded_files",
            "keep_original_text",
        ]
        help_texts = {
            **StudySettingsForm.Meta.help_texts,
            "withdrawal_policy": "What the approved protocol allows when a participant withdraws.",
        }

    def clean_speaker_pattern(self):
        pattern = self.cleaned_data["speaker_pattern"].strip()
        if not pattern:
            return ""
        try:
            compiled = re.compile(pattern)
        except re.error as error:
            raise forms.ValidationError(f"This is not a regular expression: {error}.") from None
        if "speaker" not in compiled.groupindex:
            raise forms.ValidationError("The pattern needs a group named speaker: (?P<speaker>…).")
        return pattern


class CriterionForm(forms.Form):
    text = forms.CharField(label="Criterion", max_length=CRITERION_MAX_LENGTH)


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "Up"), ("down", "Down")])


class ModeChangeForm(forms.Form):
    to_mode = forms.ChoiceField(
        label="New analysis mode", choices=[("", "Choose a mode…"), *AnalysisMode.choices]
    )
    justification = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        min_length=MIN_JUSTIFICATION,
        error_messages={
            "min_length": f"Give a justification of at least {MIN_JUSTIFICATION} characters: "
            "it is kept with the study's method."
        },
        help_text="Why the analysis changes approach. It is kept in the mode history and the audit log.",
    )

    def __init__(self, *args, study: Study, **kwargs):
        super().__init__(*args, **kwargs)
        self.study = study

    def clean_to_mode(self):
        to_mode = self.cleaned_data["to_mode"]
        if to_mode == self.study.analysis_mode:
            raise forms.ValidationError(
                f"The study already uses {self.study.get_analysis_mode_display().lower()}: "
                "choose a different mode."
            )
        return to_mode


class VersionChoiceField(forms.ModelChoiceField):
    def to_python(self, value):
        try:
            return super().to_python(value)
        except forms.ValidationError:  # not a UUID at all: the same answer as an unknown one
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            ) from None


def _versions(study: Study, **kwargs) -> forms.ModelChoiceField:
    """A choice among the study's interview guide versions, sent as their UUIDs."""
    return VersionChoiceField(
        queryset=Protocol.objects.filter(study=study).order_by("version"),
        to_field_name="uuid",
        error_messages={"invalid_choice": "Choose one of this study's interview guide versions."},
        **kwargs,
    )


class SourceProjectForm(forms.ModelForm):
    class Meta:
        model = SourceProject
        fields = ["name", "ethics_reference", "protocol", "consent_covers_secondary_analysis"]
        labels = {"ethics_reference": "Ethics approval reference"}
        help_texts = {"protocol": "The version of the interview guide its interviews followed."}

    def __init__(self, *args, study: Study, **kwargs):
        super().__init__(*args, **kwargs)
        self.study = study
        field = self.fields["protocol"]
        self.fields["protocol"] = _versions(
            study,
            required=False,
            label=field.label,
            help_text=field.help_text,
            empty_label="Not recorded",
        )

    def clean_name(self):
        name = self.cleaned_data["name"]
        duplicate = SourceProject.objects.filter(study=self.study, name__iexact=name)
        if self.instance.pk:
            duplicate = duplicate.exclude(pk=self.instance.pk)
        if duplicate.exists():
            raise forms.ValidationError(f"This study already has a source project named “{name}”.")
        return name


class ProtocolCreateForm(forms.Form):
    version = forms.CharField(
        max_length=40, help_text="For example v2, or 2025-03: unique within the study."
    )

    def __init__(self, *args, study: Study, **kwargs):
        super().__init__(*args, **kwargs)
        self.study = study
        self.fields["copy_from"] = _versions(
            study,
            required=False,
            label="Start from",
            empty_label="An empty guide",
            help_text="A copy takes every domain, question and prompt of that version.",
        )

    def clean_version(self):
        version = self.cleaned_data["version"]
        if Protocol.objects.filter(study=self.study, version__iexact=version).exists():
            raise forms.ValidationError(f"This study already has a version “{version}”.")
        return version


class GuideItemForm(forms.Form):
    """The words of a domain, question or prompt."""

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        level = LEVELS[kind]
        self.fields["text"] = forms.CharField(
            label=level.noun.capitalize(),
            max_length=level.max_length,
            error_messages={"required": f"The {level.noun} needs some text."},
        )
