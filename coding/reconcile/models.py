"""Reconciliation's records: codes aligned across coders, reconciliations of two coders' layers,
the decisions taken on their differences, the consensus layer, meetings, and agreement runs.

Defined here and imported by `coding.models`, so they belong to the coding app. Each coder's own
codings are never changed by a reconciliation: the consensus layer is separate and attributed."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from studies.models import Study
from transcripts.models import Transcript, TranscriptVersion


class CodeAlignment(models.Model):
    """Two codes of different coders taken to mean the same when their layers are compared (A's
    "creating safety" ≈ B's "safe space"): suggested by the tool, confirmed by a person."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="code_alignments")
    code_a = models.ForeignKey("coding.Code", on_delete=models.CASCADE, related_name="+")
    code_b = models.ForeignKey("coding.Code", on_delete=models.CASCADE, related_name="+")
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # Kept with the lower primary key first, so that a pair is stored once.
            models.CheckConstraint(
                condition=Q(code_a__lt=F("code_b")), name="coding_alignment_ordered_pair"
            ),
            models.UniqueConstraint(fields=["code_a", "code_b"], name="coding_alignment_once"),
        ]

    def __str__(self) -> str:
        return f"{self.code_a} ≈ {self.code_b}"


class Reconciliation(models.Model):
    """Two coders' layers of some transcripts, compared and walked through together."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="reconciliations")
    title = models.CharField(max_length=200)
    coder_a = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    coder_b = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    coding_round = models.ForeignKey(
        "coding.CodingRound",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reconciliations",
    )
    transcripts = models.ManyToManyField(Transcript, related_name="reconciliations")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(coder_a=F("coder_b")), name="coding_reconciliation_two_coders"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Meeting(models.Model):
    """A team meeting: when, who came, the minutes, and (through Decision.meeting) what it decided."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="meetings")
    held_on = models.DateField()
    title = models.CharField(max_length=200)
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)
    minutes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-held_on", "-created_at"]

    def __str__(self) -> str:
        return f"{self.title} ({self.held_on:%d %b %Y})"


class Outcome(models.TextChoices):
    AGREED = "agreed", "Agreed change"
    KEPT_BOTH = "kept_both", "Kept both"
    DEFERRED = "deferred", "Deferred"
    UNRESOLVED = "unresolved", "Unresolved"


class Decision(models.Model):
    """What the team decided about one difference (or agreement) between the two layers, and why.
    The item is named by its kind, its passage and the codings on each side, as the difference
    list gave them when the decision was taken."""

    Outcome = Outcome

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reconciliation = models.ForeignKey(
        Reconciliation, on_delete=models.CASCADE, related_name="decisions"
    )
    version = models.ForeignKey(TranscriptVersion, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20)
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    item = models.CharField(max_length=64, help_text="The item's key in the difference list.")
    codings_a = models.JSONField(default=list, blank=True)  # the codings' UUIDs, as text
    codings_b = models.JSONField(default=list, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    rationale = models.TextField()
    meeting = models.ForeignKey(
        Meeting, on_delete=models.SET_NULL, null=True, blank=True, related_name="decisions"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["decided_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reconciliation", "version", "item"], name="coding_decision_once_per_item"
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=Outcome.values), name="coding_decision_outcome_valid"
            ),
            models.CheckConstraint(
                condition=Q(start__lt=F("end")), name="coding_decision_start_before_end"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()}: {self.kind} [{self.start}, {self.end})"


class ConsensusCoding(models.Model):
    """A coding of the reconciliation's consensus layer: separate from both coders' layers, and
    attributed to whoever added it and the decision that prompted it."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reconciliation = models.ForeignKey(
        Reconciliation, on_delete=models.CASCADE, related_name="consensus"
    )
    version = models.ForeignKey(TranscriptVersion, on_delete=models.CASCADE, related_name="+")
    code = models.ForeignKey("coding.Code", on_delete=models.CASCADE, related_name="+")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)
    decision = models.ForeignKey(
        Decision, on_delete=models.SET_NULL, null=True, blank=True, related_name="consensus"
    )

    class Meta:
        ordering = ["version", "start", "end"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lt=F("end")), name="coding_consensus_start_before_end"
            ),
            models.UniqueConstraint(
                fields=["reconciliation", "version", "code", "start", "end"],
                name="coding_consensus_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} [{self.start}, {self.end})"


class AgreementRun(models.Model):
    """Agreement statistics as computed once: the options, the coders, the transcripts, the state
    of the codebook they used (each code's revision) and the table — reproducible from the command
    line. In reflexive mode a justification is required, and carried into the methods text."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="agreement_runs")
    unit = models.CharField(max_length=12)
    threshold = models.FloatField(null=True, blank=True)
    exclude_interviewer = models.BooleanField(default=False)
    coders = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")
    transcripts = models.ManyToManyField(Transcript, related_name="+")
    codebook = models.JSONField(default=dict)  # code uuid → {"label", "revision"}
    result = models.JSONField(default=dict)  # coding.agreement.Report.as_dict()
    justification = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Agreement by {self.unit}, {self.created_at:%d %b %Y}"
