from django import forms
from django.core.exceptions import ValidationError

from studies.models import Participant, SourceProject, Study
from transcripts.importers.files import MAX_UPLOAD_BYTES
from transcripts.services import DROP, INTERVIEWER


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files. An empty one is let through: the import fails it with its reason, and the
    rest of the batch goes on."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        super().__init__(*args, allow_empty_file=True, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if not files:
            raise ValidationError("Choose one or more transcript files.")
        return [super(MultipleFileField, self).clean(file, initial) for file in files]


def parse_speaker_map(text: str) -> dict[str, str]:
    """ "Alex Smith=Interviewer; Sam Jones=P3" as a dictionary, or a ValidationError."""
    mapping = {}
    for item in filter(None, (part.strip() for part in text.replace("\n", ";").split(";"))):
        label, sep, target = item.partition("=")
        if not sep or not label.strip() or not target.strip():
            raise ValidationError(
                f"“{item}” is not of the form Name=Interviewer, Name=P3 or Name=drop."
            )
        mapping[label.strip()] = target.strip()
    return mapping


class UploadForm(forms.Form):
    files = MultipleFileField(
        help_text=f".docx, .txt or .vtt; up to {MAX_UPLOAD_BYTES // 2**20} MiB each. Teams, Zoom, Otter and typed transcripts."
    )
    participant = forms.ModelChoiceField(
        queryset=Participant.objects.none(),
        to_field_name="uuid",
        required=False,
        empty_label="— decide when mapping speakers —",
        help_text="The person interviewed, if every file is theirs.",
    )
    source_project = forms.ModelChoiceField(
        queryset=SourceProject.objects.none(),
        to_field_name="uuid",
        required=False,
        empty_label="— the participant's —",
    )
    speaker_map = forms.CharField(
        required=False,
        label="Speakers",
        help_text="Optional: who is who, e.g. “Alex Smith=Interviewer; Sam Jones=P3; Otter bot=drop”.",
        widget=forms.TextInput,
    )

    def __init__(self, *args, study: Study, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participant"].queryset = Participant.objects.filter(
            study=study, withdrawn_at=None
        )
        self.fields["source_project"].queryset = SourceProject.objects.filter(study=study)

    def clean_speaker_map(self):
        return parse_speaker_map(self.cleaned_data["speaker_map"])


class SpeakerMappingForm(forms.Form):
    """For each speaker label in the file: the interviewer, a participant, or dropped."""

    def __init__(
        self, *args, study: Study, speakers: list[str], suggested: dict[str, str], **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.speakers = speakers
        participants = Participant.objects.filter(study=study, withdrawn_at=None)
        choices = [
            ("", "Choose…"),
            (INTERVIEWER, "Interviewer"),
            *((str(participant.uuid), participant.pseudonym) for participant in participants),
            (DROP, "Drop (not part of the interview)"),
        ]
        for index, speaker in enumerate(speakers):
            self.fields[f"speaker_{index}"] = forms.ChoiceField(
                label=speaker or "(speaker not named in the file)",
                choices=choices,
                initial=suggested.get(speaker, ""),
            )

    def mapping(self) -> dict[str, str]:
        return {
            speaker: self.cleaned_data[f"speaker_{index}"]
            for index, speaker in enumerate(self.speakers)
        }
