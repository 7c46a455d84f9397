"""The REFI-QDA import form: the file, where it goes (a new source project of this study, or a new
study), and whether the file's users may be given existing accounts of the same username."""

from django import forms
from django.core.exceptions import ValidationError

from exchange.qdpx.safety import size
from transcripts.importers.files import MAX_UPLOAD_BYTES

INTO_THIS_STUDY, INTO_NEW_STUDY = "this_study", "new_study"


class QdpxImportForm(forms.Form):
    file = forms.FileField(
        label="REFI-QDA project",
        help_text=f"A .qdpx file from NVivo, ATLAS.ti, MAXQDA, QualCoder, Taguette or alliance-ta; "
        f"up to {size(MAX_UPLOAD_BYTES)}.",
    )
    destination = forms.ChoiceField(
        label="Import",
        choices=[
            (INTO_THIS_STUDY, "as a new source project of this study"),
            (INTO_NEW_STUDY, "into a new study, of which you become the custodian"),
        ],
        initial=INTO_THIS_STUDY,
        widget=forms.RadioSelect,
    )
    source_project = forms.CharField(
        label="Source project name",
        max_length=120,
        required=False,
        help_text="Empty for the project's own name in the file.",
    )
    title = forms.CharField(
        label="New study's title",
        max_length=200,
        required=False,
        help_text="Only for a new study; empty for the project's name.",
    )
    research_question = forms.CharField(
        label="New study's research question",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only for a new study; empty for the project's description.",
    )
    match_accounts = forms.BooleanField(
        label="Give the file's users the accounts of the same username on this server",
        required=False,
        help_text="They become coders of the study. Otherwise every user who is not already a "
        "member gets a new account without a password (a coder layer of its own).",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = upload.name or "the file"
        if not name.casefold().endswith(".qdpx"):
            raise ValidationError(
                f"“{name}” is not a .qdpx project: export a REFI-QDA project (.qdpx) from your "
                "tool (a .qdc holds only a codebook)."
            )
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(
                f"“{name}” is {size(upload.size)}; the limit is {size(MAX_UPLOAD_BYTES)}."
            )
        return upload

    def new_study(self) -> dict | None:
        """The new study's fields, or None to import into this study."""
        if self.cleaned_data["destination"] != INTO_NEW_STUDY:
            return None
        fields = {}
        if title := self.cleaned_data["title"].strip():
            fields["title"] = title
        if question := self.cleaned_data["research_question"].strip():
            fields["research_question"] = question
        return fields
