"""The theme board's forms. Themes and codes are named by uuid and looked up only among what the
member may see: the study's themes, and the codes `Code.objects.visible_to` gives them."""

import uuid

from django import forms

from coding.models import Code
from studies.models import Membership
from themes.board import NAME_MAX
from themes.models import Status, Theme

HOLDING = "holding"  # the miscellaneous area, before it exists: made when a code first goes there


class UuidChoice(forms.ModelChoiceField):
    """A choice sent by uuid: anything that is not one of the choices, a malformed uuid
    included, gets the field's own "invalid choice" message."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except forms.ValidationError as error:
            if error.code == "invalid_choice":
                raise
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            ) from None


class ThemeChoice(UuidChoice):
    def __init__(self, *, label: str, required: bool = True, **kwargs):
        super().__init__(
            queryset=Theme.objects.none(),
            to_field_name="uuid",
            required=required,
            label=label,
            error_messages={
                "required": f"Choose the {label.lower()}.",
                "invalid_choice": "That theme is not one of this study's.",
            },
            **kwargs,
        )


class ThemeCreateForm(forms.Form):
    name = forms.CharField(
        max_length=NAME_MAX,
        label="Name",
        error_messages={
            "required": "A theme needs a name.",
            "max_length": f"A theme's name has at most {NAME_MAX} characters.",
        },
    )
    parent = ThemeChoice(label="Parent theme", required=False)

    def __init__(self, *args, study, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = Theme.objects.filter(study=study)


class ThemeEditForm(forms.Form):
    name = forms.CharField(
        max_length=NAME_MAX,
        label="Name",
        error_messages={
            "required": "A theme needs a name.",
            "max_length": f"A theme's name has at most {NAME_MAX} characters.",
        },
    )
    central_concept = forms.CharField(
        required=False,
        label="Central organising concept",
        help_text="The one idea that holds the theme together.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    definition = forms.CharField(
        required=False,
        label="Definition",
        help_text="What the theme is about: its scope.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    boundaries = forms.CharField(
        required=False,
        label="Boundaries",
        help_text="Where it ends, and what it is not.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ThemeStatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=Status.choices,
        label="New status",
        error_messages={
            "required": "Choose the new status.",
            "invalid_choice": "A theme's status is candidate, developing, reviewed, final or "
            "discarded.",
        },
    )
    reason = forms.CharField(
        required=False,
        label="Reason",
        help_text="Needed to discard a theme; otherwise optional. It goes into the audit log.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, current: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if current is not None:
            self.fields["status"].choices = [
                (value, label) for value, label in Status.choices if value != current
            ]

    def clean(self):
        data = super().clean()
        if data.get("status") == Status.DISCARDED and not data.get("reason", "").strip():
            self.add_error("reason", "Say why the theme is discarded.")
        return data


class ThemeMoveForm(forms.Form):
    parent = ThemeChoice(label="Under", required=False, empty_label="— a theme of its own")

    def __init__(self, *args, study, theme: Theme | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        parents = Theme.objects.filter(study=study, parent__isnull=True, holding=False).exclude(
            status=Status.DISCARDED
        )
        if theme is not None:
            parents = parents.exclude(pk=theme.pk)
        self.fields["parent"].queryset = parents


class CodeChoice(UuidChoice):
    def __init__(self, **kwargs):
        super().__init__(
            queryset=Code.objects.none(),
            to_field_name="uuid",
            label="Code",
            error_messages={
                "required": "Choose a code.",
                "invalid_choice": "That code is not in the codebook you can see.",
            },
            **kwargs,
        )


class PlaceForm(forms.Form):
    """A drop, or its keyboard and no-JS equivalents: put `code` into `theme`, taking it out of
    the theme it was dragged `from` (if any)."""

    code = CodeChoice()
    theme = forms.CharField(label="Theme", error_messages={"required": "Choose a theme."})
    back = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, member: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.study_id = member.study_id
        self.fields["code"].queryset = Code.objects.visible_to(member)
        # "from" is a keyword in Python, not in a form.
        self.fields["from"] = ThemeChoice(label="Theme it comes from", required=False)
        self.fields["from"].queryset = Theme.objects.filter(study_id=member.study_id)

    def clean_theme(self) -> Theme | str:
        value = self.cleaned_data["theme"].strip()
        if value == HOLDING:
            return HOLDING
        try:
            uuid.UUID(value)
        except ValueError:
            raise forms.ValidationError("That theme is not one of this study's.") from None
        theme = Theme.objects.filter(study_id=self.study_id, uuid=value).first()
        if theme is None:
            raise forms.ValidationError("That theme is not one of this study's.")
        return theme


class UnplaceForm(forms.Form):
    code = CodeChoice()
    theme = ThemeChoice(label="Theme")
    back = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, member: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].queryset = Code.objects.visible_to(member)
        self.fields["theme"].queryset = Theme.objects.filter(study_id=member.study_id)
