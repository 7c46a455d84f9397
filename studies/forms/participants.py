from django import forms
from django.core.exceptions import ValidationError

from studies.forms import DateInput
from studies.models import AttributeDefinition, AttributeKind, Participant, SourceProject, Study
from studies.models.participants import pseudonym_validator


class ParticipantForm(forms.Form):
    """A participant's pseudonym, source project and analysis attributes: one field per attribute
    the study defines, checked against its kind."""

    pseudonym = forms.CharField(max_length=30, validators=[pseudonym_validator])
    source_project = forms.ModelChoiceField(
        queryset=SourceProject.objects.none(), to_field_name="uuid", empty_label=None
    )

    def __init__(
        self, *args, study: Study, attributes: list[AttributeDefinition], participant=None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.study, self.attributes, self.participant = study, attributes, participant
        self.fields["source_project"].queryset = SourceProject.objects.filter(study=study)
        for attribute in attributes:
            self.fields[self.field_name(attribute)] = self.attribute_field(attribute)

    @staticmethod
    def field_name(attribute: AttributeDefinition) -> str:
        return f"attribute_{attribute.uuid.hex}"

    @staticmethod
    def attribute_field(attribute: AttributeDefinition) -> forms.Field:
        if attribute.kind == AttributeKind.CHOICE:
            choices = [("", "—"), *((choice, choice) for choice in attribute.choices)]
            return forms.ChoiceField(label=attribute.name, choices=choices, required=False)
        widget = {
            AttributeKind.INTEGER: forms.NumberInput(attrs={"step": 1}),
            AttributeKind.DATE: DateInput(),
        }.get(attribute.kind, forms.TextInput)
        return forms.CharField(label=attribute.name, required=False, widget=widget)

    def attribute_fields(self):
        return [self[self.field_name(attribute)] for attribute in self.attributes]

    def clean_pseudonym(self):
        pseudonym = self.cleaned_data["pseudonym"].strip()
        taken = Participant.objects.filter(study=self.study, pseudonym__iexact=pseudonym)
        if self.participant is not None:
            taken = taken.exclude(pk=self.participant.pk)
        if taken.exists() or self.study.withdrawals.filter(pseudonym__iexact=pseudonym).exists():
            raise ValidationError(f"{pseudonym} is already used in this study.")
        return pseudonym

    def clean(self):
        cleaned = super().clean()
        values = {}
        for attribute in self.attributes:
            name = self.field_name(attribute)
            try:
                values[attribute] = attribute.clean_value(cleaned.get(name, ""))
            except ValidationError as error:
                self.add_error(name, error)
        cleaned["attributes"] = values
        return cleaned


class ParticipantCreateForm(ParticipantForm):
    """A new participant: what the analysis sees, and what only the vault keeps."""

    real_name = forms.CharField(max_length=200, help_text="Kept only in the encrypted vault.")
    contact = forms.CharField(
        max_length=300, required=False, help_text="Kept only in the encrypted vault."
    )
    original_id = forms.CharField(
        label="Original ID",
        max_length=100,
        required=False,
        help_text="The ID in its source project; vault only.",
    )

    field_order = ["pseudonym", "source_project", "real_name", "contact", "original_id"]


class AttributeDefinitionForm(forms.ModelForm):
    choices = forms.CharField(
        required=False,
        help_text="For a list: the allowed values, separated by commas.",
        label="Values",
    )

    class Meta:
        model = AttributeDefinition
        fields = ["name", "kind", "choices"]
        help_texts = {
            "name": "For example: years since qualification, modality, setting, age band."
        }

    def __init__(self, *args, study: Study, **kwargs):
        super().__init__(*args, **kwargs)
        self.study = study
        if self.instance.pk:
            self.initial["choices"] = ", ".join(self.instance.choices)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        taken = AttributeDefinition.objects.filter(study=self.study, name__iexact=name).exclude(
            pk=self.instance.pk
        )
        if taken.exists():
            raise ValidationError(f"The study already has an attribute called {name}.")
        return name

    def clean_choices(self):
        raw = self.cleaned_data["choices"]
        return list(dict.fromkeys(value.strip() for value in raw.split(",") if value.strip()))

    def clean(self):
        cleaned = super().clean()
        kind, choices = cleaned.get("kind"), cleaned.get("choices") or []
        if kind == AttributeKind.CHOICE and len(choices) < 2:
            self.add_error("choices", "A list needs at least two values.")
        if kind != AttributeKind.CHOICE:
            cleaned["choices"] = []
        if self.instance.pk and kind != self.instance.kind and self.instance.values.exists():
            self.add_error(
                "kind",
                "Participants already have values for this attribute: its kind cannot change.",
            )
        if self.instance.pk and kind == AttributeKind.CHOICE:
            used = set(self.instance.values.values_list("value", flat=True))
            if missing := sorted(used - set(choices)):
                self.add_error(
                    "choices", f"Participants have values not in the list: {', '.join(missing)}."
                )
        return cleaned
