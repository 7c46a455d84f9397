"""Encryption at rest: keys from VAULT_KEYS, rotation, and a wrong key that never passes for data."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from studies.crypto import VaultKeyError
from studies.models import AuditEvent, Identity
from studies.tests.factories import make_participant

pytestmark = pytest.mark.django_db

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def raw_token(participant) -> str:
    sql = f"SELECT real_name FROM {Identity._meta.db_table} WHERE participant_id = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [participant.pk])
        return cursor.fetchone()[0]


def test_rotation_round_trips_and_the_old_key_can_then_go(settings, study):
    settings.VAULT_KEYS = [OLD]
    participant = make_participant(study, "P1", real_name="Ada Lovelace", notes="")
    settings.VAULT_KEYS = [NEW, OLD]
    assert Identity.objects.get().real_name == "Ada Lovelace"  # old data reads under the new list
    call_command("rotate_vault_keys")
    assert Fernet(NEW.encode()).decrypt(raw_token(participant).encode()) == b'"Ada Lovelace"'
    settings.VAULT_KEYS = [NEW]
    assert Identity.objects.get().real_name == "Ada Lovelace"
    assert (
        AuditEvent.objects.get(action=AuditEvent.Action.VAULT_ROTATE).details["rows"][
            "studies.Identity"
        ]
        == 1
    )


def test_rotation_with_a_missing_key_changes_nothing(settings, study):
    settings.VAULT_KEYS = [OLD]
    participant = make_participant(study, "P1", real_name="Ada Lovelace")
    before = raw_token(participant)
    settings.VAULT_KEYS = [NEW]
    with pytest.raises(CommandError, match="nothing was changed"):
        call_command("rotate_vault_keys")
    assert raw_token(participant) == before


def test_a_wrong_key_raises_instead_of_showing_ciphertext(settings, study):
    settings.VAULT_KEYS = [OLD]
    make_participant(study, "P1", real_name="Ada Lovelace")
    settings.VAULT_KEYS = [NEW]
    with pytest.raises(VaultKeyError, match="a key is wrong or missing"):
        Identity.objects.get()


def test_with_a_wrong_key_the_vault_says_so_and_the_rest_works(settings, study, vault_client):
    settings.VAULT_KEYS = [OLD]
    make_participant(study, "P1", real_name="Ada Lovelace")
    settings.VAULT_KEYS = [NEW]
    response = vault_client.get(reverse("vault-roster", args=[study.slug]))
    assert response.status_code == 503
    assert "The identity vault cannot be opened" in response.text
    assert "gAAAA" not in response.text  # no Fernet token shown
    participants = vault_client.get(reverse("study-participants", args=[study.slug]))
    assert participants.status_code == 200 and "P1" in participants.text


def test_the_same_value_encrypts_differently_each_time(study):
    first = make_participant(study, "P1", real_name="Same Name")
    second = make_participant(study, "P2", real_name="Same Name")
    assert raw_token(first) != raw_token(second)
