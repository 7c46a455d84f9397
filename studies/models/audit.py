from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from studies.models.study import Study


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
    MODE_CHANGE = "study.mode_change", "Changed the analysis mode"
    CRITERIA_UPDATE = "study.criteria_update", "Changed the inclusion criteria"
    SOURCE_PROJECT_SAVE = "source_project.save", "Saved a source project"
    PROTOCOL_UPDATE = "protocol.update", "Changed an interview guide"
    EXPORT = "export", "Exported"
    ATTRIBUTE_SAVE = "attribute.save", "Saved a participant attribute"
    ATTRIBUTE_DELETE = "attribute.delete", "Removed a participant attribute"
    PARTICIPANT_CREATE = "participant.create", "Added a participant"
    PARTICIPANT_UPDATE = "participant.update", "Changed a participant"
    INTERVIEW_SAVE = "interview.save", "Saved an interview"
    AUDIO_VERIFIED = "audio.verified", "Verified a transcript against its audio"
    AUDIO_DELETED = "audio.deleted", "Deleted an interview's audio"
    VAULT_READ = "vault.read", "Read the identity vault"
    VAULT_WRITE = "vault.write", "Changed the identity vault"
    VAULT_ROTATE = "vault.rotate", "Re-encrypted the vault under a new key"
    OTP_SETUP = "auth.otp_setup", "Set up a second factor"
    OTP_VERIFY = "auth.otp_verify", "Passed the second factor"
    OTP_FAILED = "auth.otp_failed", "Failed the second factor"
    WITHDRAWAL = "participant.withdrawal", "Withdrew a participant"
    UPLOAD = "transcript.upload", "Uploaded transcript files"
    TRANSCRIPT_IMPORT = "transcript.import", "Imported a transcript"
    IDENTIFIER_LIST = "anonymisation.list", "Changed the deny- or allow-list"
    ANONYMISATION_DECISION = "anonymisation.decision", "Decided on an identifier"
    ANONYMISATION_APPLY = "anonymisation.apply", "Made the anonymised version"
    SIGN_OFF = "transcript.sign_off", "Signed off a transcript's anonymisation"
    SECOND_CHECK = "transcript.check", "Checked a transcript's anonymisation"
    LOCK = "transcript.lock", "Locked a transcript"
    TRANSCRIPT_CORRECT = "transcript.correct", "Corrected a locked transcript"
    ROUND_OPEN = "coding.round_open", "Opened a blind coding round"
    ROUND_DONE = "coding.round_done", "Finished their part of a coding round"
    UNBLIND = "coding.unblind", "Unblinded a coding round"
    CODE_ALIGN = "coding.align", "Aligned codes across coders"
    RECONCILIATION = "coding.reconciliation", "Started or finished a reconciliation"
    DECISION = "coding.decision", "Recorded a reconciliation decision"
    MEETING = "coding.meeting", "Recorded a meeting"
    AGREEMENT = "coding.agreement", "Computed agreement statistics"
    THEME_CHANGE = "themes.change", "Changed a theme"
    THEME_VERSION = "themes.version", "Saved a version of the theme set"
    MAP_SNAPSHOT = "themes.map_snapshot", "Saved a snapshot of the thematic map"
    REVIEW = "themes.review", "Reviewed a theme or the map"
    REPORT = "exchange.report", "Changed the report's extracts"
    INTERCHANGE_IMPORT = "exchange.import", "Imported a REFI-QDA project"
    CODE_CHANGE = "coding.code_change", "Renamed, redefined, merged, split or retired a code"


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
