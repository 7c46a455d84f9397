"""In Chromium: drag a node of the thematic map with the mouse, reload, and it is where it was
left; move another with the keyboard; download the map as SVG (every node's label in it) and as
PNG (print resolution: 2008 pixels wide, its height in proportion)."""

import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from playwright.sync_api import expect

from coding.services import code_create
from studies.models import Membership
from tests.test_browser_coding import log_in
from themes.layout import PRINT_WIDTH_PX
from themes.map import map_node_move
from themes.models import MapNode, Status, Theme, ThemeCode

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SVG = "{http://www.w3.org/2000/svg}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def build_map(study, lead, coder_a) -> dict:
    member = Membership.objects.get(study=study, user=coder_a)
    codes = [
        code_create(member=member, label=label)
        for label in ("listening before acting", "naming the rupture", "repair takes time")
    ]
    frame = Theme.objects.create(study=study, name="Holding the frame", created_by=lead)
    ruptures = Theme.objects.create(
        study=study, name="Ruptures as openings", created_by=lead, status=Status.DEVELOPING
    )
    mending = Theme.objects.create(
        study=study, name="Mending, slowly", parent=ruptures, created_by=lead
    )
    for theme, code in ((frame, codes[0]), (ruptures, codes[1]), (mending, codes[2])):
        ThemeCode.objects.create(theme=theme, code=code, added_by=lead)
    labels = [t.name for t in (frame, ruptures, mending)] + [c.label for c in codes]
    return {"frame": frame, "ruptures": ruptures, "labels": labels}


def node(page, theme):
    return page.locator(f'.map-node[data-key="theme:{theme.uuid}"]')


def where(locator) -> tuple[float, float]:
    return float(locator.get_attribute("data-x")), float(locator.get_attribute("data-y"))


def test_drag_a_node_reload_and_export(page, study, lead, coder_a, tmp_path):
    made = build_map(study, lead, coder_a)
    log_in(page, "coder_a")
    page.goto(f"/s/{study.slug}/themes/map/")
    frame = node(page, made["frame"])
    expect(frame).to_be_visible()
    before = where(frame)

    # Drag the theme 120 pixels right and 90 down (the map is drawn one unit to a pixel).
    box = frame.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 60, y + 45, steps=4)
    page.mouse.move(x + 120, y + 90, steps=4)
    page.mouse.up()
    expect(page.locator("[data-map-status]")).to_have_text("Moved “Holding the frame”.")
    after = where(frame)
    assert after == pytest.approx((before[0] + 120, before[1] + 90), abs=1)
    stored = MapNode.objects.get(theme=made["frame"])
    assert (stored.x, stored.y) == pytest.approx(after, abs=0.05)
    # Its code, which nobody has placed, went with it.
    code_key = f"code:{made['frame'].theme_codes.get().code.uuid}"
    code_node = page.locator(f'.map-node[data-key="{code_key}"]')
    code_before_reload = where(code_node)

    # And another theme with the keyboard: three steps right, saved when focus leaves it.
    ruptures = node(page, made["ruptures"])
    start = where(ruptures)
    ruptures.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Tab")
    expect(page.locator("[data-map-status]")).to_have_text("Moved “Ruptures as openings”.")

    page.reload()
    assert where(node(page, made["frame"])) == pytest.approx(after, abs=0.05)
    transform = node(page, made["frame"]).get_attribute("transform")
    assert transform == f"translate({after[0]:g} {after[1]:g})"
    assert where(code_node) == pytest.approx(code_before_reload, abs=0.05)
    assert where(node(page, made["ruptures"])) == pytest.approx((start[0] + 30, start[1]), abs=0.05)

    # The SVG download: every node's label in it, well-formed.
    with page.expect_download() as svg_download:
        page.get_by_role("link", name="Download SVG").click()
    svg_path = Path(tmp_path) / "map.svg"
    svg_download.value.save_as(svg_path)
    assert svg_download.value.suggested_filename.endswith(".svg")
    svg_text = svg_path.read_text(encoding="utf-8")
    for label in made["labels"]:
        assert label in svg_text, label
    root = ET.fromstring(svg_path.read_bytes())  # noqa: S314 — our own output
    _left, _top, width, height = (float(v) for v in root.get("viewBox").split())

    # The PNG download: 300 dpi for a figure 17 cm wide, its height in proportion.
    with page.expect_download() as png_download:
        page.get_by_role("button", name="Download PNG").click()
    assert png_download.value.suggested_filename.endswith(".png")
    png = Path(png_download.value.path()).read_bytes()
    assert png[:8] == PNG_SIGNATURE
    assert png[12:16] == b"IHDR"
    png_width, png_height = struct.unpack(">II", png[16:24])
    assert png_width == PRINT_WIDTH_PX == 2008
    assert png_height == round(PRINT_WIDTH_PX * height / width)
    # Its resolution is written in: 300 dpi is 11,811 pixels a metre.
    assert png[37:41] == b"pHYs"
    assert struct.unpack(">IIB", png[41:50]) == (11811, 11811, 1)
    expect(page.locator("[data-map-status]")).to_contain_text("Downloaded the map as a PNG")


def test_a_node_someone_moved_meanwhile_is_shown_where_they_put_it(page, study, lead, coder_a):
    made = build_map(study, lead, coder_a)
    log_in(page, "coder_a")
    page.goto(f"/s/{study.slug}/themes/map/")
    frame = node(page, made["frame"])
    expect(frame).to_be_visible()
    # The lead moves the theme while coder A's page still shows it where it was.
    map_node_move(
        member=Membership.objects.get(study=study, user=lead),
        key=f"theme:{made['frame'].uuid}",
        x=900,
        y=40,
    )
    frame.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    expect(page.locator("[data-map-status]")).to_contain_text("moved by someone else")
    assert where(frame) == (900, 40)
    assert (MapNode.objects.get(theme=made["frame"]).x, MapNode.objects.get().y) == (900, 40)
