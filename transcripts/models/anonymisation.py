"""Anonymisation: what the study knows to look for, the candidates found in each transcript, the
decisions on them, and — in the vault's way, encrypted and for custodians only — the original
text and the log of what was replaced."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from studies.crypto import EncryptedField
from studies.models import Study


class Category(models.TextChoices):
    PERSON = "person", "Person"
    PLACE = "place", "Place"
    ORGANISATION = "organisation", "Organisation"
    OTHER = "other", "Other"


class ListedIdentifier(models.Model):
    """An entry of the study's deny-list (look for it) or allow-list (never flag it)."""

    class Kind(models.TextChoices):
        DENY = "deny", "Deny-list"
        ALLOW = "allow", "Allow-list"

    Category = Category

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="listed_identifiers")
    kind = models.CharField(max_length=5, choices=Kind.choices)
    text = EncryptedField(help_text="Names of people, places and organisations are identifying.")
    digest = models.CharField(
        max_length=64, help_text="A keyed hash of the text, to find duplicates."
    )
    category = models.CharField(max_length=12, choices=Category.choices, default=Category.OTHER)
    replacement = models.CharField(max_length=80, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "added_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["study", "kind", "digest"], name="transcripts_listed_once"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["deny", "allow"]), name="transcripts_listed_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} entry"


class EntityReplacement(models.Model):
    """The replacement the study chose for an entity: the same entity gets it in every transcript,
    and transcripts imported later are offered it."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="replacements")
    digest = models.CharField(max_length=64)
    entity = EncryptedField()
    category = models.CharField(max_length=12)
    replacement = models.CharField(max_length=80)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["study", "digest"], name="transcripts_replacement_one_per_entity"
            ),
        ]

    def __str__(self) -> str:
        return self.replacement


class CandidateStatus(models.TextChoices):
    PENDING = "pending", "To review"
    ACCEPTED = "accepted", "Replace"
    REJECTED = "rejected", "Keep"


class Candidate(models.Model):
    """A span of a transcript version that may identify someone, and the reviewer's decision.
    Once applied, the accepted ones are the anonymisation log: original, replacement, place,
    who and when. Their text is encrypted."""

    Status = CandidateStatus

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    version = models.ForeignKey(
        "transcripts.TranscriptVersion", on_delete=models.CASCADE, related_name="candidates"
    )
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    text = EncryptedField()
    entity_digest = models.CharField(max_length=64)
    category = models.CharField(max_length=12)
    reason = models.CharField(max_length=120)
    replacement = models.CharField(max_length=80)
    status = models.CharField(
        max_length=8, choices=CandidateStatus.choices, default=CandidateStatus.PENDING
    )
    added_by_reviewer = models.BooleanField(default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["version", "start"]
        indexes = [
            # "every occurrence in every transcript of the study": the pending candidates of one entity.
            models.Index(fields=["entity_digest", "status"], name="transcripts_candidate_entity"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lt=F("end")), name="transcripts_candidate_start_before_end"
            ),
            models.UniqueConstraint(
                fields=["version", "start", "end"], name="transcripts_candidate_span_once"
            ),
            models.CheckConstraint(
                condition=Q(status__in=CandidateStatus.values),
                name="transcripts_candidate_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Candidate {self.start}–{self.end} ({self.get_status_display().lower()})"


class OriginalText(models.Model):
    """The text as imported, before anonymisation: custodians only, encrypted."""

    transcript = models.OneToOneField(
        "transcripts.Transcript", on_delete=models.CASCADE, related_name="original"
    )
    text = EncryptedField()
    kept_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Original text of {self.transcript}"


class SearchJob(models.Model):
    """A search of every transcript under review for identifiers, run by a worker after the
    study's lists changed; the page follows its progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Searching"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="search_jobs")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    found = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(done__lte=F("total")), name="transcripts_searchjob_done_within_total"
            ),
        ]

    def __str__(self) -> str:
        return f"Search {self.uuid.hex[:8]} ({self.get_status_display().lower()})"

    @property
    def progress(self) -> int:
        return (
            100
            if self.status == self.Status.DONE
            else round(100 * self.done / self.total)
            if self.total
            else 0
        )

    @property
    def is_pending(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
