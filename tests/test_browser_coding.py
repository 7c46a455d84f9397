"""In Chromium: select words after an emoji with the mouse, a popover offers the code search,
a new code is applied and highlighted; reload, it is still there with the right text; the
highlight shows its coding, which is removed. And the same by keyboard alone."""

import pytest
from playwright.sync_api import expect

from coding.models import Coding
from coding.services import code_create
from coding.tests.factories import make_locked_transcript
from studies.models import Membership
from studies.tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def drag_select(page, words: str, within: str = ".reading-text") -> None:
    """Select `words` by dragging the mouse from their first letter to their last."""
    box = page.evaluate(
        """([words, within]) => {
            const walker = document.createTreeWalker(document.querySelector(within), NodeFilter.SHOW_TEXT);
            while (walker.nextNode()) {
                const at = walker.currentNode.textContent.indexOf(words);
                if (at < 0) continue;
                const range = document.createRange();
                range.setStart(walker.currentNode, at);
                range.setEnd(walker.currentNode, at + words.length);
                const rects = range.getClientRects();
                const first = rects[0], last = rects[rects.length - 1];
                return {x1: first.left + 0.5, y1: first.top + first.height / 2,
                        x2: last.right - 0.5, y2: last.top + last.height / 2};
            }
            throw new Error('not found: ' + words);
        }""",
        [words, within],
    )
    page.mouse.move(box["x1"], box["y1"])
    page.mouse.down()
    page.mouse.move(box["x2"], box["y2"], steps=5)
    page.mouse.up()


def log_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_code_a_selection_reload_and_remove(page, study, coder_a):
    transcript = make_locked_transcript(study)
    log_in(page, "coder_a")
    page.goto(f"/s/{study.slug}/transcripts/")
    page.get_by_role("link", name="Interview with P1").click()
    page.wait_for_load_state()
    popover = page.locator("form.apply-form")
    expect(popover).to_be_hidden()

    drag_select(page, "café small talk")
    expect(popover).to_be_visible()
    expect(page.locator("[data-selection-text]")).to_have_text("“café small talk”")
    search = page.get_by_label("Find or create a code")
    expect(search).to_be_focused()
    search.fill("small talk matters")
    expect(page.locator("[data-new-hint]")).to_contain_text("creates the code “small talk matters”")
    search.press("Enter")
    expect(page.locator("mark.coded")).to_have_text("café small talk")
    expect(popover).to_be_hidden()
    expect(page.locator("#codes-here")).to_contain_text("small talk matters")
    expect(page.locator("#coding-count")).to_have_text("1")

    page.reload()
    expect(page.locator("mark.coded")).to_have_text("café small talk")
    coding = Coding.objects.get()
    assert transcript.versions.get().text[coding.start : coding.end] == "café small talk"

    page.locator("mark.coded").click()
    details = page.locator("#coding-details")
    expect(details).to_contain_text("small talk matters")
    expect(details).to_contain_text("by coder_a")
    details.get_by_role("button", name="Remove").click()
    expect(page.locator("mark.coded")).to_have_count(0)
    expect(details).to_contain_text("Click a highlight")
    assert not Coding.objects.exists()


def test_code_by_keyboard_with_an_existing_code_and_open_the_journal(page, study, coder_a):
    transcript = make_locked_transcript(study)
    me = Membership.objects.get(study=study, user=coder_a)
    code_create(member=me, label="pacing")
    code_create(member=me, label="listening")
    log_in(page, "coder_a")
    page.goto(f"/s/{study.slug}/coding/{transcript.uuid}/")

    page.locator("#turn-1").focus()
    page.keyboard.press("ArrowDown")
    expect(page.locator("#turn-2")).to_be_focused()
    for _ in range(2):  # "Slowly" then " 🙂"
        page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("c")
    search = page.get_by_label("Find or create a code")
    expect(search).to_be_focused()
    search.press_sequentially("pac")
    expect(page.get_by_label("listening")).to_be_hidden()
    search.fill("Pacing")
    search.press("Enter")
    expect(page.locator("mark.coded")).to_have_count(1)
    expect(page.locator("#turn-2")).to_be_focused()
    coding = Coding.objects.get()
    text = transcript.versions.get().text[coding.start : coding.end]
    assert coding.code.label == "pacing" and text.startswith("Slowly 🙂")

    page.keyboard.press("ArrowRight")
    expect(page.locator("mark.coded")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#coding-details")).to_contain_text("pacing")

    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("j")
    page.wait_for_url("**/journal/new/**")
    assert f"transcript={transcript.uuid}" in page.url
