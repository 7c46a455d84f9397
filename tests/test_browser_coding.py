"""In Chromium: select words after an emoji, apply a new code, see the highlight; reload, it is
still there with the right text; remove it."""

import pytest
from playwright.sync_api import expect

from coding.models import Coding
from coding.tests.factories import make_locked_transcript
from studies.tests.factories import PASSWORD
from tests.test_browser_review import select_words

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_code_a_selection_reload_and_remove(page, study, coder_a):
    transcript = make_locked_transcript(study)
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("coder_a")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"/s/{study.slug}/transcripts/")
    page.get_by_role("link", name="Interview with P1").click()
    page.wait_for_load_state()

    page.get_by_label("New code").fill("nothing selected")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#messages")).to_contain_text("Select some text first.")

    select_words(page, "café small talk", within=".reading-text")
    expect(page.locator("[data-selection-text]")).to_have_text("“café small talk”")
    page.get_by_label("New code").fill("small talk matters")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("mark.coded")).to_have_text("café small talk")
    expect(page.locator(".coding-list")).to_contain_text("small talk matters")

    page.reload()
    expect(page.locator("mark.coded")).to_have_text("café small talk")
    coding = Coding.objects.get()
    assert transcript.versions.get().text[coding.start : coding.end] == "café small talk"

    page.locator("mark.coded").click()
    expect(page.locator(".coding-list li.picked")).to_contain_text("small talk matters")
    page.locator(".coding-list li.picked").get_by_role("button", name="Remove").click()
    expect(page.locator("mark.coded")).to_have_count(0)
    assert not Coding.objects.exists()
