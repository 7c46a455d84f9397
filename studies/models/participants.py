import re
import uuid
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from studies.models.study import SourceProject, Study

pseudonym_validator = RegexValidator(
    r"^[A-Za-z][A-Za-z0-9 _-]{0,29}$",
    "A pseudonym starts with a letter and has up to 30 letters, digits, spaces, hyphens or underscores.",
)
PSEUDONYM_NUMBER = re.compile(r"^P(\d+)$")


class AttributeKind(models.TextChoices):
    TEXT = "text", "Text"
    INTEGER = "integer", "Whole number"
    CHOICE = "choice", "One of a list"
    DATE = "date", "Date"


class AttributeDefinition(models.Model):
    """An analysis attribute the study records for each participant (never identifying data)."""

    Kind = AttributeKind

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="attributes")
    name = models.CharField(max_length=60)
    kind = models.CharField(
        max_length=10, choices=AttributeKind.choices, default=AttributeKind.TEXT
    )
    choices = models.JSONField(
        default=list, blank=True, help_text="The allowed values of a list attribute."
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["study", "name"], name="studies_attribute_name_unique"),
            models.CheckConstraint(
                condition=Q(kind__in=AttributeKind.values), name="studies_attribute_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean_value(self, raw: str) -> str:
        """The value in its stored form ("" for none), or a ValidationError naming the attribute."""
        raw = (raw or "").strip()
        if not raw:
            return ""
        if self.kind == AttributeKind.INTEGER:
            try:
                return str(int(raw))
            except ValueError:
                raise ValidationError(
                    f"{self.name} must be a whole number; “{raw}” is not."
                ) from None
        if self.kind == AttributeKind.DATE:
            try:
                return date.fromisoformat(raw).isoformat()
            except ValueError:
                raise ValidationError(
                    f"{self.name} must be a date (YYYY-MM-DD); “{raw}” is not."
                ) from None
        if self.kind == AttributeKind.CHOICE and raw not in self.choices:
            raise ValidationError(f"{self.name} must be one of: {', '.join(self.choices)}.")
        if len(raw) > 200:
            raise ValidationError(f"{self.name} is longer than 200 characters.")
        return raw


class ParticipantQuerySet(models.QuerySet):
    def next_pseudonym(self, study: Study) -> str:
        """P1, P2 …: one more than the highest number used in the study, withdrawn ones included,
        so that a pseudonym is never given to a second person."""
        used = list(self.filter(study=study).values_list("pseudonym", flat=True))
        used += list(study.withdrawals.values_list("pseudonym", flat=True))
        numbers = [int(match.group(1)) for name in used if (match := PSEUDONYM_NUMBER.match(name))]
        return f"P{max(numbers, default=0) + 1}"


class Participant(models.Model):
    """A person interviewed, known to the analysis only by a pseudonym."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="participants")
    source_project = models.ForeignKey(
        SourceProject, on_delete=models.PROTECT, related_name="participants"
    )
    pseudonym = models.CharField(max_length=30, validators=[pseudonym_validator])
    created_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set when the participant withdrew and their data were kept anonymised.",
    )

    objects = ParticipantQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["study", "pseudonym"], name="studies_participant_pseudonym_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.pseudonym


class AttributeValue(models.Model):
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="attribute_values"
    )
    attribute = models.ForeignKey(
        AttributeDefinition, on_delete=models.CASCADE, related_name="values"
    )
    value = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "attribute"], name="studies_attributevalue_one_per_attribute"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.attribute}: {self.value}"


class InterviewMedium(models.TextChoices):
    VIDEO = "video", "Video call"
    TELEPHONE = "telephone", "Telephone"
    IN_PERSON = "in_person", "In person"


class AudioStage(models.TextChoices):
    NOT_RECORDED = "not_recorded", "Not recorded"
    RECORDED = "recorded", "Recorded"
    VERIFIED = "verified", "Transcript verified against audio"
    DELETED = "deleted", "Audio deleted"


class Interview(models.Model):
    """One interview with a participant, and the life of its audio: recorded, its transcript
    verified against it, then deleted."""

    Medium = InterviewMedium
    Stage = AudioStage

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="interviews"
    )
    held_on = models.DateField()
    medium = models.CharField(
        max_length=10, choices=InterviewMedium.choices, default=InterviewMedium.VIDEO
    )
    audio_recorded = models.BooleanField(default=True)
    audio_copies = models.TextField(
        blank=True, help_text="Where the recording is kept, one copy per line."
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    audio_deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    audio_deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_copies = models.TextField(blank=True, help_text="Which copies were deleted.")
    deletion_method = models.TextField(blank=True, help_text="How they were deleted.")

    class Meta:
        ordering = ["held_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(verified_by__isnull=True, verified_at__isnull=True)
                | Q(verified_by__isnull=False, verified_at__isnull=False),
                name="studies_interview_verified_by_and_when",
            ),
            models.CheckConstraint(
                condition=Q(audio_deleted_by__isnull=True, audio_deleted_at__isnull=True)
                | Q(
                    audio_deleted_by__isnull=False,
                    audio_deleted_at__isnull=False,
                    audio_recorded=True,
                ),
                name="studies_interview_deleted_by_and_when",
            ),
            models.CheckConstraint(
                condition=Q(medium__in=InterviewMedium.values),
                name="studies_interview_medium_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant} interview, {self.held_on:%d %b %Y}"

    @property
    def stage(self) -> AudioStage:
        if not self.audio_recorded:
            return AudioStage.NOT_RECORDED
        if self.audio_deleted_at:
            return AudioStage.DELETED
        if self.verified_at:
            return AudioStage.VERIFIED
        return AudioStage.RECORDED

    def audio_due_on(self, study: Study) -> date | None:
        """The day by which the audio must be deleted, while it still exists."""
        if self.stage in (AudioStage.NOT_RECORDED, AudioStage.DELETED):
            return None
        return self.held_on + timedelta(days=study.audio_retention_days)


class WithdrawalMode(models.TextChoices):
    ERASE = "erase", "Erased"
    RETAIN = "retain", "Retained anonymised"


class Withdrawal(models.Model):
    """The tombstone of a withdrawn participant: no name, no link to what was removed."""

    Mode = WithdrawalMode

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="withdrawals")
    pseudonym = models.CharField(max_length=30)
    mode = models.CharField(max_length=10, choices=WithdrawalMode.choices)
    scope = models.JSONField(default=dict, help_text="What was erased or kept, counted by kind.")
    legal_basis = models.TextField(blank=True)
    withdrawn_at = models.DateTimeField(default=timezone.now)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-withdrawn_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["study", "pseudonym"], name="studies_withdrawal_one_per_pseudonym"
            ),
            models.CheckConstraint(
                condition=Q(mode__in=WithdrawalMode.values), name="studies_withdrawal_mode_valid"
            ),
            models.CheckConstraint(
                condition=Q(mode="erase") | ~Q(legal_basis=""),
                name="studies_withdrawal_retain_has_legal_basis",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pseudonym} withdrawn ({self.get_mode_display().lower()})"
