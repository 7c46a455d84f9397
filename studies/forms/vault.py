from django import forms
from django.utils import timezone

from studies.forms import DateInput
from studies.models import ConsentRecord, InclusionCriterion, Withdrawal


class IdentityForm(forms.Form):
    real_name = forms.CharField(max_length=200)
    contact = forms.CharField(
        max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    original_id = forms.CharField(label="Original ID", max_length=100, required=False)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ConsentForm(forms.ModelForm):
    class Meta:
        model = ConsentRecord
        fields = [
            "method",
            "consented_on",
            "information_sheet_version",
            "consent_form_version",
            *ConsentRecord.ITEMS,
        ]
        widgets = {
            "consented_on": DateInput(),
            "information_sheet_version": forms.TextInput,
            "consent_form_version": forms.TextInput,
        }
        labels = {"consented_on": "Date of consent"}

    def clean_consented_on(self):
        consented_on = self.cleaned_data["consented_on"]
        if consented_on > timezone.localdate():
            raise forms.ValidationError("The date of consent cannot be in the future.")
        return consented_on

    def item_fields(self):
        return [self[name] for name in ConsentRecord.ITEMS]


class ScreeningForm(forms.Form):
    """One yes/no answer and a note per inclusion criterion."""

    ANSWERS = [("yes", "Met"), ("no", "Not met")]

    def __init__(self, *args, criteria: list[InclusionCriterion], initial_records: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria, self.records = criteria, initial_records
        for criterion in criteria:
            record = initial_records.get(criterion.pk)
            self.fields[f"met_{criterion.pk}"] = forms.ChoiceField(
                label=f"{criterion.position}. {criterion.text}",
                choices=self.ANSWERS,
                widget=forms.RadioSelect,
                initial=None if record is None else ("yes" if record.met else "no"),
            )
            self.fields[f"note_{criterion.pk}"] = forms.CharField(
                label="Note", required=False, initial="" if record is None else record.note
            )

    def rows(self):
        """Per criterion: its answer field, its note field and the record so far (or None)."""
        return [
            (self[f"met_{c.pk}"], self[f"note_{c.pk}"], self.records.get(c.pk))
            for c in self.criteria
        ]

    def results(self) -> dict:
        return {
            criterion: (
                self.cleaned_data[f"met_{criterion.pk}"] == "yes",
                self.cleaned_data[f"note_{criterion.pk}"].strip(),
            )
            for criterion in self.criteria
        }


class WithdrawalForm(forms.Form):
    mode = forms.ChoiceField(widget=forms.RadioSelect, choices=Withdrawal.Mode.choices)
    legal_basis = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed to keep anonymised data, e.g. “GDPR Art. 17(3)(d): research in the public interest”.",
    )
    confirmation = forms.CharField(label="Type the pseudonym to confirm", max_length=30)

    def __init__(self, *args, modes: list[Withdrawal.Mode], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mode"].choices = [(mode.value, mode.label) for mode in modes]
        if len(modes) == 1:
            self.fields["mode"].initial = modes[0].value
