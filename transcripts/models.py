import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from studies.crypto import EncryptedField
from studies.models import Participant, SourceProject, Study
from transcripts.importers.base import FORMATS


class FormatLabel:
    @property
    def format_label(self) -> str:
        """What a person calls the file's format."""
        return FORMATS.get(self.format, self.format)


class JobStatus(models.TextChoices):
    """queued → parsing → mapping (awaiting speaker mapping) → imported; or failed, or duplicate."""

    QUEUED = "queued", "Queued"
    PARSING = "parsing", "Reading"
    MAPPING = "mapping", "Awaiting speaker mapping"
    IMPORTED = "imported", "Imported"
    FAILED = "failed", "Failed"
    DUPLICATE = "duplicate", "Duplicate"


PENDING = (JobStatus.QUEUED, JobStatus.PARSING)
FINISHED = (JobStatus.IMPORTED, JobStatus.FAILED, JobStatus.DUPLICATE)


class ImportJob(FormatLabel, models.Model):
    """One uploaded file on its way to becoming a transcript. What the file says before its
    speakers are mapped (display names included) is kept encrypted, and only until it is stored."""

    Status = JobStatus

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="import_jobs")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filename = EncryptedField(help_text="As uploaded: a file name can carry a real name.")
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    stored_name = models.CharField(
        max_length=100, blank=True, help_text="Under MEDIA_ROOT; server-made."
    )
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    format = models.CharField(max_length=20, blank=True)
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, null=True, blank=True, related_name="import_jobs"
    )
    source_project = models.ForeignKey(
        SourceProject, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    speaker_map = EncryptedField(
        blank=True, help_text="Given with the upload: label → interviewer, drop or a pseudonym."
    )
    parsed = EncryptedField(
        blank=True, help_text="The file's turns and warnings, until the transcript is stored."
    )
    transcript = models.ForeignKey(
        "transcripts.Transcript", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The upload page: a study's jobs, newest first.
            models.Index(fields=["study", "-created_at"], name="transcripts_job_study_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=JobStatus.values), name="transcripts_job_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="transcripts_job_progress_at_most_100"
            ),
        ]

    def __str__(self) -> str:
        return f"Import {self.uuid.hex[:8]} ({self.get_status_display().lower()})"

    @property
    def is_pending(self) -> bool:
        return self.status in PENDING


class Transcript(FormatLabel, models.Model):
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

    class Meta:
        ordering = ["participant__created_at", "imported_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["study", "sha256"], name="transcripts_transcript_file_once_per_study"
            ),
        ]

    def __str__(self) -> str:
        return self.title


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
