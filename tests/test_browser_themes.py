"""In Chromium, the theme board: drag a code from the codes in no theme onto a theme with the
mouse, see it there, reload, and it is still there; drag it on to another theme (a move), and back
to the codes in no theme. And the same by keyboard alone: a code chip opens a "Move to…" menu."""

import re

import pytest
from playwright.sync_api import expect

from coding.services import code_create
from studies.models import Membership
from studies.tests.factories import PASSWORD
from themes import board
from themes.models import Theme, ThemeCode

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def member(study, user) -> Membership:
    return Membership.objects.select_related("study", "user").get(study=study, user=user)


def themes_of(label: str) -> set[str]:
    return set(ThemeCode.objects.filter(code__label=label).values_list("theme__name", flat=True))


@pytest.fixture
def themes(study, coder_a):
    a = member(study, coder_a)
    for label in ["listening first", "naming the rupture"]:
        code_create(member=a, label=label)
    repair = board.theme_create(member=a, name="Repair as care")
    frame = board.theme_create(member=a, name="Working the frame")
    return {"repair": repair, "frame": frame}


def chip(page, zone, label: str):
    return zone.locator(".theme-chip", has_text=label)


def test_drag_a_code_onto_a_theme_and_reload(page, study, coder_a, themes):
    log_in(page, "coder_a")
    page.goto(f"/s/{study.slug}/themes/")
    pool = page.locator(".board-pool")
    repair = page.locator(f"#theme-{themes['repair'].uuid}")
    frame = page.locator(f"#theme-{themes['frame'].uuid}")
    expect(chip(page, pool, "listening first")).to_be_visible()
    expect(repair.locator(".theme-chip")).to_have_count(0)

    chip(page, pool, "listening first").drag_to(repair)
    expect(chip(page, repair, "listening first")).to_be_visible()
    expect(chip(page, pool, "listening first")).to_have_count(0)
    expect(page.locator("#messages")).to_contain_text("Put “listening first” in “Repair as care”.")
    assert themes_of("listening first") == {"Repair as care"}

    page.reload()
    repair = page.locator(f"#theme-{themes['repair'].uuid}")
    expect(chip(page, repair, "listening first")).to_be_visible()
    expect(repair.locator(".theme-count")).to_have_text("1 code")

    # On to another theme: a move. Then back to the codes in no theme.
    chip(page, repair, "listening first").drag_to(frame)
    expect(chip(page, frame, "listening first")).to_be_visible()
    expect(chip(page, repair, "listening first")).to_have_count(0)
    assert themes_of("listening first") == {"Working the frame"}
    chip(page, frame, "listening first").drag_to(pool)
    expect(chip(page, pool, "listening first")).to_be_visible()
    assert themes_of("listening first") == set()

    page.reload()
    expect(chip(page, page.locator(".board-pool"), "listening first")).to_be_visible()


def test_drag_by_hand_with_the_mouse_and_copy_with_ctrl(page, study, coder_a, themes):
    """The pointer moved in small steps, as a hand does; Ctrl held on dropping copies the code
    into a second theme instead of moving it."""
    board.code_place(
        member=member(study, coder_a),
        code=study.codes.get(label="naming the rupture"),
        theme=themes["repair"],
    )
    log_in(page, "coder_a")
    page.goto(f"/s/{study.slug}/themes/")
    repair = page.locator(f"#theme-{themes['repair'].uuid}")
    frame = page.locator(f"#theme-{themes['frame'].uuid}")
    source = chip(page, repair, "naming the rupture").bounding_box()
    target = frame.bounding_box()
    page.mouse.move(source["x"] + 10, source["y"] + source["height"] / 2)
    page.mouse.down()
    page.mouse.move(target["x"] + 40, target["y"] + 30, steps=12)
    expect(frame).to_have_class(re.compile(r"\bdrop-over\b"))
    expect(page.locator(".chip-ghost")).to_be_visible()
    page.keyboard.down("Control")
    page.mouse.up()
    page.keyboard.up("Control")
    expect(chip(page, frame, "naming the rupture")).to_be_visible()
    expect(chip(page, repair, "naming the rupture")).to_be_visible()  # copied, not moved
    expect(page.locator(".chip-ghost")).to_have_count(0)
    assert themes_of("naming the rupture") == {"Repair as care", "Working the frame"}


