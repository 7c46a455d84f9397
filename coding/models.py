"""Codes, codings and blind rounds. A coding is a half-open range [start, end) in code points of
a locked transcript version. Every read of codings goes through `Coding.objects.visible_to`,
which applies the blind rule; codes likewise through `Code.objects.visible_to`."""

import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone

from studies.models import Membership, Role, Study
from transcripts.models import Transcript, TranscriptState, TranscriptVersion


class CodingRound(models.Model):
    """A blind round: while it is open, each of its coders sees only their own codings and codes
    on its transcripts; a viewer sees none of them. The lead closes it (unblinds)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="coding_rounds")
    title = models.CharField(max_length=120)
    transcripts = models.ManyToManyField(Transcript, related_name="coding_rounds")
    coders = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="RoundCoder", related_name="+"
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class RoundCoder(models.Model):
    round = models.ForeignKey(CodingRound, on_delete=models.CASCADE, related_name="round_coders")
    coder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "coder"], name="coding_roundcoder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.coder} in {self.round}"


def blinding(member: Membership) -> tuple[models.QuerySet, models.QuerySet, bool]:
    """What an open round hides from this member: (its transcripts, whose codes, whether the
    member's own work is hidden too). A viewer sees no coder's work on any open round's
    transcripts; a coder in an open round sees only their own there."""
    open_rounds = CodingRound.objects.filter(study_id=member.study_id, closed_at__isnull=True)
    if member.role == Role.VIEWER:
        rounds, others = open_rounds, RoundCoder.objects.filter(round__in=open_rounds)
    else:
        rounds = open_rounds.filter(round_coders__coder_id=member.user_id)
        others = RoundCoder.objects.filter(round__in=rounds).exclude(coder_id=member.user_id)
    transcripts = Transcript.objects.filter(coding_rounds__in=rounds)
    return transcripts, others.values("coder_id"), member.role == Role.VIEWER


class CodeQuerySet(models.QuerySet):
    def visible_to(self, member: Membership) -> "CodeQuerySet":
        """The study's codes this member may see: not those of the other coders of an open round
        the member codes in (for a viewer, not those of any open round's coders)."""
        _transcripts, others, _see_none = blinding(member)
        return self.filter(study_id=member.study_id).exclude(created_by__in=others)


class CodeKind(models.TextChoices):
    SEMANTIC = "semantic", "Semantic"
    LATENT = "latent", "Latent"


colour_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", "A colour is written #rrggbb.")
# Code colours come from this palette: the pages style them with classes (colour-0 …), since
# the Content-Security-Policy allows no inline styles.
PALETTE = [
    "#f5a524", "#4e9f3d", "#2f80ed", "#d64550", "#8e44ad", "#16a085",
    "#e67e22", "#7f8c8d", "#c0392b", "#27ae60", "#2c3e50", "#b7950b",
]  # fmt: skip


class Code(models.Model):
    Kind = CodeKind

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="codes")
    label = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=8, choices=CodeKind.choices, default=CodeKind.SEMANTIC)
    colour = models.CharField(max_length=7, default="#f5a524", validators=[colour_validator])
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    retired_at = models.DateTimeField(null=True, blank=True)
    # Counts the changes: a form carries the revision it was made from, so a change made meanwhile
    # by someone else is never silently overwritten (409).
    revision = models.PositiveIntegerField(default=1)

    objects = CodeQuerySet.as_manager()

    class Meta:
        ordering = [Lower("label")]
        constraints = [
            # A coder's live codes have distinct labels; in blind rounds two coders may share one.
            models.UniqueConstraint(
                Lower("label"),
                "study",
                "created_by",
                condition=Q(retired_at__isnull=True),
                name="coding_code_label_unique_per_coder",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=CodeKind.values), name="coding_code_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def colour_class(self) -> str:
        return f"colour-{PALETTE.index(self.colour) if self.colour in PALETTE else 0}"


class CodeEvent(models.Model):
    """The history of a code: created, renamed, redefined, merged, split, retired — who, when, why."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        RENAMED = "renamed", "Renamed"
        REDEFINED = "redefined", "Redefined"
        MERGED = "merged", "Merged"
        SPLIT = "split", "Split"
        RETIRED = "retired", "Retired"

    code = models.ForeignKey(Code, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    # A refinement made in a reconciliation names the decision that prompted it.
    decision = models.ForeignKey(
        "coding.Decision",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="code_events",
    )

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.code} {self.kind}"


class CodingQuerySet(models.QuerySet):
    def visible_to(self, member: Membership) -> "CodingQuerySet":
        """The one way to read codings: the member's study's, under the blind rule. During an open
        round a coder of it sees only their own codings on its transcripts, and nowhere a coding
        of a code hidden from them; a viewer sees none there; everyone else sees them all."""
        # Only a locked transcript's codings are read: one still in anonymisation review (a
        # REFI-QDA import brings codings with its text) may yet hold identifying words.
        codings = self.filter(
            version__transcript__study_id=member.study_id,
            version__transcript__state=TranscriptState.LOCKED,
        )
        transcripts, others, see_none = blinding(member)
        hidden = Q(version__transcript__in=transcripts)
        if not see_none:
            hidden &= ~Q(coder_id=member.user_id)
        # A hidden code stays hidden wherever it is used, on a round's transcripts or not.
        return codings.exclude(hidden).exclude(code__created_by__in=others)


class Coding(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    version = models.ForeignKey(TranscriptVersion, on_delete=models.CASCADE, related_name="codings")
    code = models.ForeignKey(Code, on_delete=models.CASCADE, related_name="codings")
    coder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    # A correction of the transcript changed words inside the coding (or removed them all: it then
    # stays on the version it was made on) — its coder should look at it again.
    needs_check = models.BooleanField(default=False)

    objects = CodingQuerySet.as_manager()

    class Meta:
        ordering = ["version", "start", "end"]
        indexes = [
            # The transcript page: one version's codings in text order.
            models.Index(fields=["version", "start"], name="coding_coding_version_start"),
            # Code-and-retrieve: every coding of one code.
            models.Index(fields=["code", "version"], name="coding_coding_code"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lt=F("end")), name="coding_coding_start_before_end"
            ),
            # A double click never stores the same coding twice.
            models.UniqueConstraint(
                fields=["version", "code", "coder", "start", "end"], name="coding_coding_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} [{self.start}, {self.end})"


class MemoQuerySet(models.QuerySet):
    def visible_to(self, member: Membership) -> "MemoQuerySet":
        """Memos on what the member may see: a memo on another coder's coding or code hidden by
        an open round is hidden with it."""
        return self.filter(study_id=member.study_id).filter(
            Q(coding__isnull=True) | Q(coding__in=Coding.objects.visible_to(member)),
            Q(code__isnull=True) | Q(code__in=Code.objects.visible_to(member)),
        )


class Memo(models.Model):
    """A memo on one coding, one code or one transcript."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="memos")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    coding = models.ForeignKey(
        Coding, on_delete=models.CASCADE, null=True, blank=True, related_name="memos"
    )
    code = models.ForeignKey(
        Code, on_delete=models.CASCADE, null=True, blank=True, related_name="memos"
    )
    transcript = models.ForeignKey(
        Transcript, on_delete=models.CASCADE, null=True, blank=True, related_name="memos"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = MemoQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(coding__isnull=False, code__isnull=True, transcript__isnull=True)
                | Q(coding__isnull=True, code__isnull=False, transcript__isnull=True)
                | Q(coding__isnull=True, code__isnull=True, transcript__isnull=False),
                name="coding_memo_on_exactly_one_thing",
            ),
        ]

    def __str__(self) -> str:
        return f"Memo by {self.author}"


