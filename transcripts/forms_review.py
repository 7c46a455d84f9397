from django import forms

from transcripts.models import Candidate, Category, ListedIdentifier
from transcripts.review import DESCRIPTOR_HELP


class DecisionForm(forms.Form):
    candidate = forms.ModelChoiceField(queryset=Candidate.objects.none(), to_field_name="uuid")
    decision = forms.ChoiceField(choices=[("accepted", "Replace"), ("rejected", "Keep")])
    replacement = forms.CharField(max_length=80, required=False, help_text=DESCRIPTOR_HELP)
    everywhere = forms.BooleanField(required=False)

    def __init__(self, *args, version, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["candidate"].queryset = Candidate.objects.filter(version=version)


class AddCandidateForm(forms.Form):
    start = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    end = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    category = forms.ChoiceField(choices=Category.choices)
    replacement = forms.CharField(max_length=80, help_text=DESCRIPTOR_HELP)


class SignOffForm(forms.Form):
    full_read = forms.BooleanField(
        label="I have read the whole anonymised transcript and found nothing that identifies anyone",
        required=True,
    )


class ListedIdentifierForm(forms.Form):
    kind = forms.ChoiceField(choices=ListedIdentifier.Kind.choices)
    text = forms.CharField(max_length=200, label="Name or term")
    category = forms.ChoiceField(choices=Category.choices, required=False)
    replacement = forms.CharField(max_length=80, required=False, help_text=DESCRIPTOR_HELP)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == ListedIdentifier.Kind.DENY and not cleaned.get("replacement"):
            self.add_error(
                "replacement", "A deny-list entry needs its replacement, e.g. [hospital]."
            )
        return cleaned


class CorrectionForm(forms.Form):
    turn_position = forms.IntegerField(min_value=1, label="Turn number")
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), label="Corrected text of the turn"
    )
    reason = forms.CharField(
        max_length=500,
        help_text="Kept with the new version, e.g. a mishearing checked against the audio.",
    )
