"""Workflows on interviews and the life of their audio: recorded, the transcript verified against
it, then deleted. Each runs in one transaction and leaves an audit event."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from studies.audit import Action, audit
from studies.models import Interview, Membership, Participant, Role

# The refusals, worded for the person who pressed the button.
NOT_RECORDED = "No audio was recorded for this interview, so there is no audio to {what}."
ALREADY_DELETED = "The audio of this interview was already deleted on {when} by {who}."


def _locked(interview: Interview, actor: Membership) -> Interview:
    """The interview as stored, locked until the transaction ends, so that two people pressing
    the same button at once cannot both succeed."""
    locked = (
        Interview.objects.select_for_update(of=("self",))
        .filter(pk=interview.pk, participant__study=actor.study)
        .first()
    )
    if locked is None:
        raise ValidationError("This interview is not part of this study.")
    # The participant as the view read it, for messages and audit details.
    locked.participant = interview.participant
    return locked


def _check_participant(participant: Participant, actor: Membership) -> None:
    if participant.study_id != actor.study.pk:
        raise ValidationError("Choose one of this study's participants.")


def _details(interview: Interview, **more) -> dict:
    return {
        "pseudonym": interview.participant.pseudonym,
        "date": interview.held_on.isoformat(),
    } | more


def _day(moment) -> str:
    day = timezone.localtime(moment).date()
    return f"{day.day} {day:%b %Y}"


def verification_refusal(interview: Interview) -> str | None:
    """Why the transcript of this interview cannot be marked verified now, if it cannot."""
    if not interview.audio_recorded:
        return NOT_RECORDED.format(what="verify the transcript against")
    if interview.audio_deleted_at:
        return ALREADY_DELETED.format(
            when=_day(interview.audio_deleted_at), who=interview.audio_deleted_by.get_username()
        )
    if interview.verified_at:
        return (
            f"The transcript was already verified against the audio on "
            f"{_day(interview.verified_at)} by {interview.verified_by.get_username()}."
        )
    return None


def deletion_refusal(interview: Interview) -> str | None:
    """Why the deletion of this interview's audio cannot be recorded now, if it cannot."""
    if not interview.audio_recorded:
        return NOT_RECORDED.format(what="delete")
    if interview.audio_deleted_at:
        return ALREADY_DELETED.format(
            when=_day(interview.audio_deleted_at), who=interview.audio_deleted_by.get_username()
        )
    return None


@transaction.atomic
def interview_record(
    *,
    actor: Membership,
    participant: Participant,
    held_on: date,
    medium: str,
    audio_recorded: bool,
    audio_copies: str = "",
    request: HttpRequest | None = None,
) -> Interview:
    """A new interview with a participant of the actor's study."""
    _check_participant(participant, actor)
    interview = Interview(
        participant=participant,
        held_on=held_on,
        medium=medium,
        audio_recorded=audio_recorded,
        audio_copies=audio_copies.strip(),
    )
    interview.full_clean()
    interview.save()
    audit(
        Action.INTERVIEW_SAVE,
        request=request,
        actor=actor.user,
        study=actor.study,
        target=interview,
        details=_details(interview, created=True),
    )
    return interview


@transaction.atomic
def interview_update(
    *,
    actor: Membership,
    interview: Interview,
    participant: Participant,
    held_on: date,
    medium: str,
    audio_recorded: bool,
    audio_copies: str = "",
    request: HttpRequest | None = None,
) -> Interview:
    """An interview's details, while its audio exists: once deleted, the record is the ethics
    trail and stays as it was."""
    _check_participant(participant, actor)
    stored = _locked(interview, actor)
    if stored.audio_deleted_at:
        raise ValidationError(
            "The audio of this interview was deleted; its record can no longer be changed."
        )
    if stored.verified_at and not audio_recorded:
        raise ValidationError(
            "The transcript was verified against this interview's audio, so it was recorded."
        )
    stored.participant = participant
    stored.held_on, stored.medium = held_on, medium
    stored.audio_recorded, stored.audio_copies = audio_recorded, audio_copies.strip()
    stored.full_clean()
    stored.save(
        update_fields=["participant", "held_on", "medium", "audio_recorded", "audio_copies"]
    )
    audit(
        Action.INTERVIEW_SAVE,
        request=request,
        actor=actor.user,
        study=actor.study,
        target=stored,
        details=_details(stored, created=False),
    )
    return stored


@transaction.atomic
def interview_verify(
    *, actor: Membership, interview: Interview, request: HttpRequest | None = None
) -> Interview:
    """Record that the actor checked the interview's transcript against its audio."""
    stored = _locked(interview, actor)
    if refusal := verification_refusal(stored):
        raise ValidationError(refusal)
    stored.verified_by, stored.verified_at = actor.user, timezone.now()
    stored.save(update_fields=["verified_by", "verified_at"])
    audit(
        Action.AUDIO_VERIFIED,
        request=request,
        actor=actor.user,
        study=actor.study,
        target=stored,
        details=_details(stored),
    )
    return stored


@transaction.atomic
def audio_delete(
    *,
    actor: Membership,
    interview: Interview,
    deleted_copies: str,
    deletion_method: str,
    before_verification: bool = False,
    request: HttpRequest | None = None,
) -> Interview:
    """Record that the audio of an interview was deleted: which copies, and how. Deleting before
    the transcript was verified loses the means to check it, so it must be asked for."""
    if not actor.has_role(Role.CUSTODIAN):
        raise ValidationError("Only a custodian can record that audio was deleted.")
    stored = _locked(interview, actor)
    if refusal := deletion_refusal(stored):
        raise ValidationError(refusal)
    if not stored.verified_at and not before_verification:
        raise ValidationError(
            "The transcript has not been verified against this audio yet: confirm that you "
            "are deleting it before the transcript was verified."
        )
    deleted_copies, deletion_method = deleted_copies.strip(), deletion_method.strip()
    if not deleted_copies or not deletion_method:
        raise ValidationError("Say which copies were deleted and how.")
    stored.audio_deleted_by, stored.audio_deleted_at = actor.user, timezone.now()
    stored.deleted_copies, stored.deletion_method = deleted_copies, deletion_method
    stored.save(
        update_fields=["audio_deleted_by", "audio_deleted_at", "deleted_copies", "deletion_method"]
    )
    audit(
        Action.AUDIO_DELETED,
        request=request,
        actor=actor.user,
        study=actor.study,
        target=stored,
        details=_details(
            stored,
            copies=deleted_copies,
            method=deletion_method,
            before_verification=stored.verified_at is None,
        ),
    )
    return stored
