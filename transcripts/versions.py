"""Corrections of a locked transcript. Its text never changes: a correction makes a new version,
and everything anchored in the old one is carried over through the edit — the turns here, and
whatever later apps anchor (codings) through the carriers they register. A range whose own text
the edit changed is flagged for a person to look at, never silently moved."""

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from studies.audit import Action, audit
from studies.models import Membership, Role
from transcripts.anonymise.spans import Edit, OffsetMap, apply_edits
from transcripts.models import Transcript, TranscriptState, TranscriptVersion, Turn

Carrier = Callable[[TranscriptVersion, TranscriptVersion, OffsetMap], int]
_carriers: list[Carrier] = []


def register_carrier(carrier: Carrier) -> Carrier:
    """Let an app built on transcripts carry its ranges to a corrected version. The carrier gets
    the old and new versions and the offset map, and returns how many ranges it flagged."""
    _carriers.append(carrier)
    return carrier


def carry(old: TranscriptVersion, new: TranscriptVersion, offsets: OffsetMap) -> int:
    """Let every registered carrier move its ranges from `old` to `new`; how many it flagged."""
    return sum(carrier(old, new, offsets) for carrier in _carriers)


@transaction.atomic
def transcript_correct(
    *,
    member: Membership,
    transcript: Transcript,
    turn_position: int,
    text: str,
    reason: str,
    request: HttpRequest | None = None,
) -> TranscriptVersion:
    """A new version in which one turn reads `text`; the turns re-anchored over it."""
    if not member.has_role(Role.LEAD):
        raise ValidationError("A correction is made by a lead or custodian.")
    transcript = Transcript.objects.select_for_update().get(pk=transcript.pk)
    if transcript.study_id != member.study_id:
        raise ValidationError("This transcript belongs to another study.")
    if transcript.state != TranscriptState.LOCKED:
        raise ValidationError(
            "Only a locked transcript is corrected this way; in review, edit its anonymisation."
        )
    if not reason.strip():
        raise ValidationError("Say why the text is corrected: it is kept with the version.")
    text = text.strip()
    if not text or "\n\n" in text:
        raise ValidationError("A turn's text cannot be empty or contain a blank line.")
    old = transcript.versions.order_by("-number").first()
    turns = list(old.turns.order_by("position"))
    turn = next((t for t in turns if t.position == turn_position), None)
    if turn is None:
        raise ValidationError(f"This version has no turn {turn_position}.")
    if old.text[turn.start : turn.end] == text:
        raise ValidationError("The text is unchanged.")
    corrected = apply_edits(old.text, [Edit(turn.start, turn.end, text)])
    # The words that changed, found by a diff within the turn, not the whole turn: a coding of
    # words the correction left alone is carried exactly and is not marked.
    offsets = OffsetMap.from_texts(old.text, corrected)
    new = TranscriptVersion.objects.create(
        transcript=transcript, number=old.number + 1, text=corrected
    )
    mapped = offsets.map_ranges([(t.start, t.end) for t in turns])
    Turn.objects.bulk_create(
        Turn(
            version=new,
            position=t.position,
            speaker=t.speaker,
            participant_id=t.participant_id,
            start=span.start,
            end=span.end,
            started_at=t.started_at,
            ended_at=t.ended_at,
        )
        for t, span in zip(turns, mapped, strict=True)
    )
    flagged = carry(old, new, offsets)
    audit(
        Action.TRANSCRIPT_CORRECT,
        request=request,
        study=transcript.study,
        target=transcript,
        details={
            "version": new.number,
            "turn": turn_position,
            "reason": reason.strip()[:500],
            "flagged": flagged,
        },
    )
    return new
