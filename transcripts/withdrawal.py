"""What the transcripts app holds about a participant, for the withdrawal preview."""

from django.db.models import QuerySet

from studies.models import Participant
from transcripts.models import ImportJob, Transcript, Turn


def derived_from(participant: Participant) -> list[tuple[str, QuerySet]]:
    return [
        ("Transcripts of their interviews", Transcript.objects.filter(participant=participant)),
        (
            "Turns they speak in other transcripts",
            Turn.objects.filter(participant=participant).exclude(
                version__transcript__participant=participant
            ),
        ),
        ("Imports naming them", ImportJob.objects.filter(participant=participant)),
    ]
