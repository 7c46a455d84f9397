"""Themes: patterns of shared meaning the researchers build from codes — candidate themes and
subthemes with their definitions and status, the codes in them (a code may sit in several), the
"miscellaneous" holding area, the review of their extracts (level 1) and of their coverage across
the dataset (level 2), immutable versions of the theme set, the thematic map with its snapshots,
and the lead author's review. Nothing here ranks themes by how often they occur."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from coding.models import Code, Coding
from studies.models import Participant, Study


class Immutable(models.QuerySet):
    """A record kept as it was made: the application has no way to change or remove one."""

    def update(self, **kwargs):
        raise TypeError("a snapshot cannot be changed")

    def delete(self):
        raise TypeError("a snapshot cannot be deleted")


class ImmutableModel(models.Model):
    objects = Immutable.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError(f"a {self._meta.verbose_name} cannot be changed once saved")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(f"a {self._meta.verbose_name} cannot be deleted")


class Status(models.TextChoices):
    CANDIDATE = "candidate", "Candidate"
    DEVELOPING = "developing", "Developing"
    REVIEWED = "reviewed", "Reviewed"
    FINAL = "final", "Final"
    DISCARDED = "discarded", "Discarded"


class Theme(models.Model):
    """A theme, or a subtheme (with a parent), or the study's one holding area for codes that fit
    nowhere yet ("miscellaneous")."""

    Status = Status

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="themes")
    name = models.CharField(max_length=200)
    central_concept = models.TextField(
        blank=True, help_text="The central organising concept: what holds the theme together."
    )
    definition = models.TextField(blank=True, help_text="What the theme is about: its scope.")
    boundaries = models.TextField(blank=True, help_text="Where it ends, and what it is not.")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="subthemes"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.CANDIDATE)
    discard_reason = models.TextField(blank=True)
    holding = models.BooleanField(default=False, help_text="The miscellaneous holding area.")
    position = models.PositiveIntegerField(default=0)
    codes = models.ManyToManyField(Code, through="ThemeCode", related_name="themes")
    # Set when a withdrawal removed extracts from the theme: the team should look at it again.
    withdrawal_note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    revision = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["position", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="themes_theme_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.DISCARDED) | ~Q(discard_reason=""),
                name="themes_theme_discarded_with_a_reason",
            ),
            models.UniqueConstraint(
                fields=["study"], condition=Q(holding=True), name="themes_one_holding_area"
            ),
            models.CheckConstraint(
                condition=Q(holding=False) | Q(parent__isnull=True),
                name="themes_holding_area_at_the_top",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ThemeCode(models.Model):
    """A code in a theme (a code may sit in several themes)."""

    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="theme_codes")
    code = models.ForeignKey(Code, on_delete=models.CASCADE, related_name="theme_codes")
    position = models.PositiveIntegerField(default=0)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["theme", "code"], name="themes_code_once_per_theme"),
        ]

    def __str__(self) -> str:
        return f"{self.code} in {self.theme}"


class ExtractReview(models.Model):
    """Review level 1: whether one extract (a coding) fits the theme it reaches through its code."""

    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="extract_reviews")
    coding = models.ForeignKey(Coding, on_delete=models.CASCADE, related_name="+")
    fits = models.BooleanField()
    note = models.TextField(blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["theme", "coding"], name="themes_review_once"),
        ]

    def __str__(self) -> str:
        return f"{'fits' if self.fits else 'does not fit'} {self.theme}"


class CellSummary(models.Model):
    """Review level 2, the framework matrix: a summary of what one participant contributes to
    one theme."""

    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="cell_summaries")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    text = models.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["theme", "participant"], name="themes_cell_once"),
        ]

    def __str__(self) -> str:
        return f"{self.participant} × {self.theme}"


class ThemeSetVersion(ImmutableModel):
    """The theme set as it was: saved by hand, and on every status change. Never changed."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="theme_versions")
    number = models.PositiveIntegerField()
    reason = models.CharField(max_length=300)
    snapshot = models.JSONField()  # themes (with their codes' uuids and labels) as they were
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        verbose_name = "theme set version"
        constraints = [
            models.UniqueConstraint(fields=["study", "number"], name="themes_version_number_once"),
        ]

    def __str__(self) -> str:
        return f"Version {self.number}"


class LinkKind(models.TextChoices):
    SUBTHEME_OF = "subtheme_of", "subtheme of"
    RELATES_TO = "relates_to", "relates to"
    IN_TENSION_WITH = "in_tension_with", "in tension with"


class MapNode(models.Model):
    """Where a theme or a code sits on the thematic map."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="map_nodes")
    theme = models.ForeignKey(
        Theme, on_delete=models.CASCADE, null=True, blank=True, related_name="map_nodes"
    )
    code = models.ForeignKey(
        Code, on_delete=models.CASCADE, null=True, blank=True, related_name="map_nodes"
    )
    x = models.FloatField(default=0)
    y = models.FloatField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(theme__isnull=True) ^ Q(code__isnull=True),
                name="themes_node_is_a_theme_or_a_code",
            ),
            models.UniqueConstraint(
                fields=["study", "theme"],
                condition=Q(theme__isnull=False),
                name="themes_node_theme_once",
            ),
            models.UniqueConstraint(
                fields=["study", "code"],
                condition=Q(code__isnull=False),
                name="themes_node_code_once",
            ),
        ]

    def __str__(self) -> str:
        return str(self.theme or self.code)


class MapLink(models.Model):
    """A typed, labelled link between two nodes of the map."""

    Kind = LinkKind

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="map_links")
    source = models.ForeignKey(MapNode, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(MapNode, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=16, choices=LinkKind.choices)
    label = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(source=F("target")), name="themes_link_between_two_nodes"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=LinkKind.values), name="themes_link_kind_valid"
            ),
            models.UniqueConstraint(fields=["source", "target", "kind"], name="themes_link_once"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.get_kind_display()} {self.target}"


class MapSnapshot(ImmutableModel):
    """The map as it was at a phase of the analysis. Never changed."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="map_snapshots")
    name = models.CharField(max_length=200)
    snapshot = models.JSONField()  # nodes (label, kind, x, y) and links (kind, label)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "map snapshot"

    def __str__(self) -> str:
        return self.name


class ReviewComment(models.Model):
    """The lead author's review: a comment on a theme, or on the map (no theme), in threads."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="review_comments")
    theme = models.ForeignKey(
        Theme, on_delete=models.CASCADE, null=True, blank=True, related_name="comments"
    )
    reply_to = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Comment by {self.author}"


class Verdict(models.TextChoices):
    APPROVED = "approved", "Approved"
    CHANGES = "changes", "Changes requested"


class ReviewVerdict(models.Model):
    """The lead's approval of a theme or of the map (no theme), or a request for changes."""

    Verdict = Verdict

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="review_verdicts")
    theme = models.ForeignKey(
        Theme, on_delete=models.CASCADE, null=True, blank=True, related_name="verdicts"
    )
    verdict = models.CharField(max_length=10, choices=Verdict.choices)
    note = models.TextField(blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(verdict__in=Verdict.values), name="themes_verdict_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.get_verdict_display()
