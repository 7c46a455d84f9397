"""In Chromium: a custodian adds a participant with consent; a coder cannot reach the vault."""

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from studies.models import ConsentRecord, Identity, Participant
from studies.tests.factories import PASSWORD, make_source_project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your studies")).to_be_visible()


def test_custodian_adds_a_participant_with_consent_and_a_coder_cannot_reach_the_vault(
    browser, live_server, study, custodian
):
    make_source_project(study, "Difference in the room")
    device = TOTPDevice.objects.create(user=custodian, name="phone", confirmed=True)

    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, "custodian")
    page.goto(f"/s/{study.slug}/participants/")
    page.get_by_role("link", name="Add participant").click()
    expect(page.get_by_label("Pseudonym")).to_have_value("P1")
    page.get_by_label("Real name").fill("Philippa Threadgold")
    page.get_by_label("Contact").fill("p.threadgold@example.org")
    page.get_by_role("button", name="Add participant").click()

    # The vault asks for the second factor first.
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    page.get_by_label("Six-digit code").fill(f"{TOTP(device.bin_key).token():06d}")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="P1 in the vault")).to_be_visible()
    expect(page.get_by_label("Real name")).to_have_value("Philippa Threadgold")

    page.locator("summary", has_text="Record consent").click()
    page.get_by_label("Method").select_option("written")
    page.get_by_label("Date of consent").fill("2025-03-04")
    page.get_by_label("Audio recording").check()
    page.get_by_label("Quotation of their words").check()
    page.get_by_role("button", name="Record consent").click()
    expect(page.locator("#messages")).to_contain_text("Recorded P1's consent.")
    expect(page.get_by_text("Quotation of their words: yes")).to_be_visible()
    expect(page.get_by_text("Archiving: no")).to_be_visible()
    context.close()

    participant = Participant.objects.get(study=study)
    assert Identity.objects.get(participant=participant).real_name == "Philippa Threadgold"
    assert ConsentRecord.objects.get(participant=participant).verbatim_quotation is True

    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    log_in(page, "coder_a")
    page.goto(f"/s/{study.slug}/participants/")
    expect(page.locator(f"#participant-{participant.uuid}")).to_contain_text("P1")
    expect(page.get_by_role("link", name="Vault")).to_have_count(0)
    expect(page.get_by_text("Philippa")).to_have_count(0)
    response = page.goto(f"/s/{study.slug}/vault/{participant.uuid}/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    context.close()
