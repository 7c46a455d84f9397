"""A new user's first minutes, in Chromium: log in, create a study, add a colleague."""

import pytest
from playwright.sync_api import expect

from studies.models import AuditEvent, Membership, Role
from studies.tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_log_in_create_a_study_add_a_member_and_see_it_listed(page):
    UserFactory(username="rowan")
    UserFactory(username="sam")

    page.goto("/")
    expect(page).to_have_url("/accounts/login/?next=/")
    page.get_by_label("Username").fill("rowan")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your studies")).to_be_visible()
    expect(page.get_by_text("You are not a member of any study yet.")).to_be_visible()

    page.get_by_role("link", name="New study").first.click()
    page.get_by_label("Title").fill("Supervision and the alliance")
    page.get_by_label("Research question").fill(
        "How do supervisors talk about their supervisees' alliances?"
    )
    page.get_by_label("Analysis mode").select_option("codebook")
    page.get_by_role("button", name="Create study").click()
    expect(page.get_by_role("heading", name="Supervision and the alliance")).to_be_visible()
    expect(page.get_by_text("You are its custodian and lead.")).to_be_visible()

    page.get_by_role("navigation", name="Study").get_by_role("link", name="Members").click()
    page.get_by_label("User name").fill("sam")
    page.get_by_label("Role", exact=True).select_option("coder")
    page.get_by_role("button", name="Add member").click()
    # The table updates in place (htmx), with the confirmation in the messages area.
    expect(page.locator("#member-sam")).to_contain_text("sam")
    expect(page.locator("#messages")).to_contain_text("sam added as coder.")
    expect(page.get_by_label("Role of sam")).to_have_value("coder")

    # A name with no account: the error appears in the form, in place, and nobody is added.
    page.get_by_label("User name").fill("nobody")
    page.get_by_role("button", name="Add member").click()
    expect(page.locator("#members")).to_contain_text(
        "There is no active account with the user name 'nobody'."
    )
    expect(page.get_by_label("User name")).to_have_value("nobody")

    page.reload()
    expect(page.locator("#member-sam")).to_be_visible()
    assert (
        Membership.objects.get(
            user__username="sam", study__slug="supervision-and-the-alliance"
        ).role
        == Role.CODER
    )

    page.goto("/")
    expect(page.get_by_role("link", name="Supervision and the alliance")).to_be_visible()
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.MEMBER_ADD, details__user="sam"
    ).exists()


def test_a_wrong_password_says_so_and_a_member_sees_the_study(page, study, coder_a):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("coder_a")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("correct username and password")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name=study.title).click()
    expect(page.get_by_role("heading", name=study.title)).to_be_visible()
    # A coder has no members, audit or settings pages.
    expect(
        page.get_by_role("navigation", name="Study").get_by_role("link", name="Members")
    ).to_have_count(0)
