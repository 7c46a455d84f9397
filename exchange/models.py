"""The report builder's choices: the illustrative extracts picked for each theme, in order, each
with the words as they were when chosen (so that a later correction of the transcript is caught
by the verbatim check). Exports and imports themselves are recorded in the audit log."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from coding.models import Coding
from themes.models import Theme


class ReportExtract(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="report_extracts")
    coding = models.ForeignKey(Coding, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField(default=0)
    words = models.TextField(help_text="The extract's words when it was chosen.")
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    chosen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["theme", "position", "chosen_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["theme", "coding"], name="exchange_extract_once"),
        ]

    def __str__(self) -> str:
        return f"Extract for {self.theme}"
