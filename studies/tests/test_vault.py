"""The identity vault: custodians only, after the second factor, every read audited, nothing
identifying in plain text anywhere."""

import pytest
from django.db import connection
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from studies.models import AuditEvent, ConsentRecord, Identity, InclusionCriterion, ScreeningRecord
from studies.tests.factories import make_participant

pytestmark = pytest.mark.django_db

CANARY_NAME = "Zebedee Quillfeather"
CANARY_CONTACT = "zebedee@quill.example"
CANARY_NOTE = "prefers the Tuesday slot after the school run"


@pytest.fixture
def participant(study):
    return make_participant(
        study,
        "P1",
        real_name=CANARY_NAME,
        contact=CANARY_CONTACT,
        original_id="ORIG-77",
        notes=CANARY_NOTE,
    )


def vault_urls(study, participant):
    return [
        reverse("vault-roster", args=[study.slug]),
        reverse("vault-participant", args=[study.slug, participant.uuid]),
        reverse("vault-withdraw", args=[study.slug, participant.uuid]),
    ]


def test_vault_urls_are_the_vault_pattern_names(study, participant):
    from tests.test_access_matrix import ROUTES

    names = {
        pattern.name for _route, pattern in ROUTES if (pattern.name or "").startswith("vault-")
    }
    assert names == {"vault-roster", "vault-participant", "vault-withdraw"}


@pytest.mark.parametrize("persona", ["lead", "coder_a", "viewer", "outsider"])
def test_everyone_but_a_custodian_gets_404(client_for, personas, study, participant, persona):
    client = client_for(personas[persona])
    for url in vault_urls(study, participant):
        assert client.get(url).status_code == 404
        assert client.post(url, {"section": "identity", "real_name": "x"}).status_code == 404
    assert Identity.objects.get().real_name == CANARY_NAME


def test_a_custodian_reads_each_page_and_each_read_is_audited(vault_client, study, participant):
    for url in vault_urls(study, participant):
        before = AuditEvent.objects.filter(action=AuditEvent.Action.VAULT_READ).count()
        response = vault_client.get(url)
        assert response.status_code == 200
        assert AuditEvent.objects.filter(action=AuditEvent.Action.VAULT_READ).count() == before + 1
    assert CANARY_NAME in vault_client.get(vault_urls(study, participant)[0]).text


def test_listing_many_participants_is_one_event(vault_client, study, django_assert_max_num_queries):
    for n in range(2, 16):
        make_participant(study, f"P{n}", real_name=f"Person {n}")
    vault_client.get(reverse("study-list"))
    with django_assert_max_num_queries(10):
        response = vault_client.get(reverse("vault-roster", args=[study.slug]))
    assert "Person 15" in response.text
    event = AuditEvent.objects.filter(action=AuditEvent.Action.VAULT_READ).get()
    assert len(event.details["participants"]) == 14
    assert "Person" not in str(event.details)


def test_a_custodian_without_the_second_factor_is_sent_to_it(
    client_for, custodian, study, participant
):
    client = client_for(custodian)
    url = reverse("vault-participant", args=[study.slug, participant.uuid])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("second-factor"))
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.VAULT_READ).exists()


class TestSecondFactor:
    url = reverse("second-factor")

    def test_set_up_an_authenticator_then_the_vault_opens(
        self, client_for, custodian, study, participant
    ):
        client = client_for(custodian)
        page = client.get(self.url)
        assert "Set up a second factor" in page.text and "data:image/svg+xml" in page.text
        key = client.session["otp_setup_key"]
        code = TOTP(bytes.fromhex(key)).token()
        next_url = reverse("vault-roster", args=[study.slug])
        response = client.post(self.url, {"code": f"{code:06d}", "next": next_url})
        assert response["Location"] == next_url
        assert TOTPDevice.objects.filter(user=custodian, confirmed=True).count() == 1
        assert client.get(next_url).status_code == 200
        assert AuditEvent.objects.filter(
            action=AuditEvent.Action.OTP_SETUP, actor=custodian
        ).exists()

    def test_a_wrong_code_is_refused_and_audited(self, client_for, custodian, study):
        TOTPDevice.objects.create(user=custodian, name="phone", confirmed=True)
        client = client_for(custodian)
        response = client.post(self.url, {"code": "000000"})
        assert response.status_code == 422
        assert "That code is not right." in response.text
        assert AuditEvent.objects.filter(action=AuditEvent.Action.OTP_FAILED).exists()
        assert client.get(reverse("vault-roster", args=[study.slug])).status_code == 302

    def test_an_existing_device_verifies_and_next_must_be_local(self, client_for, custodian):
        device = TOTPDevice.objects.create(user=custodian, name="phone", confirmed=True)
        client = client_for(custodian)
        code = TOTP(device.bin_key).token()
        response = client.post(self.url, {"code": f"{code:06d}", "next": "https://evil.example/"})
        assert response["Location"] == reverse("study-list")


