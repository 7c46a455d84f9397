from django.utils import timezone

from studies.tests.factories import make_participant
from transcripts.models import Speaker, Transcript, TranscriptState, TranscriptVersion, Turn


def make_locked_transcript(
    study, pseudonym: str = "P1", turns: list[tuple[str, str]] | None = None, *, user=None
):
    """A locked transcript of alternating turns ("I" for the interviewer, "P" for the participant)."""
    from studies.models import Membership

    user = user or Membership.objects.filter(study=study).first().user
    participant = (
        make_participant(study, pseudonym)
        if not study.participants.filter(pseudonym=pseudonym).exists()
        else study.participants.get(pseudonym=pseudonym)
    )
    turns = turns or [
        ("I", "How did you begin with a new client?"),
        (
            "P",
            "Slowly 🙂 — I listen first, and the café small talk matters more than people think.",
        ),
        ("I", "And when it goes wrong?"),
        ("P", "Then I name it, carefully, and we repair it together."),
    ]
    now = timezone.now()
    transcript = Transcript.objects.create(
        study=study,
        participant=participant,
        source_project=participant.source_project,
        title=f"Interview with {pseudonym}",
        format="verbatim",
        sha256=f"{abs(hash((study.pk, pseudonym, len(turns)))):064d}"[:64],
        imported_by=user,
        state=TranscriptState.LOCKED,
        signed_off_by=user,
        signed_off_at=now,
        locked_by=user,
        locked_at=now,
    )
    text = "\n\n".join(words for _who, words in turns)
    version = TranscriptVersion.objects.create(transcript=transcript, number=1, text=text)
    offset = 0
    for position, (who, words) in enumerate(turns, start=1):
        Turn.objects.create(
            version=version,
            position=position,
            speaker=Speaker.INTERVIEWER if who == "I" else Speaker.PARTICIPANT,
            participant=None if who == "I" else participant,
            start=offset,
            end=offset + len(words),
        )
        offset += len(words) + 2
    return transcript