class JournalQuerySet(models.QuerySet):
    def visible_to(self, member: Membership) -> "JournalQuerySet":
        """The member's own entries, and the entries others shared with the team."""
        return self.filter(study_id=member.study_id).filter(
            Q(author_id=member.user_id) | Q(shared=True)
        )


class JournalEntry(models.Model):
    """A researcher's reflexive journal entry: private, or shared with the team; it may point to
    a passage of a transcript and to codes (and later to decisions and themes)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="journal_entries")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    text = models.TextField()
    shared = models.BooleanField(
        default=False, help_text="Shared with the team; otherwise only you see it."
    )
    transcript = models.ForeignKey(
        Transcript, on_delete=models.SET_NULL, null=True, blank=True, related_name="journal_entries"
    )
    start = models.PositiveIntegerField(null=True, blank=True)
    end = models.PositiveIntegerField(null=True, blank=True)
    codes = models.ManyToManyField(Code, blank=True, related_name="journal_entries")
    decisions = models.ManyToManyField(
        "coding.Decision", blank=True, related_name="journal_entries"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = JournalQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "journal entries"
        constraints = [
            models.CheckConstraint(
                condition=Q(start__isnull=True, end__isnull=True)
                | Q(
                    start__isnull=False,
                    end__isnull=False,
                    start__lt=F("end"),
                    transcript__isnull=False,
                ),
                name="coding_journal_passage_is_a_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class FamiliarisationNote(models.Model):
    """A researcher's notes from reading: on one transcript, or (transcript empty) on the dataset."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="familiarisation_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    transcript = models.ForeignKey(
        Transcript,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="familiarisation_notes",
    )
    text = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["study", "author", "transcript"],
                condition=Q(transcript__isnull=False),
                name="coding_note_one_per_transcript",
            ),
            models.UniqueConstraint(
                fields=["study", "author"],
                condition=Q(transcript__isnull=True),
                name="coding_note_one_per_dataset",
            ),
        ]

    def __str__(self) -> str:
        return f"Notes by {self.author}"


# Reconciliation's models belong to this app too.
from coding.reconcile.models import (  # noqa: E402, F401
    AgreementRun,
    CodeAlignment,
    ConsensusCoding,
    Decision,
    Meeting,
    Outcome,
    Reconciliation,
)
