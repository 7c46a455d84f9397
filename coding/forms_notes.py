"""Forms for familiarisation notes, memos, the journal and search. They check the shape of the
input; the services in coding/notes.py check what it means (visibility, ranges, roles)."""

from django import forms

from coding.models import Code, Decision
from coding.notes import JOURNAL_MAX_CHARS, MEMO_MAX_CHARS, NOTE_MAX_CHARS
from coding.reconcile.forms_meetings import DecisionChoiceField, decision_choices
from coding.search import MAX_QUERY, MIN_QUERY
from studies.models import Membership
from transcripts.models import Transcript


class NoteForm(forms.Form):
    text = forms.CharField(
        label="Your notes",
        required=False,
        max_length=NOTE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Only you see these. Saving an empty note removes it.",
    )


class MemoForm(forms.Form):
    text = forms.CharField(
        label="Memo",
        max_length=MEMO_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write something in the memo."},
    )


class TranscriptChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Transcript) -> str:
        return obj.title


class CodeChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Code) -> str:
        return f"{obj.label} (retired)" if obj.retired_at else obj.label


class JournalEntryForm(forms.Form):
    title = forms.CharField(max_length=200)
    text = forms.CharField(
        label="Entry",
        max_length=JOURNAL_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 10}),
        error_messages={"required": "Write something in the entry."},
    )
    shared = forms.BooleanField(
        label="Share with the team",
        required=False,
        help_text="Otherwise only you ever see this entry.",
    )
    transcript = TranscriptChoiceField(
        queryset=Transcript.objects.none(),
        to_field_name="uuid",
        required=False,
        empty_label="— none —",
        help_text="The transcript the entry discusses, if any.",
    )
    start = forms.IntegerField(
        label="Passage start",
        min_value=0,
        required=False,
        help_text="Character offsets into the transcript's text, start included, end excluded; "
        "filled in when you write about a selected passage.",
    )
    end = forms.IntegerField(label="Passage end", min_value=1, required=False)
    codes = CodeChoiceField(
        queryset=Code.objects.none(),
        to_field_name="uuid",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Codes the entry discusses.",
    )
    decisions = DecisionChoiceField(
        queryset=Decision.objects.none(),
        to_field_name="uuid",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Reconciliation decisions the entry discusses.",
    )

    def __init__(self, *args, member: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["transcript"].queryset = Transcript.objects.filter(
            study_id=member.study_id, state=Transcript.State.LOCKED
        ).order_by("title")
        self.fields["codes"].queryset = Code.objects.visible_to(member)
        self.fields["decisions"].queryset = decision_choices(member)

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if (start is None) != (end is None) and not self.has_error("start"):
            self.add_error("end" if end is None else "start", "Give both ends of the passage.")
        elif start is not None and not data.get("transcript") and not self.has_error("transcript"):
            self.add_error("transcript", "Choose the transcript the passage is in.")
        return data


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Search",
        min_length=MIN_QUERY,
        max_length=MAX_QUERY,
        error_messages={
            "min_length": f"Type at least {MIN_QUERY} characters to search.",
            "max_length": f"A search is at most {MAX_QUERY} characters long.",
        },
    )
