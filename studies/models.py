from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class AnalysisMode(models.TextChoices):
    REFLEXIVE = "reflexive", "Reflexive thematic analysis"
    CODEBOOK = "codebook", "Codebook thematic analysis"
    CODING_RELIABILITY = "coding_reliability", "Coding-reliability thematic analysis"


class Study(models.Model):
    AnalysisMode = AnalysisMode

    slug = models.SlugField(max_length=60, unique=True)
    title = models.CharField(max_length=200)
    research_question = models.TextField()
    epistemological_stance = models.TextField(blank=True)
    analysis_mode = models.CharField(
        max_length=20, choices=AnalysisMode.choices, default=AnalysisMode.REFLEXIVE
    )
    ethics_reference = models.CharField("ethics approval reference", max_length=100, blank=True)
    ethics_approved_on = models.DateField("ethics approval date", null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "studies"
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(analysis_mode__in=AnalysisMode.values),
                name="studies_study_analysis_mode_valid",
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


class AuditEventQuerySet(models.QuerySet):
    """The audit log is append-only: the application has no way to change or remove a row."""

    def update(self, **kwargs):
        raise TypeError("audit events cannot be changed")

    def delete(self):
        raise TypeError("audit events cannot be deleted")


class AuditAction(models.TextChoices):
    LOGIN = "auth.login", "Logged in"
    LOGIN_FAILED = "auth.login_failed", "Failed log-in"
    LOGOUT = "auth.logout", "Logged out"
    PASSWORD_CHANGE = "auth.password_change", "Changed password"
    STUDY_CREATE = "study.create", "Created the study"
    STUDY_UPDATE = "study.update", "Changed the study"
    MEMBER_ADD = "membership.add", "Added a member"
    MEMBER_CHANGE = "membership.change", "Changed a membership"
    MEMBER_REMOVE = "membership.remove", "Removed a member"
    AUDIT_EXPORT = "audit.export", "Exported the audit log"


class AuditEvent(models.Model):
    Action = AuditAction

    created_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,  # deactivate accounts; the trail keeps who did what
        null=True,
        blank=True,
        related_name="+",
    )
    study = models.ForeignKey(
        Study, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=40, choices=AuditAction.choices)
    target_type = models.CharField(max_length=60, blank=True)
    target = models.CharField(max_length=200, blank=True)
    address = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The audit page: one study's events, newest first.
            models.Index(fields=["study", "-created_at"], name="studies_audit_study_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=AuditAction.values), name="studies_auditevent_action_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("audit events cannot be deleted")


class Protocol(models.Model):
    """An interview guide: domains, each with questions, each with follow-up prompts."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="protocols")
    version = models.CharField(max_length=40)

    class Meta:
        ordering = ["version"]
        constraints = [
            models.UniqueConstraint(
                fields=["study", "version"], name="studies_protocol_version_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"Interview guide {self.version}"


class ProtocolDomain(models.Model):
    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="domains")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return self.title


class ProtocolQuestion(models.Model):
    domain = models.ForeignKey(ProtocolDomain, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()
    text = models.TextField()

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return self.text


class ProtocolPrompt(models.Model):
    question = models.ForeignKey(ProtocolQuestion, on_delete=models.CASCADE, related_name="prompts")
    position = models.PositiveSmallIntegerField()
    text = models.TextField()

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return self.text
