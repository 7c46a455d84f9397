"""In Chromium: review candidates (replace, edit, keep), mark a missed word by selecting it in
text with an emoji before it, make the anonymised version, sign off and lock."""

import pytest
from playwright.sync_api import expect

from studies.tests.factories import PASSWORD, make_participant
from transcripts import review
from transcripts.models import ListedIdentifier, Transcript, TranscriptState

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = "\n".join(
    [
        "Interviewer: Thanks for coming, Wilhelmina 🙂. How did it start?",
        "P1: 🙂 My supervisor was Dr Albrecht Quist, and we met at the Red Lion most weeks.",
        "Interviewer: Could people reach you?",
        "P1: Yes, at wilhelmina@example.org.",
    ]
)


def entity(page, text: str):
    """The side list's entry for one identifier."""
    return page.locator(".entity").filter(has=page.get_by_text(text, exact=True))


def select_words(page, words: str, within: str = ".transcript-text") -> None:
    """Select `words` in the transcript as a person would with the mouse."""
    page.evaluate(
        """([words, within]) => {
            const walker = document.createTreeWalker(document.querySelector(within), NodeFilter.SHOW_TEXT);
            while (walker.nextNode()) {
                const at = walker.currentNode.textContent.indexOf(words);
                if (at >= 0) {
                    const range = document.createRange();
                    range.setStart(walker.currentNode, at);
                    range.setEnd(walker.currentNode, at + words.length);
                    const selection = window.getSelection();
                    selection.removeAllRanges();
                    selection.addRange(range);
                    return;
                }
            }
            throw new Error('not found: ' + words);
        }""",
        [words, within],
    )


def test_review_sign_off_and_lock(page, study, lead, tasks_in_process):
    from studies.models import Membership
    from transcripts import services

    make_participant(study, "P1", real_name="Wilhelmina Thistlethwaite")
    ListedIdentifier.objects.create(
        study=study,
        kind="deny",
        text="Albrecht Quist",
        digest=review.digest("Albrecht Quist"),
        category="person",
        replacement="[supervisor]",
        added_by=lead,
    )
    member = Membership.objects.get(study=study, user=lead)
    (job,) = services.jobs_create(
        member=member,
        uploads=[services.Upload("p1.txt", TEXT.encode())],
        user=lead,
        queue_jobs=False,
    )
    services.job_process(job.pk)
    transcript = Transcript.objects.get()

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("lead")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"/s/{study.slug}/transcripts/{transcript.uuid}/anonymise/")
    page.wait_for_load_state()
    expect(page.locator("#review-progress")).to_contain_text("0 of 3 reviewed")

    # Replace the participant's name as suggested.
    entity(page, "Wilhelmina").get_by_role("button", name="Replace").click()
    expect(page.locator("#review-progress")).to_contain_text("1 of 3 reviewed")
    # Edit the e-mail's replacement, then replace.
    email = entity(page, "wilhelmina@example.org")
    email.get_by_label("Replacement for wilhelmina@example.org").fill("[e-mail address]")
    email.get_by_role("button", name="Replace").click()
    expect(page.locator("#review-progress")).to_contain_text("2 of 3 reviewed")
    # Keep the supervisor's name (a reviewer's call, for the test's sake).
    entity(page, "Albrecht Quist").get_by_role("button", name="Keep").click()
    expect(page.locator("#review-progress")).to_contain_text("3 of 3 reviewed")

    # Mark a place detection missed, after an emoji: offsets must count code points.
    select_words(page, "Red Lion")
    expect(page.locator("[data-selection-text]")).to_have_text("“Red Lion”")
    page.get_by_label("Category").select_option("place")
    page.get_by_label("Replacement").last.fill("[meeting place]")
    page.get_by_role("button", name="Mark for replacement").click()
    expect(page.locator("#messages")).to_contain_text(
        "Marked for replacement with [meeting place]."
    )

    page.get_by_role("button", name="Make the anonymised version").click()
    expect(page.locator(".transcript-text")).to_contain_text("Thanks for coming, [participant] 🙂.")
    expect(page.locator(".transcript-text")).to_contain_text(
        "we met at the [meeting place] most weeks"
    )
    expect(page.locator(".transcript-text")).to_contain_text("at [e-mail address].")
    expect(page.locator(".transcript-text")).to_contain_text("Dr Albrecht Quist")  # kept

    page.get_by_label("I have read the whole anonymised transcript").check()
    page.get_by_role("button", name="Sign off").click()
    page.get_by_role("button", name="Lock for coding").click()
    expect(page.get_by_role("heading", name="Locked")).to_be_visible()

    transcript.refresh_from_db()
    assert transcript.state == TranscriptState.LOCKED and transcript.is_codable
    page.goto(f"/s/{study.slug}/transcripts/")
    expect(page.locator(f"#transcript-{transcript.uuid}")).to_contain_text("Locked")
