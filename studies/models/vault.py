"""The identity vault: everything that could re-identify a participant. Every value is
encrypted at rest (studies.crypto.EncryptedField) and read only through studies.vault, which
checks the custodian's role and writes an audit event."""

import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone

from studies.crypto import EncryptedField
from studies.models.participants import Participant
from studies.models.study import InclusionCriterion


class Identity(models.Model):
    participant = models.OneToOneField(
        Participant, on_delete=models.CASCADE, related_name="identity"
    )
    real_name = EncryptedField()
    contact = EncryptedField(blank=True, help_text="E-mail, telephone or address.")
    original_id = EncryptedField(
        "original ID", blank=True, help_text="The participant's ID in its source project."
    )
    notes = EncryptedField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "identities"

    def __str__(self) -> str:
        return f"Identity of {self.participant}"


class ConsentMethod(models.TextChoices):
    WRITTEN = "written", "Written e-consent"
    VERBAL = "verbal", "Verbal, at interview"


class ConsentRecord(models.Model):
    Method = ConsentMethod

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="consent_records"
    )
    method = EncryptedField(choices=ConsentMethod.choices)
    consented_on = EncryptedField(kind=date)
    information_sheet_version = EncryptedField(blank=True)
    consent_form_version = EncryptedField(blank=True)
    recording = EncryptedField("audio recording", kind=bool)
    verbatim_quotation = EncryptedField("quotation of their words", kind=bool)
    archiving = EncryptedField("archiving of the data", kind=bool)
    secondary_use = EncryptedField("secondary analysis", kind=bool)
    future_contact = EncryptedField("being contacted again", kind=bool)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    ITEMS = ("recording", "verbatim_quotation", "archiving", "secondary_use", "future_contact")

    class Meta:
        ordering = ["recorded_at"]

    def __str__(self) -> str:
        return f"Consent of {self.participant}"


class ScreeningRecord(models.Model):
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="screening_records"
    )
    criterion = models.ForeignKey(
        InclusionCriterion, on_delete=models.PROTECT, related_name="screening_records"
    )
    met = EncryptedField(kind=bool)
    note = EncryptedField(blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    assessed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["criterion__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "criterion"], name="studies_screening_one_per_criterion"
            ),
        ]

    def __str__(self) -> str:
        return f"Screening of {self.participant}: {self.criterion}"
