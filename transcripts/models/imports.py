import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from studies.crypto import EncryptedField
from studies.models import Participant, SourceProject, Study
from transcripts.models.formats import FormatLabel


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
