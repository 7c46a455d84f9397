import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from studies.models import Participant, SourceProject, Study
from transcripts.models.formats import FormatLabel


class TranscriptState(models.TextChoices):
    """in review (imported; identifiers are being reviewed) → signed off (a full read of the
    anonymised text confirmed) → locked (codable; its text never changes again)."""

    REVIEW = "review", "In anonymisation review"
    SIGNED_OFF = "signed_off", "Signed off"
    LOCKED = "locked", "Locked"


class Transcript(FormatLabel, models.Model):
    State = TranscriptState

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="transcripts")
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="transcripts"
    )
    source_project = models.ForeignKey(
        SourceProject, on_delete=models.PROTECT, related_name="transcripts"
    )
    title = models.CharField(max_length=200)
    format = models.CharField(max_length=20)
    sha256 = models.CharField(
        max_length=64, help_text="Of the uploaded file: the same file is imported once."
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField(default=timezone.now)
    interview = models.ForeignKey(
        "studies.Interview",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="transcripts",
    )
    state = models.CharField(
        max_length=12, choices=TranscriptState.choices, default=TranscriptState.REVIEW
    )
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The optional second person who checked the anonymised text.",
    )
    checked_at = models.DateTimeField(null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    locked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["participant__created_at", "imported_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["study", "sha256"], name="transcripts_transcript_file_once_per_study"
            ),
            models.CheckConstraint(
                condition=Q(state__in=TranscriptState.values),
                name="transcripts_transcript_state_valid",
            ),
            models.CheckConstraint(
                condition=~Q(state=TranscriptState.LOCKED)
                | Q(locked_at__isnull=False, signed_off_at__isnull=False),
                name="transcripts_transcript_locked_after_sign_off",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_codable(self) -> bool:
        return self.state == TranscriptState.LOCKED


class TranscriptVersion(models.Model):
    """One state of a transcript's text. Turns and (later) codings are ranges of it."""

    transcript = models.ForeignKey(Transcript, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField()
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["transcript", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["transcript", "number"], name="transcripts_version_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.transcript} v{self.number}"


class Speaker(models.TextChoices):
    INTERVIEWER = "interviewer", "Interviewer"
    PARTICIPANT = "participant", "Participant"


class Turn(models.Model):
    """A speaker's turn: the half-open range [start, end) of its version's text, in code points."""

    Speaker = Speaker

    version = models.ForeignKey(TranscriptVersion, on_delete=models.CASCADE, related_name="turns")
    position = models.PositiveIntegerField()
    speaker = models.CharField(max_length=12, choices=Speaker.choices)
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    started_at = models.FloatField(null=True, blank=True, help_text="Seconds into the recording.")
    ended_at = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["version", "position"]
        indexes = [
            # The turns around a range of the text: the turns a coding touches, a context's edges.
            models.Index(fields=["version", "start"], name="transcripts_turn_version_start"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "position"], name="transcripts_turn_position_unique"
            ),
            models.CheckConstraint(
                condition=Q(start__lt=F("end")), name="transcripts_turn_start_before_end"
            ),
            models.CheckConstraint(
                condition=Q(speaker=Speaker.INTERVIEWER, participant__isnull=True)
                | Q(speaker=Speaker.PARTICIPANT, participant__isnull=False),
                name="transcripts_turn_participant_iff_participant_speaker",
            ),
            models.CheckConstraint(
                condition=Q(speaker__in=Speaker.values), name="transcripts_turn_speaker_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Turn {self.position} of {self.version}"