class TestVaultWrites:
    def url(self, study, participant):
        return reverse("vault-participant", args=[study.slug, participant.uuid])

    def test_edit_identity(self, vault_client, study, participant):
        response = vault_client.post(
            self.url(study, participant),
            {
                "section": "identity",
                "real_name": "Zeb Quill",
                "contact": "",
                "original_id": "X",
                "notes": "",
            },
        )
        assert response.status_code == 302
        assert Identity.objects.get().real_name == "Zeb Quill"
        event = AuditEvent.objects.get(action=AuditEvent.Action.VAULT_WRITE)
        assert event.details == {"participant": "P1", "what": "identity"}

    def test_record_consent(self, vault_client, study, participant, custodian):
        data = {
            "section": "consent",
            "method": "written",
            "consented_on": "2025-02-03",
            "information_sheet_version": "2.0",
            "consent_form_version": "1.1",
            "recording": "on",
            "verbatim_quotation": "on",
        }
        assert vault_client.post(self.url(study, participant), data).status_code == 302
        consent = ConsentRecord.objects.get()
        assert (
            consent.method,
            str(consent.consented_on),
            consent.recording,
            consent.archiving,
        ) == (
            "written",
            "2025-02-03",
            True,
            False,
        )
        assert consent.recorded_by == custodian
        assert (
            "Quotation of their words: yes" in vault_client.get(self.url(study, participant)).text
        )

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"consented_on": "2999-01-01"}, "The date of consent cannot be in the future."),
            ({"consented_on": ""}, "This field is required."),
            ({"method": "telepathy"}, "Select a valid choice."),
        ],
    )
    def test_bad_consent_changes_nothing(self, vault_client, study, participant, change, message):
        data = {"section": "consent", "method": "verbal", "consented_on": "2025-02-03", **change}
        response = vault_client.post(self.url(study, participant), data)
        assert response.status_code == 422
        assert message in response.text
        assert not ConsentRecord.objects.exists()

    def test_screening_against_each_criterion(self, vault_client, study, participant, custodian):
        first = InclusionCriterion.objects.create(study=study, position=1, text="Qualified")
        second = InclusionCriterion.objects.create(
            study=study, position=2, text="Two years in practice"
        )
        data = {
            "section": "screening",
            f"met_{first.pk}": "yes",
            f"met_{second.pk}": "no",
            f"note_{second.pk}": "18 months",
        }
        assert vault_client.post(self.url(study, participant), data).status_code == 302
        records = {record.criterion_id: record for record in ScreeningRecord.objects.all()}
        assert (records[first.pk].met, records[second.pk].met, records[second.pk].note) == (
            True,
            False,
            "18 months",
        )
        assert records[first.pk].assessed_by == custodian
        missing = vault_client.post(
            self.url(study, participant), {"section": "screening", f"met_{first.pk}": "yes"}
        )
        assert missing.status_code == 422
        assert ScreeningRecord.objects.get(criterion=second).met is False


def test_raw_vault_tables_hold_no_plain_text(vault_client, study, participant):
    vault_client.post(
        reverse("vault-participant", args=[study.slug, participant.uuid]),
        {"section": "consent", "method": "verbal", "consented_on": "2025-02-03"},
    )
    tables = [Identity._meta.db_table, ConsentRecord._meta.db_table, ScreeningRecord._meta.db_table]
    with connection.cursor() as cursor:
        dump = []
        for table in tables:
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
            dump += [str(value) for row in cursor.fetchall() for value in row]
    text = " ".join(dump)
    for canary in (
        CANARY_NAME,
        "Quillfeather",
        CANARY_CONTACT,
        CANARY_NOTE,
        "ORIG-77",
        "verbal",
        "2025-02-03",
    ):
        assert canary not in text


def test_lead_and_coder_pages_never_show_the_real_name(client_for, study, participant, personas):
    from tests.test_access_matrix import STUDY_ROUTES, url_for
    from tests.test_blind_leak import everything_in  # the body, streamed or zipped

    for persona in ("lead", "coder_a", "viewer"):
        client = client_for(personas[persona])
        for route, _pattern in STUDY_ROUTES:
            url = url_for(route, study.slug).replace(
                "00000000-0000-0000-0000-000000000001", str(participant.uuid)
            )
            assert CANARY_NAME.lower().encode() not in everything_in(client.get(url))