def test_move_a_code_by_keyboard_alone(page, study, coder_a, themes):
    log_in(page, "coder_a")
    page.goto(f"/s/{study.slug}/themes/")
    pool = page.locator(".board-pool")
    frame = page.locator(f"#theme-{themes['frame'].uuid}")

    page.locator("#main").focus()
    for _ in range(20):  # Tab to the first code chip
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('theme-chip')"):
            break
    focused = page.locator(".theme-chip:focus")
    expect(focused).to_have_attribute("data-label", "listening first")

    page.keyboard.press("Enter")
    menu = page.get_by_role("menu")
    expect(menu).to_be_visible()
    expect(page.get_by_role("menuitem", name="Repair as care")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("menuitem", name="Working the frame")).to_be_focused()
    page.keyboard.press("Enter")
    expect(menu).to_have_count(0)
    moved = chip(page, frame, "listening first")
    expect(moved).to_be_visible()
    expect(moved).to_be_focused()  # the focus follows the code to its new place
    assert themes_of("listening first") == {"Working the frame"}

    # From a theme: also into another (it stays), then into the miscellaneous area, then out.
    page.keyboard.press(" ")
    expect(page.get_by_role("group", name="Also put it in (it stays here too)")).to_be_visible()
    page.get_by_role("group", name="Also put it in (it stays here too)").get_by_role(
        "menuitem", name="Repair as care"
    ).focus()
    page.keyboard.press("Enter")
    expect(
        chip(page, page.locator(f"#theme-{themes['repair'].uuid}"), "listening first")
    ).to_be_focused()
    assert themes_of("listening first") == {"Working the frame", "Repair as care"}

    page.keyboard.press("Enter")
    page.get_by_role("group", name="Move “listening first” to").get_by_role(
        "menuitem", name="Miscellaneous"
    ).focus()
    page.keyboard.press("Enter")
    holding = page.locator("#theme-holding")
    expect(chip(page, holding, "listening first")).to_be_focused()
    assert themes_of("listening first") == {"Working the frame", "Miscellaneous"}
    assert Theme.objects.filter(holding=True).count() == 1

    page.keyboard.press("Enter")
    page.keyboard.press("End")
    expect(page.get_by_role("menuitem", name="Take it out of “Miscellaneous”")).to_be_focused()
    page.keyboard.press("Enter")
    expect(chip(page, holding, "listening first")).to_have_count(0)
    expect(page.locator("#messages")).to_contain_text(
        "Took “listening first” out of “Miscellaneous”."
    )
    expect(page.locator("#theme-holding")).to_be_focused()  # it is in no place on view now
    assert themes_of("listening first") == {"Working the frame"}

    # Escape closes the menu and gives the focus back to the code.
    chip(page, frame, "listening first").focus()
    page.keyboard.press("Enter")
    expect(menu).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("menu")).to_have_count(0)
    expect(chip(page, frame, "listening first")).to_be_focused()

    page.reload()
    expect(
        chip(page, page.locator(f"#theme-{themes['frame'].uuid}"), "listening first")
    ).to_be_visible()
    expect(chip(page, pool, "naming the rupture")).to_be_visible()


def test_a_viewer_cannot_drag(page, study, viewer, coder_a, themes):
    board.code_place(
        member=member(study, coder_a),
        code=study.codes.get(label="listening first"),
        theme=themes["repair"],
    )
    log_in(page, "viewer")
    page.goto(f"/s/{study.slug}/themes/")
    repair = page.locator(f"#theme-{themes['repair'].uuid}")
    frame = page.locator(f"#theme-{themes['frame'].uuid}")
    chip(page, repair, "listening first").drag_to(frame)
    page.wait_for_timeout(300)
    expect(chip(page, repair, "listening first")).to_be_visible()
    expect(page.get_by_role("menu")).to_have_count(0)
    assert themes_of("listening first") == {"Repair as care"}


def test_make_a_theme_then_drop_a_code_in_the_miscellaneous_area(page, study, coder_a, themes):
    log_in(page, "coder_a")
    page.goto(f"/s/{study.slug}/themes/")
    name = page.get_by_label("Name of the new theme")
    name.fill("Care of the self")
    name.press("Enter")
    expect(page.get_by_role("link", name="Care of the self")).to_be_visible()
    expect(page.get_by_label("Name of the new theme")).to_be_focused()  # ready for the next
    expect(page.get_by_label("Name of the new theme")).to_have_value("")
    assert Theme.objects.filter(name="Care of the self", status="candidate").exists()

    holding = page.locator("#theme-holding")
    chip(page, page.locator(".board-pool"), "naming the rupture").drag_to(holding)
    expect(chip(page, holding, "naming the rupture")).to_be_visible()
    assert themes_of("naming the rupture") == {"Miscellaneous"}
    page.reload()
    expect(chip(page, page.locator("#theme-holding"), "naming the rupture")).to_be_visible()
