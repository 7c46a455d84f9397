"""Withdrawing a participant: preview what derives from them, then erase it or keep it anonymised.

`studies` knows nothing of the apps built on it, so each of them tells it what it holds about a
participant by registering a collector: a function from a participant to (label, queryset)
pairs. The preview lists them all; erasing deletes the participant, and every row that refers to
them goes with it (their foreign keys cascade), which the tests check model by model.
"""

from collections.abc import Callable, Iterable

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from studies.audit import Action, audit
from studies.models import (
    AttributeValue,
    ConsentRecord,
    Identity,
    Interview,
    Membership,
    Participant,
    Role,
    ScreeningRecord,
    Withdrawal,
    WithdrawalPolicy,
)

Collector = Callable[[Participant], Iterable[tuple[str, models.QuerySet]]]
_collectors: list[Collector] = []


def register(collector: Collector) -> Collector:
    """Add what an app holds about a participant to every withdrawal preview."""
    _collectors.append(collector)
    return collector


Eraser = Callable[[Participant], None]
_erasers: list[Eraser] = []


def register_erasure(eraser: Eraser) -> Eraser:
    """Let an app act on what erasing a participant will remove, just before it goes (themes mark
    the themes that lose extracts)."""
    _erasers.append(eraser)
    return eraser


def _identifying(participant: Participant) -> list[tuple[str, models.QuerySet]]:
    return [
        ("Identity (vault)", Identity.objects.filter(participant=participant)),
        ("Consent records (vault)", ConsentRecord.objects.filter(participant=participant)),
        ("Screening records (vault)", ScreeningRecord.objects.filter(participant=participant)),
    ]


def _analysis(participant: Participant) -> list[tuple[str, models.QuerySet]]:
    return [
        ("Attribute values", AttributeValue.objects.filter(participant=participant)),
        ("Interviews and their audio records", Interview.objects.filter(participant=participant)),
    ]


def withdrawal_preview(participant: Participant) -> list[tuple[str, int, bool]]:
    """Everything derived from the participant: (what, how many, whether it is identifying)."""
    preview = [(label, queryset.count(), True) for label, queryset in _identifying(participant)]
    preview += [(label, queryset.count(), False) for label, queryset in _analysis(participant)]
    for collector in _collectors:
        preview += [(label, queryset.count(), False) for label, queryset in collector(participant)]
    return preview


def allowed_modes(policy: str) -> list[Withdrawal.Mode]:
    if policy == WithdrawalPolicy.EITHER:
        return [Withdrawal.Mode.ERASE, Withdrawal.Mode.RETAIN]
    return [Withdrawal.Mode(policy)]


@transaction.atomic
def participant_withdraw(
    *,
    request: HttpRequest,
    member: Membership,
    participant: Participant,
    mode: Withdrawal.Mode,
    confirmation: str,
    legal_basis: str = "",
) -> Withdrawal:
    """Erase everything derived from the participant, or erase their identity and consent details
    and keep the analysis data anonymised; either way leave a tombstone without a name."""
    if not member.has_role(Role.CUSTODIAN):
        raise ValidationError("Only a custodian can withdraw a participant.")
    study = member.study
    if participant.withdrawn_at is not None:
        raise ValidationError(f"{participant.pseudonym} has already withdrawn.")
    if mode not in allowed_modes(study.withdrawal_policy):
        raise ValidationError(
            f"This study's protocol does not allow “{Withdrawal.Mode(mode).label.lower()}”."
        )
    if confirmation.strip() != participant.pseudonym:
        raise ValidationError(f"Type the pseudonym {participant.pseudonym} exactly to confirm.")
    if mode == Withdrawal.Mode.RETAIN and not legal_basis.strip():
        raise ValidationError(
            "Keeping anonymised data needs the legal basis, e.g. GDPR Art. 17(3)(d)."
        )
    scope = {
        label: count for label, count, _identifying in withdrawal_preview(participant) if count
    }
    if mode == Withdrawal.Mode.ERASE:
        for eraser in _erasers:
            eraser(participant)
        participant.delete()
    else:
        for _label, queryset in _identifying(participant):
            queryset.delete()
        participant.withdrawn_at = timezone.now()
        participant.save(update_fields=["withdrawn_at"])
    tombstone = Withdrawal.objects.create(
        study=study,
        pseudonym=participant.pseudonym,
        mode=mode,
        scope=scope,
        legal_basis=legal_basis.strip() if mode == Withdrawal.Mode.RETAIN else "",
        withdrawn_by=request.user,
    )
    audit(
        Action.WITHDRAWAL,
        request=request,
        study=study,
        target=tombstone,
        details={"pseudonym": participant.pseudonym, "mode": mode, "scope": scope},
    )
    return tombstone
