import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class AnalysisMode(models.TextChoices):
    REFLEXIVE = "reflexive", "Reflexive thematic analysis"
    CODEBOOK = "codebook", "Codebook thematic analysis"
    CODING_RELIABILITY = "coding_reliability", "Coding-reliability thematic analysis"


class WithdrawalPolicy(models.TextChoices):
    """What the study's ethics protocol allows when a participant withdraws."""

    ERASE = "erase", "Erase everything derived from the participant"
    RETAIN = "retain", "Retain anonymised data under the research exemption"
    EITHER = "either", "Either, chosen at each withdrawal"


class Study(models.Model):
    AnalysisMode = AnalysisMode
    WithdrawalPolicy = WithdrawalPolicy

    slug = models.SlugField(max_length=60, unique=True)
    title = models.CharField(max_length=200)
    research_question = models.TextField()
    epistemological_stance = models.TextField(blank=True)
    analysis_mode = models.CharField(
        max_length=20, choices=AnalysisMode.choices, default=AnalysisMode.REFLEXIVE
    )
    ethics_reference = models.CharField("ethics approval reference", max_length=100, blank=True)
    ethics_approved_on = models.DateField("ethics approval date", null=True, blank=True)
    ethics_committee = models.CharField("approving committee", max_length=200, blank=True)
    withdrawal_policy = models.CharField(
        max_length=10, choices=WithdrawalPolicy.choices, default=WithdrawalPolicy.EITHER
    )
    audio_retention_days = models.PositiveIntegerField(
        default=90, help_text="Days after an interview by which its audio must be deleted."
    )
    speaker_pattern = models.CharField(
        "speaker label pattern",
        max_length=300,
        blank=True,
        help_text="A regular expression with a group named speaker that finds the speaker label at "
        "the start of a paragraph of a typed transcript; empty for the usual labels "
        "(Interviewer:, P3:, I:, R:, names).",
    )
    keep_original_text = models.BooleanField(
        default=True,
        help_text="Keep each transcript's text as it was before anonymisation, encrypted and for "
        "custodians only; otherwise it is deleted when the anonymised version is made.",
    )
    keep_uploaded_files = models.BooleanField(
        default=False,
        help_text="Keep each uploaded transcript file, for custodians only, after it is imported; "
        "otherwise it is deleted once its text is stored.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "studies"
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(analysis_mode__in=AnalysisMode.values),
                name="studies_study_analysis_mode_valid",
            ),
            models.CheckConstraint(
                condition=Q(withdrawal_policy__in=WithdrawalPolicy.values),
                name="studies_study_withdrawal_policy_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Role(models.TextChoices):
    """A member's role in one study. Each role holds the rights of the roles listed before it."""

    VIEWER = "viewer", "Viewer"
    CODER = "coder", "Coder"
    LEAD = "lead", "Lead author"
    CUSTODIAN = "custodian", "Custodian"

    @property
    def rank(self) -> int:
        return list(Role).index(self)


class MembershipQuerySet(models.QuerySet):
    def active(self) -> "MembershipQuerySet":
        """Memberships that have not expired: an expired member is treated as an outsider."""
        today = timezone.localdate()
        return self.filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    expires_on = models.DateField(
        null=True, blank=True, help_text="The last day of access; empty for no end."
    )
    added_at = models.DateTimeField(default=timezone.now)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "study"], name="studies_membership_one_per_user_and_study"
            ),
            models.CheckConstraint(
                condition=Q(role__in=Role.values), name="studies_membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.get_role_display()})"

    def has_role(self, role: Role) -> bool:
        return Role(self.role).rank >= role.rank

    @property
    def is_lead(self) -> bool:
        return self.has_role(Role.LEAD)

    @property
    def is_custodian(self) -> bool:
        return self.has_role(Role.CUSTODIAN)

    @property
    def is_expired(self) -> bool:
        return self.expires_on is not None and self.expires_on < timezone.localdate()


class AnalysisModeChange(models.Model):
    """A change of analysis mode after the study was set up, with the reason given for it."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="mode_changes")
    from_mode = models.CharField(max_length=20, choices=AnalysisMode.choices)
    to_mode = models.CharField(max_length=20, choices=AnalysisMode.choices)
    justification = models.TextField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["changed_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_mode=models.F("to_mode")), name="studies_modechange_changes_mode"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_from_mode_display()} → {self.get_to_mode_display()}"


class InclusionCriterion(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="inclusion_criteria")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=300)

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "inclusion criteria"

    def __str__(self) -> str:
        return self.text


class SourceProject(models.Model):
    """An earlier project whose data this study analyses; a study may merge several."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="source_projects")
    name = models.CharField(max_length=120)
    ethics_reference = models.CharField(max_length=100, blank=True)
    protocol = models.ForeignKey(
        "studies.Protocol",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="source_projects",
        verbose_name="interview guide version",
    )
    consent_covers_secondary_analysis = models.BooleanField(
        default=False,
        help_text="Its participants consented to their data being analysed again in a study like this.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["study", "name"], name="studies_sourceproject_name_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name
