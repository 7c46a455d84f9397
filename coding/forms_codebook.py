"""The forms of a code's page. Each has its own prefix, since all of them share the page."""

from django import forms

from coding.models import PALETTE, Code, CodeKind, Coding

# What the palette's colours are called, for people who do not see the chips.
COLOUR_NAMES = [
    "Amber", "Green", "Blue", "Red", "Purple", "Teal",
    "Orange", "Grey", "Brick", "Emerald", "Navy", "Ochre",
]  # fmt: skip

REASON_REQUIRED = "Give a reason: the code's history keeps it."


def reason_field(*, required: bool) -> forms.CharField:
    return forms.CharField(
        label="Why",
        required=required,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": REASON_REQUIRED},
    )


def label_field(label: str = "Label") -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=120,
        error_messages={"required": "A code needs a label."},
    )


class CodeChoiceField(forms.ModelChoiceField):
    """Codes by uuid, each named with its creator: two coders may use the same label."""

    def __init__(self, queryset, **kwargs):
        super().__init__(queryset.select_related("created_by"), to_field_name="uuid", **kwargs)

    def label_from_instance(self, code: Code) -> str:
        return f"{code.label} ({code.created_by.get_username()})"


class CodeRenameForm(forms.Form):
    prefix = "rename"

    label = label_field("New label")
    reason = reason_field(required=False)


class CodeRedefineForm(forms.Form):
    prefix = "redefine"

    description = forms.CharField(
        label="Definition",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What the code captures, where its boundaries are, and what it is not.",
    )
    kind = forms.ChoiceField(
        choices=CodeKind.choices,
        help_text="Semantic: what is said. Latent: the ideas and assumptions underneath.",
    )
    colour = forms.ChoiceField(
        choices=list(zip(PALETTE, COLOUR_NAMES, strict=True)), widget=forms.RadioSelect
    )
    parent = CodeChoiceField(
        Code.objects.none(),
        required=False,
        empty_label="None: a top-level code",
        error_messages={
            "invalid_choice": "The parent must be a live code other than this one and not one "
            "of its sub-codes."
        },
    )
    reason = reason_field(required=False)

    def __init__(self, *args, parents, parent_hidden: bool = False, **kwargs):
        """`parents`: the codes this one may sit under. A parent hidden from the member (a blind
        round) cannot be offered, so the field is left out and the parent stays."""
        super().__init__(*args, **kwargs)
        if parent_hidden:
            del self.fields["parent"]
        else:
            self.fields["parent"].queryset = parents.select_related("created_by")


class CodeMergeForm(forms.Form):
    prefix = "merge"

    into = CodeChoiceField(
        Code.objects.none(),
        label="Merge into",
        empty_label="Choose a code",
        error_messages={
            "required": "Choose the code to merge into.",
            "invalid_choice": "Merge into a live code of this codebook, other than this one.",
        },
    )
    reason = reason_field(required=True)

    def __init__(self, *args, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].queryset = targets.select_related("created_by")


class CodeSplitForm(forms.Form):
    prefix = "split"

    label = label_field("Label of the new code")
    description = forms.CharField(
        label="Definition of the new code", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    codings = forms.MultipleChoiceField(
        label="Codings that move to the new code",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose at least one coding to move to the new code.",
            "invalid_choice": "A chosen coding is not one of this code's codings.",
        },
    )
    reason = reason_field(required=True)

    def __init__(self, *args, codings: list[tuple[Coding, str]], **kwargs):
        """`codings`: the code's codings the member sees, each with the words that show it."""
        super().__init__(*args, **kwargs)
        self.by_uuid = {str(coding.uuid): coding for coding, _words in codings}
        self.fields["codings"].choices = [(str(coding.uuid), words) for coding, words in codings]

    def chosen(self) -> list[Coding]:
        return [self.by_uuid[uuid] for uuid in self.cleaned_data["codings"]]


class CodeRetireForm(forms.Form):
    prefix = "retire"

    reason = reason_field(required=True)
