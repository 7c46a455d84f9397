"""Workflows on participants and their analysis attributes. Each runs in one transaction and
leaves an audit event naming the participant by pseudonym only."""

from django.db import transaction
from django.http import HttpRequest

from studies.audit import Action, audit
from studies.models import (
    AttributeDefinition,
    AttributeValue,
    Identity,
    Membership,
    Participant,
    Role,
    SourceProject,
)


def _save_attributes(participant: Participant, values: dict[AttributeDefinition, str]) -> dict:
    """Store the given values ("" removes one); the changes, by attribute name."""
    current = {value.attribute_id: value for value in participant.attribute_values.all()}
    changed = {}
    for attribute, value in values.items():
        existing = current.get(attribute.pk)
        before = existing.value if existing else ""
        if before == value:
            continue
        changed[attribute.name] = {"from": before, "to": value}
        if not value:
            existing.delete()
        elif existing:
            existing.value = value
            existing.save(update_fields=["value"])
        else:
            AttributeValue.objects.create(participant=participant, attribute=attribute, value=value)
    return changed


@transaction.atomic
def participant_create(
    *,
    request: HttpRequest,
    member: Membership,
    pseudonym: str,
    source_project: SourceProject,
    attributes: dict[AttributeDefinition, str],
    real_name: str,
    contact: str = "",
    original_id: str = "",
) -> Participant:
    """A participant under a pseudonym, with their identity in the vault. Custodians only."""
    if not member.has_role(Role.CUSTODIAN):
        raise PermissionError("only a custodian adds participants")
    participant = Participant.objects.create(
        study=member.study, source_project=source_project, pseudonym=pseudonym
    )
    Identity.objects.create(
        participant=participant, real_name=real_name, contact=contact, original_id=original_id
    )
    _save_attributes(participant, attributes)
    audit(
        Action.PARTICIPANT_CREATE,
        request=request,
        study=member.study,
        target=participant,
        details={"pseudonym": pseudonym, "source_project": source_project.name},
    )
    return participant


@transaction.atomic
def participant_update(
    *,
    request: HttpRequest,
    participant: Participant,
    pseudonym: str,
    source_project: SourceProject,
    attributes: dict[AttributeDefinition, str],
) -> Participant:
    changed = _save_attributes(participant, attributes)
    if participant.pseudonym != pseudonym:
        changed["pseudonym"] = {"from": participant.pseudonym, "to": pseudonym}
    if participant.source_project_id != source_project.pk:
        changed["source_project"] = {
            "from": participant.source_project.name,
            "to": source_project.name,
        }
    participant.pseudonym, participant.source_project = pseudonym, source_project
    participant.save(update_fields=["pseudonym", "source_project"])
    if changed:
        audit(
            Action.PARTICIPANT_UPDATE,
            request=request,
            study=participant.study,
            target=participant,
            details=changed,
        )
    return participant


@transaction.atomic
def attribute_save(*, request: HttpRequest, attribute: AttributeDefinition) -> AttributeDefinition:
    if attribute.pk is None:
        attribute.position = AttributeDefinition.objects.filter(study=attribute.study).count() + 1
    attribute.save()
    audit(
        Action.ATTRIBUTE_SAVE,
        request=request,
        study=attribute.study,
        target=attribute,
        details={"name": attribute.name, "kind": attribute.kind, "values": attribute.choices},
    )
    return attribute


@transaction.atomic
def attribute_delete(*, request: HttpRequest, attribute: AttributeDefinition) -> None:
    values = attribute.values.count()
    audit(
        Action.ATTRIBUTE_DELETE,
        request=request,
        study=attribute.study,
        target=attribute,
        details={"name": attribute.name, "values_removed": values},
    )
    attribute.delete()
