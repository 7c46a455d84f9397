"""Withdrawal: a preview of everything derived from a participant, erase or retain, a tombstone."""

import pytest
from django.apps import apps
from django.db import models
from django.urls import reverse

from studies.models import (
    AttributeDefinition,
    AttributeValue,
    AuditEvent,
    ConsentRecord,
    Identity,
    Interview,
    Participant,
    Study,
    Withdrawal,
)
from studies.tests.factories import make_participant

pytestmark = pytest.mark.django_db


@pytest.fixture
def participant(study, custodian):
    participant = make_participant(
        study, "P3", real_name="Ottoline Brisk", contact="ob@example.org"
    )
    attribute = AttributeDefinition.objects.create(study=study, name="Setting")
    AttributeValue.objects.create(participant=participant, attribute=attribute, value="NHS")
    ConsentRecord.objects.create(
        participant=participant,
        method="written",
        consented_on="2025-01-02",
        recording=True,
        verbatim_quotation=True,
        archiving=False,
        secondary_use=True,
        future_contact=False,
        recorded_by=custodian,
    )
    Interview.objects.create(participant=participant, held_on="2025-01-09")
    return participant


def url(study, participant):
    return reverse("vault-withdraw", args=[study.slug, participant.uuid])


def rows_referring_to(participant_pk: int) -> dict[str, int]:
    """Rows in every model with a foreign key to Participant, found by introspection so that a
    model added later is covered without editing this test."""
    counts = {}
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if (
                isinstance(field, models.ForeignKey | models.OneToOneField)
                and field.related_model is Participant
            ):
                counts[f"{model._meta.label}.{field.name}"] = model._base_manager.filter(
                    **{field.name: participant_pk}
                ).count()
    return counts


def test_introspection_finds_the_participant_references():
    references = rows_referring_to(0)
    assert {
        "studies.Identity.participant",
        "studies.AttributeValue.participant",
        "studies.Interview.participant",
    } <= set(references)


def test_the_preview_lists_what_derives_from_the_participant(vault_client, study, participant):
    text = vault_client.get(url(study, participant)).text
    for label in [
        "Identity (vault)",
        "Consent records (vault)",
        "Attribute values",
        "Interviews and their audio records",
    ]:
        assert label in text
    assert Participant.objects.filter(pk=participant.pk).exists()


def test_erase_leaves_nothing_but_the_tombstone(vault_client, study, participant, custodian):
    pk = participant.pk
    assert sum(rows_referring_to(pk).values()) >= 4
    response = vault_client.post(url(study, participant), {"mode": "erase", "confirmation": "P3"})
    assert response.status_code == 302
    assert not Participant.objects.filter(pk=pk).exists()
    assert all(count == 0 for count in rows_referring_to(pk).values()), rows_referring_to(pk)
    tombstone = Withdrawal.objects.get()
    assert (tombstone.pseudonym, tombstone.mode, tombstone.withdrawn_by) == (
        "P3",
        "erase",
        custodian,
    )
    assert tombstone.scope == {
        "Identity (vault)": 1,
        "Consent records (vault)": 1,
        "Attribute values": 1,
        "Interviews and their audio records": 1,
    }
    assert "Ottoline" not in str(tombstone.scope) + tombstone.legal_basis
    event = AuditEvent.objects.get(action=AuditEvent.Action.WITHDRAWAL)
    assert event.details["pseudonym"] == "P3"


def test_retain_erases_identity_and_consent_and_keeps_the_analysis(
    vault_client, study, participant
):
    response = vault_client.post(
        url(study, participant),
        {"mode": "retain", "confirmation": "P3", "legal_basis": "GDPR Art. 17(3)(d)"},
    )
    assert response.status_code == 302
    participant.refresh_from_db()
    assert participant.withdrawn_at is not None
    assert not Identity.objects.exists() and not ConsentRecord.objects.exists()
    assert AttributeValue.objects.filter(participant=participant).count() == 1
    assert Interview.objects.filter(participant=participant).count() == 1
    assert Withdrawal.objects.get().legal_basis == "GDPR Art. 17(3)(d)"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"mode": "erase", "confirmation": "P4"}, "Type the pseudonym P3 exactly to confirm."),
        ({"mode": "erase", "confirmation": ""}, "This field is required."),
        ({"mode": "retain", "confirmation": "P3"}, "Keeping anonymised data needs the legal basis"),
        ({"mode": "forget", "confirmation": "P3"}, "Select a valid choice."),
    ],
)
def test_a_confirmation_that_does_not_match_changes_nothing(
    vault_client, study, participant, data, message
):
    response = vault_client.post(url(study, participant), data)
    assert response.status_code == 422
    assert message in response.text
    assert Identity.objects.filter(participant=participant).exists()
    assert not Withdrawal.objects.exists()


def test_the_protocol_decides_which_modes_are_offered(vault_client, study, participant):
    Study.objects.filter(pk=study.pk).update(withdrawal_policy="erase")
    response = vault_client.post(
        url(study, participant), {"mode": "retain", "confirmation": "P3", "legal_basis": "x"}
    )
    assert response.status_code == 422
    assert 'value="retain"' not in response.text
    assert not Withdrawal.objects.exists()


@pytest.mark.parametrize("persona", ["lead", "coder_a", "viewer", "outsider"])
def test_only_a_custodian_can_withdraw(client_for, personas, study, participant, persona):
    response = client_for(personas[persona]).post(
        url(study, participant), {"mode": "erase", "confirmation": "P3"}
    )
    assert response.status_code == 404
    assert Participant.objects.filter(pk=participant.pk).exists()


def test_a_registered_collector_appears_in_the_preview(vault_client, study, participant):
    from studies import withdrawal

    def memos(participant):
        return [
            ("Memos citing the participant", AttributeValue.objects.filter(participant=participant))
        ]

    withdrawal.register(memos)
    try:
        assert "Memos citing the participant" in vault_client.get(url(study, participant)).text
    finally:
        withdrawal._collectors.remove(memos)
