from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from studies.models import AuditEvent, Membership, Role, Study


class DateInput(forms.DateInput):
    """A browser's date picker: its value must be written as ISO 8601 whatever the locale (an
    en-GB "03/03/2026" shows as an empty field)."""

    input_type = "date"

    def __init__(self, attrs=None, format="%Y-%m-%d"):
        super().__init__(attrs, format)


class StudyForm(forms.ModelForm):
    class Meta:
        model = Study
        fields = [
            "title",
            "research_question",
            "epistemological_stance",
            "analysis_mode",
            "ethics_reference",
            "ethics_approved_on",
        ]
        widgets = {
            "research_question": forms.Textarea(attrs={"rows": 3}),
            "epistemological_stance": forms.Textarea(attrs={"rows": 3}),
            "ethics_approved_on": DateInput,
        }
        help_texts = {
            "epistemological_stance": "For example: critical realist, contextualist, constructionist.",
            "analysis_mode": "Changes wording, defaults and which statistics are offered; never the data.",
        }

    def clean_ethics_approved_on(self):
        approved_on = self.cleaned_data["ethics_approved_on"]
        if approved_on and approved_on > timezone.localdate():
            raise forms.ValidationError("The approval date cannot be in the future.")
        return approved_on


class StudySettingsForm(StudyForm):
    """The study's description after creation. The analysis mode is not changed here."""

    class Meta(StudyForm.Meta):
        fields = [field for field in StudyForm.Meta.fields if field != "analysis_mode"]


class MembershipForm(forms.ModelForm):
    """A member's role and last day. Only a custodian is offered the custodian role."""

    class Meta:
        model = Membership
        fields = ["role", "expires_on"]
        widgets = {"expires_on": DateInput}
        labels = {"expires_on": "Last day"}

    def __init__(self, *args, actor: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        if not actor.is_custodian:
            self.fields["role"].choices = [
                (value, label)
                for value, label in self.fields["role"].choices
                if value != Role.CUSTODIAN
            ]

    def clean_expires_on(self):
        expires_on = self.cleaned_data["expires_on"]
        if expires_on and expires_on < timezone.localdate():
            raise forms.ValidationError("The last day of access cannot be in the past.")
        return expires_on


class MemberAddForm(MembershipForm):
    username = forms.CharField(
        label="User name", max_length=150, help_text="The person's user name on this server."
    )

    class Meta(MembershipForm.Meta):
        fields = ["username", "role", "expires_on"]

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise forms.ValidationError(
                f"There is no active account with the user name {username!r}."
            )
        self.cleaned_data["user"] = user
        return username


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("", "All actions"), *AuditEvent.Action.choices], required=False
    )
    actor = forms.CharField(required=False, label="By (user name)")
    since = forms.DateField(required=False, widget=DateInput, label="From")
    until = forms.DateField(required=False, widget=DateInput, label="To")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("since") and cleaned.get("until") and cleaned["since"] > cleaned["until"]:
            raise forms.ValidationError("The start date is after the end date.")
        return cleaned

    def filter(self, events):
        data = self.cleaned_data
        if data.get("action"):
            events = events.filter(action=data["action"])
        if data.get("actor"):
            events = events.filter(actor__username=data["actor"])
        if data.get("since"):
            events = events.filter(created_at__date__gte=data["since"])
        if data.get("until"):
            events = events.filter(created_at__date__lte=data["until"])
        return events
