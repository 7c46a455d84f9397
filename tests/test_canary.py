"""A canary real name, entered through the product as a custodian would, must be found nowhere
but in the vault's pages: not in any raw database column (the vault's are encrypted), not in the
log, not in the audit trail, not on any page or download a lead, coder or viewer can open."""

import logging
import re

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse

from studies.models import InclusionCriterion, Interview, Participant
from studies.tests.factories import make_source_project
from tests.test_access_matrix import STUDY_ROUTES
from tests.test_blind_leak import everything_in  # the body, streamed or zipped

pytestmark = pytest.mark.django_db

CANARY = "Persephone Wigglesworth"
CANARY_PARTS = ("Persephone", "Wigglesworth")


@pytest.fixture
def canary_study(study, vault_client, caplog):
    """The canary entered through the custodian's pages: participant, consent, screening."""
    caplog.set_level(logging.DEBUG)
    project = make_source_project(study, "Project A")
    criterion = InclusionCriterion.objects.create(study=study, position=1, text="Qualified")
    vault_client.post(
        reverse("study-participant-new", args=[study.slug]),
        {
            "pseudonym": "P1",
            "source_project": str(project.uuid),
            "real_name": CANARY,
            "contact": "persephone@wigglesworth.example",
            "original_id": "WIG-1",
        },
    )
    participant = Participant.objects.get(study=study)
    url = reverse("vault-participant", args=[study.slug, participant.uuid])
    vault_client.post(
        url,
        {
            "section": "identity",
            "real_name": CANARY,
            "contact": "",
            "original_id": "",
            "notes": f"{CANARY} asked to be called Percy",
        },
    )
    vault_client.post(url, {"section": "consent", "method": "verbal", "consented_on": "2025-01-01"})
    vault_client.post(
        url, {"section": "screening", f"met_{criterion.pk}": "yes", f"note_{criterion.pk}": CANARY}
    )
    Interview.objects.create(participant=participant, held_on="2025-01-02", audio_copies="laptop")
    assert CANARY in vault_client.get(url).text  # the custodian does see it, in the vault
    return study, participant


def test_no_raw_database_column_holds_the_canary(canary_study):
    found = []
    with connection.cursor() as cursor:
        for model in apps.get_models():
            table = model._meta.db_table
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                text = " ".join(str(value) for value in row)
                found += [table for part in CANARY_PARTS if part in text]
    assert found == []


def test_the_log_never_holds_the_canary(canary_study, caplog, client_for, lead):
    study, participant = canary_study
    client_for(lead).get(
        reverse("vault-participant", args=[study.slug, participant.uuid])
    )  # logs a 404
    records = caplog.get_records("setup") + caplog.get_records("call")
    assert any("Not Found" in record.getMessage() for record in records)
    text = "\n".join(record.getMessage() for record in records)
    assert not any(part in text for part in CANARY_PARTS)


def concrete_urls(study, participant):
    interview = Interview.objects.get(participant=participant)
    values = {
        "study": study.slug,
        "participant": str(participant.uuid),
        "interview": str(interview.uuid),
        "fmt": "csv",
        "format": "csv",
    }
    for route, _pattern in STUDY_ROUTES:
        yield "/" + re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: values.get(m.group(2), "x"), route)


@pytest.mark.parametrize("persona", ["lead", "coder_a", "viewer"])
def test_no_page_or_download_of_a_lead_coder_or_viewer_shows_it(
    canary_study, client_for, personas, persona
):
    study, participant = canary_study
    client = client_for(personas[persona])
    opened = 0
    for url in concrete_urls(study, participant):
        response = client.get(url)
        opened += response.status_code == 200
        content = everything_in(response)  # lower-cased
        assert not any(part.lower().encode() in content for part in CANARY_PARTS), url
    assert opened >= 5


def test_error_pages_do_not_show_it(canary_study, vault_client, settings):
    study, participant = canary_study
    settings.VAULT_KEYS = ["dGhpcy1pcy1ub3QtdGhlLWtleS10aGF0LW9wZW5zISE="]
    response = vault_client.get(reverse("vault-participant", args=[study.slug, participant.uuid]))
    assert response.status_code == 503
    assert not any(part in response.text for part in CANARY_PARTS)
