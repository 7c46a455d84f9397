"""In Chromium: a lead walks the difference list of a transcript with the keyboard, records three
outcomes, merges two codes from the reconciliation view, and finds all three in the decision log."""

import pytest
from playwright.sync_api import expect

from coding.models import CodeEvent, Decision
from coding.reconcile import services
from coding.services import code_create
from coding.tests.factories import make_locked_transcript
from coding.tests.test_reconcile import align, code, member
from tests.test_browser_coding import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_walk_three_differences_decide_and_merge(page, study, lead, coder_a, coder_b):
    transcript = make_locked_transcript(study)
    listening = code(study, transcript, coder_a, "I listen first", "listening")
    attending = code(study, transcript, coder_b, "I listen first", "attending")
    align(study, lead, listening.code, attending.code)
    shared = code_create(member=member(study, lead), label="small talk")
    code(study, transcript, coder_a, "the café small talk", shared)
    code(study, transcript, coder_b, "café small talk matters", shared)
    code(study, transcript, coder_a, "Then I name it", "naming the rupture")
    owning = code(study, transcript, coder_b, "Then I name it", "owning the rupture").code
    code(study, transcript, coder_b, "we repair it together", "repair")
    reconciliation = services.reconciliation_start(
        member=member(study, lead), title="Round 1", coder_a=coder_a, coder_b=coder_b,
        transcripts=[transcript],
    )  # fmt: skip

    log_in(page, "lead")
    page.goto(f"/s/{study.slug}/coding/reconcile/{reconciliation.uuid}/")
    page.get_by_role("link", name="Interview with P1").click()
    current = page.locator(".diff-item.current")
    expect(current).to_contain_text("Agreement")  # the first undecided item

    def decide(kind: str, outcome: str, rationale: str) -> None:
        page.locator(".reading-text").click()  # the keys belong to the page, not a field
        for _ in range(4):
            if kind in (current.text_content() or ""):
                break
            page.keyboard.press("j")
        expect(current).to_contain_text(kind)
        current.get_by_label(outcome).check()
        current.get_by_label("Rationale").fill(rationale)
        current.get_by_role("button", name="Record the decision").click()
        expect(page.locator("#messages")).to_contain_text("Recorded")

    decide("Boundary", "Kept both", "The longer passage carries the point too.")
    expect(current).to_contain_text("Boundary")  # back on the item just decided
    expect(current).to_contain_text("Kept both")
    decide("Different codes", "Agreed change", "One idea under two names.")
    current.get_by_role(
        "button", name="Merge “owning the rupture” into “naming the rupture”"
    ).click()
    expect(page.locator("#messages")).to_contain_text("Merged “owning the rupture”")
    decide("Only B", "Deferred", "Repair comes up again in P2: decide there.")

    page.goto(f"/s/{study.slug}/coding/reconcile/decisions/")
    log = page.locator("main")
    for text in ("Kept both", "Agreed change", "Deferred", "One idea under two names."):
        expect(log).to_contain_text(text)
    assert Decision.objects.count() == 3
    merged = CodeEvent.objects.get(code=owning, kind=CodeEvent.Kind.MERGED)
    assert merged.decision.outcome == "agreed"
