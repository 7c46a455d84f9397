"""Blind coding rounds: a lead opens one on locked transcripts for chosen coders, each coder marks
their part done, and the lead closes it, which unblinds the coders' layers to one another. Each
workflow runs in one transaction and leaves an audit event."""

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from coding.models import CodingRound, RoundCoder
from studies.audit import Action, audit
from studies.models import Membership, Role, Study
from transcripts.models import Transcript


def _require_lead(member: Membership, doing: str) -> None:
    if not member.is_lead:
        raise ValidationError(f"Only a lead or custodian {doing}.")


def _names(users: Iterable[AbstractBaseUser]) -> list[str]:
    return sorted(user.get_username() for user in users)


@transaction.atomic
def round_open(
    *,
    member: Membership,
    title: str,
    transcripts: Iterable[Transcript],
    coders: Iterable[AbstractBaseUser],
    request: HttpRequest | None = None,
) -> CodingRound:
    """A new open round. Its transcripts must be locked transcripts of the study in no other open
    round; its coders, members with the coder role or above."""
    _require_lead(member, "opens a coding round")
    # Two leads opening rounds at once must not both take the same transcript.
    Study.objects.select_for_update().filter(pk=member.study_id).first()
    title = " ".join(title.split())
    transcripts = list(dict.fromkeys(transcripts))
    coders = list(dict.fromkeys(coders))
    errors = []
    if not title:
        errors.append("A round needs a title.")
    elif len(title) > 120:
        errors.append("A round's title has at most 120 characters.")
    if not transcripts:
        errors.append("Choose at least one transcript to code.")
    if not coders:
        errors.append("Choose at least one coder.")
    for transcript in transcripts:
        if transcript.study_id != member.study_id:
            errors.append(f"“{transcript.title}” belongs to another study.")
        elif not transcript.is_codable:
            errors.append(
                f"“{transcript.title}” is not locked yet: only a locked transcript is coded."
            )
    busy = (
        CodingRound.objects.filter(
            study_id=member.study_id,
            closed_at__isnull=True,
            transcripts__in=[t.pk for t in transcripts],
        )
        .values_list("transcripts__title", "title")
        .order_by("transcripts__title")
    )
    for transcript_title, round_title in busy:
        errors.append(f"“{transcript_title}” is already in the open round “{round_title}”.")
    roles = dict(
        Membership.objects.active()
        .filter(study_id=member.study_id, user__in=[c.pk for c in coders])
        .values_list("user_id", "role")
    )
    for coder in coders:
        if coder.pk not in roles:
            errors.append(f"{coder.get_username()} is not a member of this study.")
        elif Role(roles[coder.pk]).rank < Role.CODER.rank:
            errors.append(f"{coder.get_username()} is a viewer: only coders and leads code.")
    if errors:
        raise ValidationError(errors)

    coding_round = CodingRound.objects.create(
        study_id=member.study_id, title=title, opened_by=member.user
    )
    coding_round.transcripts.set(transcripts)
    RoundCoder.objects.bulk_create(RoundCoder(round=coding_round, coder=c) for c in coders)
    audit(
        Action.ROUND_OPEN,
        request=request,
        actor=member.user,
        study=member.study,
        target=coding_round,
        details={
            "round": str(coding_round.uuid),
            "transcripts": sorted(t.title for t in transcripts),
            "coders": _names(coders),
        },
    )
    return coding_round


@transaction.atomic
def round_mark_done(
    *, member: Membership, coding_round: CodingRound, request: HttpRequest | None = None
) -> RoundCoder:
    """The member, a coder of the open round, has finished their part."""
    if coding_round.study_id != member.study_id:
        raise ValidationError("This round belongs to another study.")
    part = RoundCoder.objects.filter(round=coding_round, coder_id=member.user_id).first()
    if part is None:
        raise ValidationError("You are not a coder in this round.")
    if not coding_round.is_open:
        raise ValidationError("This round is closed already.")
    # Claimed with a conditional update: a double click marks it once, and audits it once.
    now = timezone.now()
    if not RoundCoder.objects.filter(pk=part.pk, done_at__isnull=True).update(done_at=now):
        raise ValidationError("You have already marked your part of this round done.")
    part.done_at = now
    audit(
        Action.ROUND_DONE,
        request=request,
        actor=member.user,
        study=member.study,
        target=coding_round,
        details={"round": str(coding_round.uuid)},
    )
    return part


@transaction.atomic
def round_unblind(
    *, member: Membership, coding_round: CodingRound, request: HttpRequest | None = None
) -> CodingRound:
    """Close the round: from now on every member sees every coder's codings and codes on its
    transcripts. Allowed before every coder is done; the audit event names who was not."""
    _require_lead(member, "closes and unblinds a round")
    if coding_round.study_id != member.study_id:
        raise ValidationError("This round belongs to another study.")
    now = timezone.now()
    closed = CodingRound.objects.filter(pk=coding_round.pk, closed_at__isnull=True).update(
        closed_at=now, closed_by=member.user
    )
    if not closed:
        raise ValidationError("This round is closed already.")
    coding_round.closed_at, coding_round.closed_by = now, member.user
    not_done = RoundCoder.objects.filter(round=coding_round, done_at__isnull=True)
    audit(
        Action.UNBLIND,
        request=request,
        actor=member.user,
        study=member.study,
        target=coding_round,
        details={
            "round": str(coding_round.uuid),
            "not_done": _names(part.coder for part in not_done.select_related("coder")),
        },
    )
    return coding_round
