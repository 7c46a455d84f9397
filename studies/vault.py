"""The only way into the identity vault. Every function checks that the member is a custodian
and writes an audit event naming participants by pseudonym; listing many participants is one
event, not one per participant."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from studies.audit import Action, audit
from studies.models import (
    ConsentRecord,
    Identity,
    InclusionCriterion,
    Membership,
    Participant,
    Role,
    ScreeningRecord,
)


def _require_custodian(member: Membership) -> None:
    if not member.has_role(Role.CUSTODIAN):
        raise PermissionDenied("The identity vault is for custodians only.")


def vault_roster(
    *, request: HttpRequest, member: Membership
) -> list[tuple[Participant, Identity | None]]:
    """Every participant of the study with their identity."""
    _require_custodian(member)
    participants = list(
        Participant.objects.filter(study=member.study)
        .select_related("identity", "source_project")
        .order_by("created_at", "id")
    )
    rows = [(participant, getattr(participant, "identity", None)) for participant in participants]
    audit(
        Action.VAULT_READ,
        request=request,
        study=member.study,
        details={
            "page": "roster",
            "participants": [participant.pseudonym for participant in participants],
        },
    )
    return rows


def vault_record(*, request: HttpRequest, member: Membership, participant: Participant) -> dict:
    """One participant's identity, consent records and screening."""
    _require_custodian(member)
    record = {
        "identity": Identity.objects.filter(participant=participant).first(),
        "consents": list(
            ConsentRecord.objects.filter(participant=participant).select_related("recorded_by")
        ),
        "screening": {
            screening.criterion_id: screening
            for screening in ScreeningRecord.objects.filter(participant=participant).select_related(
                "assessed_by"
            )
        },
    }
    audit(
        Action.VAULT_READ,
        request=request,
        study=member.study,
        target=participant,
        details={"page": "participant", "participant": participant.pseudonym},
    )
    return record


@transaction.atomic
def identity_save(
    *,
    request: HttpRequest,
    member: Membership,
    participant: Participant,
    real_name: str,
    contact: str,
    original_id: str,
    notes: str,
) -> Identity:
    _require_custodian(member)
    identity, _created = Identity.objects.update_or_create(
        participant=participant,
        defaults={
            "real_name": real_name,
            "contact": contact,
            "original_id": original_id,
            "notes": notes,
            "updated_at": timezone.now(),
        },
    )
    audit(
        Action.VAULT_WRITE,
        request=request,
        study=member.study,
        target=participant,
        details={"participant": participant.pseudonym, "what": "identity"},
    )
    return identity


@transaction.atomic
def consent_add(
    *, request: HttpRequest, member: Membership, participant: Participant, **fields
) -> ConsentRecord:
    _require_custodian(member)
    consent = ConsentRecord.objects.create(
        participant=participant, recorded_by=request.user, **fields
    )
    audit(
        Action.VAULT_WRITE,
        request=request,
        study=member.study,
        target=participant,
        details={"participant": participant.pseudonym, "what": "consent"},
    )
    return consent


@transaction.atomic
def screening_save(
    *,
    request: HttpRequest,
    member: Membership,
    participant: Participant,
    results: dict[InclusionCriterion, tuple[bool, str]],
) -> None:
    """Record each criterion as met or not, with a note; an unchanged answer keeps its assessor."""
    _require_custodian(member)
    existing = {
        record.criterion_id: record
        for record in ScreeningRecord.objects.filter(participant=participant)
    }
    changed = []
    for criterion, (met, note) in results.items():
        record = existing.get(criterion.pk)
        if record and (record.met, record.note) == (met, note):
            continue
        ScreeningRecord.objects.update_or_create(
            participant=participant,
            criterion=criterion,
            defaults={
                "met": met,
                "note": note,
                "assessed_by": request.user,
                "assessed_at": timezone.now(),
            },
        )
        changed.append(criterion.position)
    if changed:
        audit(
            Action.VAULT_WRITE,
            request=request,
            study=member.study,
            target=participant,
            details={
                "participant": participant.pseudonym,
                "what": "screening",
                "criteria": changed,
            },
        )
