"""The thematic map: its default layout, moving nodes, typed links, the SVG download, snapshots
and their comparison, who may do what, the blind rule, and the queries each page costs."""

import itertools
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from coding.models import Code
from coding.rounds import round_open
from coding.services import code_create
from coding.tests.factories import make_locked_transcript
from studies.models import AuditEvent, Membership
from studies.tests.factories import MembershipFactory, UserFactory, make_study
from themes import layout, map_svg
from themes.layout import CODE, SUBTHEME, THEME, Branch, Link, Node
from themes.lead_review import comment_add
from themes.map import map_for, map_link_add, map_node_move, map_snapshot_save
from themes.models import MapLink, MapNode, MapSnapshot, Status, Theme, ThemeCode

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"
CANARY = "zq-canary-map-41d0"


def member(study, user) -> Membership:
    return Membership.objects.select_related("study", "user").get(study=study, user=user)


def make_theme(study, name, *, by, parent=None, status=Status.CANDIDATE, codes=(), **fields):
    theme = Theme.objects.create(
        study=study, name=name, parent=parent, status=status, created_by=by, **fields
    )
    for position, code in enumerate(codes):
        ThemeCode.objects.create(theme=theme, code=code, position=position, added_by=by)
    return theme


def code(study, user, label) -> Code:
    return code_create(member=member(study, user), label=label)


@pytest.fixture
def mapped(study, lead, coder_a):
    """Two themes, a subtheme, codes in them (one in two themes), a discarded theme and the
    holding area, each with a code of its own."""
    listen, name, repair, small = (
        code(study, coder_a, label)
        for label in ("listening first", "naming the rupture", "repair together", "small talk")
    )
    frame = make_theme(study, "Holding the frame", by=lead, codes=[listen, small])
    ruptures = make_theme(
        study, "Ruptures as openings", by=lead, status=Status.DEVELOPING, codes=[name]
    )
    mending = make_theme(
        study, "Mending, slowly", by=lead, parent=ruptures, status=Status.FINAL,
        codes=[repair, small],
    )  # fmt: skip
    make_theme(
        study, "Discarded idea", by=lead, status=Status.DISCARDED, discard_reason="too thin",
        codes=[code(study, coder_a, "only in the discarded")],
    )  # fmt: skip
    make_theme(study, "Miscellaneous", by=lead, holding=True, codes=[code(study, lead, "stray")])
    return {"frame": frame, "ruptures": ruptures, "mending": mending, "small": small}


def key(thing) -> str:
    return f"{'code' if isinstance(thing, Code) else 'theme'}:{thing.uuid}"


def url(study, name, *args) -> str:
    return reverse(name, args=[study.slug, *args])


def overlapping(nodes: list[Node]) -> list[tuple[str, str]]:
    found = []
    for a, b in itertools.combinations(nodes, 2):
        (al, at, ar, ab), (bl, bt, br, bb) = a.box(), b.box()
        if al < br and bl < ar and at < bb and bt < ab:
            found.append((a.label, b.label))
    return found


def parse(svg: str | bytes) -> ET.Element:
    """The SVG as XML: it must be well-formed. (Our own output: no need for defusedxml.)"""
    return ET.fromstring(svg.encode() if isinstance(svg, str) else svg)  # noqa: S314


def labels_in_svg(svg: str) -> list[str]:
    """The labels of the nodes (each node's <title>), read as XML."""
    return [
        group.find(f"{SVG}title").text
        for group in parse(svg).iter(f"{SVG}g")
        if "map-node" in group.get("class", "").split()
    ]


# The layout (pure) --------------------------------------------------------------------------


def test_wrap_breaks_between_words_and_cuts_only_words_too_long():
    assert layout.wrap("the client tests the frame early on", 12) == [
        "the client",
        "tests the",
        "frame early",
        "on",
    ]
    assert layout.wrap("a" * 25, 10) == ["a" * 10, "a" * 10, "a" * 5]
    assert layout.wrap("", 10) == [""]


def big_forest(themes: int = 6) -> tuple[list[Branch], list[Node]]:
    nodes, roots = [], []
    for t in range(themes):
        theme = Node(key=f"theme:{t}", kind=THEME, label=f"Theme number {t} about something")
        nodes.append(theme)
        branch = Branch(theme)
        for c in range(t * 3 % 10):
            node = Node(
                key=f"code:{t}-{c}", kind=CODE, label=f"code {c} of theme {t} " * (c % 3 + 1)
            )
            nodes.append(node)
            branch.codes.append(node)
        for s in range(t % 4):
            sub = Node(
                key=f"theme:{t}-{s}", kind=SUBTHEME, label=f"Subtheme {s}", status="candidate"
            )
            nodes.append(sub)
            child = Branch(sub)
            for c in range(s + 2):
                node = Node(key=f"code:{t}-{s}-{c}", kind=CODE, label=f"sub code {c}")
                nodes.append(node)
                child.codes.append(node)
            branch.children.append(child)
        roots.append(branch)
    return roots, nodes


def test_the_default_layout_is_deterministic_and_nothing_overlaps():
    roots, nodes = big_forest()
    first = layout.arrange(roots)
    assert first == layout.arrange(big_forest()[0])
    assert set(first) == {node.key for node in nodes}
    layout.place(nodes, first, {}, layout.anchors(roots))
    assert overlapping(nodes) == []
    # Subthemes sit below their theme, codes below the theme they are in.
    theme, sub = (
        next(n for n in nodes if n.key == "theme:1"),
        next(n for n in nodes if n.key == "theme:1-0"),
    )
    assert sub.y > theme.y and sub.anchor == "theme:1"
    assert next(n for n in nodes if n.key == "code:1-0").anchor == "theme:1"


def test_a_node_nobody_moved_goes_with_its_theme():
    roots, nodes = big_forest(2)
    defaults, hung = layout.arrange(roots), layout.anchors(roots)
    layout.place(nodes, defaults, {"theme:1": (1000.0, 500.0)}, hung)
    theme = next(n for n in nodes if n.key == "theme:1")
    code_node = next(n for n in nodes if n.key == "code:1-0")
    assert (theme.x, theme.y, theme.placed) == (1000.0, 500.0, True)
    dx, dy = (
        defaults["code:1-0"][0] - defaults["theme:1"][0],
        defaults["code:1-0"][1] - defaults["theme:1"][1],
    )
    assert (code_node.x, code_node.y) == (round(1000 + dx, 1), round(500 + dy, 1))
    assert not code_node.placed


def test_a_theme_nobody_placed_keeps_clear_of_a_node_put_where_it_would_be():
    roots, nodes = big_forest(4)
    defaults, hung = layout.arrange(roots), layout.anchors(roots)
    # Theme 0 is put right where theme 2 (with its codes and subthemes) would be.
    layout.place(nodes, defaults, {"theme:0": defaults["theme:2"]}, hung)
    assert overlapping(nodes) == []
    theme, code_node = (next(n for n in nodes if n.key == k) for k in ("theme:2", "code:2-0"))
    assert theme.y > defaults["theme:2"][1]
    offset = (
        defaults["code:2-0"][0] - defaults["theme:2"][0],
        defaults["code:2-0"][1] - defaults["theme:2"][1],
    )
    assert (code_node.x - theme.x, code_node.y - theme.y) == pytest.approx(offset, abs=0.2)


def test_a_link_ends_at_the_border_of_a_node():
    node = Node(key="theme:x", kind=THEME, label="Trust")
    width, height = node.size
    x, y = layout.border_point(node, (1000, 0))
    assert (x, y) == (width / 2 + 3, 0)
    x, y = layout.border_point(node, (0, -1000))
    assert (x, y) == (0, -(height / 2 + 3))


def test_differences_between_two_maps():
    a = Node(key="theme:a", kind=THEME, label="Trust")
    b = Node(key="theme:b", kind=THEME, label="Repair")
    c = Node(key="code:c", kind=CODE, label="naming it")
    old = ([a, b], [Link("theme:a", "theme:b", "relates_to", "both need time")])
    b2 = Node(key="theme:b", kind=THEME, label="Repair work", x=50)
    new = (
        [a, b2, c],
        [
            Link("theme:b", "theme:a", "relates_to", "both need time"),  # the same, reversed
            Link("code:c", "theme:b", "in_theme", implicit=True),
        ],
    )
    diff = layout.differences(old, new)
    assert [n.label for n in diff.nodes_added] == ["naming it"]
    assert diff.nodes_removed == []
    assert [(n.label, old_label) for n, old_label in diff.relabelled] == [("Repair work", "Repair")]
    assert diff.moved == 1
    assert [link.kind for link in diff.links_added] == ["in_theme"]
    assert diff.links_removed == []
    assert not layout.differences(old, old)


def test_the_printed_size_of_the_smallest_label():
    assert layout.PRINT_WIDTH_PX == 2008
    # Labels of 13 units on a map 13 * 170 / (7 * 0.3528) = 895 units wide print at 7 pt.
    assert layout.smallest_printed_pt(895) == 7.0
    assert layout.print_height(1000, 500) == 1004


def test_the_svg_escapes_labels_and_drops_characters_xml_forbids():
    node = Node(key="code:x", kind=CODE, label='<b>"care" & trust</b>\x01')
    svg = map_svg.render([node], [], standalone=True)
    assert svg.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert labels_in_svg(svg) == ['<b>"care" & trust</b>']


# The map from the database ------------------------------------------------------------------


def test_the_map_holds_themes_subthemes_and_their_codes(study, mapped, coder_a):
    themap = map_for(member(study, coder_a))
    kinds = {node.label: node.kind for node in themap.nodes}
    assert kinds == {
        "Holding the frame": THEME,
        "listening first": CODE,
        "small talk": CODE,
        "Ruptures as openings": THEME,
        "naming the rupture": CODE,
        "Mending, slowly": SUBTHEME,
        "repair together": CODE,
    }
    implicit = {(link.source, link.kind, link.target) for link in themap.links}
    mending, ruptures, small = mapped["mending"], mapped["ruptures"], mapped["small"]
    assert (key(mending), "subtheme_of", key(ruptures)) in implicit
    assert (key(small), "in_theme", key(mending)) in implicit  # a code in two themes: two links
    assert (key(small), "in_theme", key(mapped["frame"])) in implicit
    assert overlapping(themap.nodes) == []
    assert [(n.x, n.y) for n in map_for(member(study, coder_a)).nodes] == [
        (n.x, n.y) for n in themap.nodes
    ]


def test_reading_the_map_writes_nothing(client_for, study, mapped, viewer):
    client = client_for(viewer)
    for name in ("themes-map", "themes-map-snapshots"):
        assert client.get(url(study, name)).status_code == 200
    assert not MapNode.objects.exists()


# Moving a node ------------------------------------------------------------------------------


def test_a_coder_moves_a_node_and_it_stays_there(client_for, study, mapped, coder_a):
    client = client_for(coder_a)
    frame = mapped["frame"]
    response = client.post(
        url(study, "themes-map-move"), {"node": key(frame), "x": "412.37", "y": "-80"}
    )
    assert response.status_code == 200
    assert response.json() == {"node": key(frame), "x": 412.4, "y": -80.0}
    stored = MapNode.objects.get(theme=frame)
    assert (stored.x, stored.y) == (412.4, -80.0)
    page = client.get(url(study, "themes-map")).text
    assert f'data-key="{key(frame)}" data-kind="theme"' in page
    assert 'transform="translate(412.4 -80)"' in page
    # Moved again from where the page showed it: fine.
    response = client.post(
        url(study, "themes-map-move"),
        {"node": key(frame), "x": "10", "y": "20", "from_x": "412.4", "from_y": "-80"},
    )
    assert response.status_code == 200
    assert MapNode.objects.get(theme=frame).x == 10


def test_a_move_from_a_stale_page_is_refused(client_for, study, mapped, coder_a, coder_b):
    frame = mapped["frame"]
    map_node_move(member=member(study, coder_b), key=key(frame), x=300, y=300)
    response = client_for(coder_a).post(
        url(study, "themes-map-move"),
        {"node": key(frame), "x": "10", "y": "10", "from_x": "0", "from_y": "0"},
    )
    assert response.status_code == 409
    answer = response.json()
    assert (answer["x"], answer["y"]) == (300, 300)
    assert "moved by someone else" in answer["error"]
    assert MapNode.objects.get(theme=frame).x == 300


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"x": "left", "y": "0"}, "must be a number"),
        ({"x": "inf", "y": "0"}, "within ±100,000"),
        ({"x": "1e9", "y": "0"}, "within ±100,000"),
        ({"y": "0"}, "must be a number"),
        ({"x": "0", "y": "0", "node": "theme:not-a-uuid"}, "not on the map you can see"),
        ({"x": "0", "y": "0", "node": ""}, "not on the map you can see"),
    ],
)
def test_a_bad_move_says_why_and_changes_nothing(client_for, study, mapped, coder_a, data, message):
    data = {"node": key(mapped["frame"]), **data}
    response = client_for(coder_a).post(url(study, "themes-map-move"), data)
    assert response.status_code == 422
    assert message in response.json()["error"]
    assert not MapNode.objects.exists()


def test_nodes_off_the_map_cannot_be_moved(client_for, study, mapped, coder_a):
    discarded = Theme.objects.get(name="Discarded idea")
    holding = Theme.objects.get(holding=True)
    other_study = make_study(creator=UserFactory(), title="Another study")
    foreign = make_theme(other_study, "Foreign", by=other_study.memberships.first().user)
    client = client_for(coder_a)
    for theme in (discarded, holding, foreign):
        response = client.post(url(study, "themes-map-move"), {"node": key(theme), "x": 1, "y": 1})
        assert response.status_code == 422
    assert not MapNode.objects.exists()


def test_who_may_move(client_for, study, mapped, viewer, outsider, lead):
    data = {"node": key(mapped["frame"]), "x": "5", "y": "5"}
    assert client_for(viewer).post(url(study, "themes-map-move"), data).status_code == 403
    assert client_for(viewer).get(url(study, "themes-map")).status_code == 200
    assert client_for(outsider).post(url(study, "themes-map-move"), data).status_code == 404
    assert client_for(outsider).get(url(study, "themes-map")).status_code == 404
    assert not MapNode.objects.exists()
    assert client_for(lead).post(url(study, "themes-map-move"), data).status_code == 200


def test_a_viewer_sees_the_map_but_nothing_to_change_it(client_for, study, mapped, viewer):
    page = client_for(viewer).get(url(study, "themes-map")).text
    assert "Holding the frame" in page
    assert 'tabindex="0"' not in page
    assert "Add a link" not in page and "Save a snapshot" not in page


# Links --------------------------------------------------------------------------------------


def test_a_coder_adds_and_removes_a_link(client_for, study, mapped, coder_a):
    client = client_for(coder_a)
    frame, ruptures = mapped["frame"], mapped["ruptures"]
    response = client.post(
        url(study, "themes-map-link-add"),
        {"source": key(frame), "target": key(ruptures), "kind": "in_tension_with",
         "label": "  safety  against   risk "},
    )  # fmt: skip
    assert response.status_code == 302
    link = MapLink.objects.get()
    assert (link.kind, link.label) == ("in_tension_with", "safety against risk")
    # Its ends now have stored positions, where they were.
    assert MapNode.objects.count() == 2
    event = AuditEvent.objects.filter(action=AuditEvent.Action.THEME_CHANGE).get()
    assert event.details["map_link"] == "added" and event.details["kind"] == "in_tension_with"
    page = client.get(url(study, "themes-map")).text
    assert "safety against risk" in page
    assert 'marker-end="url(#map-end-in_tension_with)"' in page

    response = client.post(
        url(study, "themes-map-link-remove", link.uuid), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert 'id="map-region"' in response.text and "Removed the link." in response.text
    assert not MapLink.objects.exists()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.THEME_CHANGE).count() == 2


def test_bad_links_are_refused_with_the_reason(client_for, study, mapped, coder_a, lead):
    frame, ruptures, mending = mapped["frame"], mapped["ruptures"], mapped["mending"]
    small = mapped["small"]
    map_link_add(
        member=member(study, lead), source=key(frame), target=key(ruptures), kind="relates_to"
    )
    other_study = make_study(creator=UserFactory(), title="Another study")
    foreign = make_theme(other_study, "Foreign", by=other_study.memberships.first().user)
    client = client_for(coder_a)
    cases = [
        ({"source": key(frame), "target": key(frame), "kind": "relates_to"}, "two different nodes"),
        ({"source": key(frame), "target": key(ruptures), "kind": "loves"}, "is not a kind of link"),
        ({"source": key(ruptures), "target": key(frame), "kind": "relates_to"}, "already linked as"),
        ({"source": key(small), "target": key(frame), "kind": "subtheme_of"}, "Only a theme can be"),
        ({"source": key(mending), "target": key(ruptures), "kind": "subtheme_of"}, "already a subtheme of"),
        ({"source": key(foreign), "target": key(frame), "kind": "relates_to"}, "not on the map you can see"),
        ({"source": key(frame), "target": key(ruptures), "kind": "in_tension_with", "label": "x" * 201},
         "at most 200 characters"),
    ]  # fmt: skip
    for data, message in cases:
        response = client.post(url(study, "themes-map-link-add"), data)
        assert response.status_code == 422, data
        assert message in response.content.decode(), (data, message)
    assert MapLink.objects.count() == 1
    htmx = client.post(
        url(study, "themes-map-link-add"),
        {"source": key(frame), "target": key(frame), "kind": "relates_to"},
        headers={"HX-Request": "true"},
    )
    assert htmx.status_code == 422
    assert htmx.text.lstrip().startswith('<div id="map-region"')


def test_who_may_change_links(client_for, study, mapped, viewer, outsider, lead):
    link = map_link_add(
        member=member(study, lead), source=key(mapped["frame"]), target=key(mapped["ruptures"]),
        kind="relates_to",
    )  # fmt: skip
    add = {
        "source": key(mapped["ruptures"]),
        "target": key(mapped["mending"]),
        "kind": "relates_to",
    }
    remove = url(study, "themes-map-link-remove", link.uuid)
    assert client_for(viewer).post(url(study, "themes-map-link-add"), add).status_code == 403
    assert client_for(viewer).post(remove).status_code == 403
    assert client_for(outsider).post(url(study, "themes-map-link-add"), add).status_code == 404
    assert client_for(outsider).post(remove).status_code == 404
    assert (
        client_for(lead).post(url(study, "themes-map-link-remove", Theme().uuid)).status_code == 404
    )
    assert MapLink.objects.count() == 1


# The SVG download ---------------------------------------------------------------------------


def test_the_svg_download_holds_every_node_and_the_legend(client_for, study, mapped, viewer, lead):
    map_link_add(
        member=member(study, lead), source=key(mapped["frame"]), target=key(mapped["ruptures"]),
        kind="relates_to", label="both ask for time",
    )  # fmt: skip
    before = client_for(viewer).get(url(study, "themes-map-svg")).content.decode()
    assert "in tension with" not in before  # the legend names only what the map shows
    map_link_add(
        member=member(study, lead), source=key(mapped["frame"]), target=key(mapped["mending"]),
        kind="in_tension_with",
    )  # fmt: skip
    response = client_for(viewer).get(url(study, "themes-map-svg"))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="{study.slug}-thematic-map-'
    )
    svg = response.content.decode()
    root = parse(response.content)  # well-formed
    assert root.tag == f"{SVG}svg"
    left, top, width, height = (float(v) for v in root.get("viewBox").split())
    assert (float(root.get("width")), float(root.get("height"))) == (width, height)
    assert sorted(labels_in_svg(svg)) == sorted(
        n.label for n in map_for(member(study, viewer)).nodes
    )
    assert "Discarded idea" not in svg and "stray" not in svg
    texts = {"".join(t.itertext()) for t in root.iter(f"{SVG}text")}
    assert {
        "subtheme of",
        "relates to",
        "in tension with",
        "code in theme",
        "both ask for time",
    } <= texts
    assert "<style" not in svg and " style=" not in svg  # presentation attributes only
    event = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).latest("id")
    assert event.details["what"] == "thematic-map" and len(event.details["sha256"]) == 64
    assert event.details["format"] == "svg"

    themes_only = client_for(viewer).get(url(study, "themes-map-svg") + "?codes=off&format=png")
    assert sorted(labels_in_svg(themes_only.content.decode())) == [
        "Holding the frame", "Mending, slowly", "Ruptures as openings",
    ]  # fmt: skip
    assert (
        AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).latest("id").details["format"]
        == "png"
    )


def test_themes_only_are_laid_out_without_gaps_for_codes(client_for, study, mapped, viewer):
    client = client_for(viewer)
    full = parse(client.get(url(study, "themes-map-svg")).content)
    themes = parse(client.get(url(study, "themes-map-svg") + "?codes=off").content)
    assert float(themes.get("height")) < float(full.get("height"))
    themap = map_for(member(study, viewer), codes=False).without_codes()
    assert {node.kind for node in themap.nodes} == {THEME, SUBTHEME}
    assert overlapping(themap.nodes) == []
    legend = {"".join(t.itertext()) for t in themes.iter(f"{SVG}text")}
    assert "Code" not in legend and "code in theme" not in legend
    page = client.get(url(study, "themes-map") + "?codes=off").text
    assert "listening first" not in page.split('class="map-figure"')[1].split("</figure>")[0]


def test_the_page_says_how_big_the_labels_print(client_for, study, mapped, viewer):
    page = client_for(viewer).get(url(study, "themes-map")).text
    assert "the smallest label is" in page and "2008 ×" in page


def test_an_empty_map_still_downloads(client_for, study, viewer):
    response = client_for(viewer).get(url(study, "themes-map-svg"))
    root = parse(response.content)
    assert labels_in_svg(response.content.decode()) == []
    assert float(root.get("width")) > 0


# Snapshots ----------------------------------------------------------------------------------


def test_a_snapshot_is_kept_as_it_was_and_compared(client_for, study, mapped, coder_a, lead):
    client = client_for(coder_a)
    response = client.post(
        url(study, "themes-map-snapshot-save"), {"name": " Phase 4:  reviewing "}
    )
    assert response.status_code == 302
    snapshot = MapSnapshot.objects.get()
    assert snapshot.name == "Phase 4: reviewing"
    assert {n["label"] for n in snapshot.snapshot["nodes"]} >= {"Holding the frame", "small talk"}
    assert AuditEvent.objects.filter(action=AuditEvent.Action.MAP_SNAPSHOT).count() == 1
    with pytest.raises(TypeError):
        snapshot.name = "changed"
        snapshot.save()
    with pytest.raises(TypeError):
        MapSnapshot.objects.update(name="changed")
    with pytest.raises(TypeError):
        snapshot.delete()

    # The map moves on: a theme is added, one renamed, a link added, a node moved.
    make_theme(study, "Being a person in the room", by=lead)
    Theme.objects.filter(pk=mapped["frame"].pk).update(name="Keeping the frame")
    map_link_add(
        member=member(study, lead), source=key(mapped["frame"]), target=key(mapped["ruptures"]),
        kind="relates_to", label="both ask for time",
    )  # fmt: skip
    page = client_for(coder_a).get(url(study, "themes-map-snapshots")).text  # default: it vs now
    assert "Phase 4: reviewing" in page and "The map now" in page
    assert "Added: Theme “Being a person in the room”" in page
    assert "Renamed: “Holding the frame” → “Keeping the frame”" in page
    assert (
        "New link: “Keeping the frame” relates to “Ruptures as openings” — both ask for time"
        in page
    )
    assert page.count("<svg") == 2

    later = map_snapshot_save(member=member(study, lead), name="Phase 5")
    compare = client_for(coder_a).get(
        url(study, "themes-map-snapshots") + f"?a={snapshot.uuid}&b={later.uuid}"
    )
    assert "Added: Theme “Being a person in the room”" in compare.text
    same = client_for(coder_a).get(url(study, "themes-map-snapshots") + f"?a={later.uuid}&b=now")
    assert "Nothing changed between the two." in same.text
    missing = client_for(coder_a).get(url(study, "themes-map-snapshots") + "?a=nonsense")
    assert missing.status_code == 404

    download = client_for(coder_a).get(url(study, "themes-map-snapshot-svg", snapshot.uuid))
    assert download.status_code == 200
    assert "Holding the frame" in labels_in_svg(download.content.decode())


def test_a_snapshot_needs_a_name_and_a_coder(client_for, study, mapped, coder_a, viewer, outsider):
    response = client_for(coder_a).post(url(study, "themes-map-snapshot-save"), {"name": "  "})
    assert response.status_code == 422
    assert "Name the snapshot" in response.text
    assert (
        client_for(viewer).post(url(study, "themes-map-snapshot-save"), {"name": "x"}).status_code
        == 403
    )
    assert (
        client_for(outsider).post(url(study, "themes-map-snapshot-save"), {"name": "x"}).status_code
        == 404
    )
    assert client_for(outsider).get(url(study, "themes-map-snapshots")).status_code == 404
    assert not MapSnapshot.objects.exists()


# The blind rule -----------------------------------------------------------------------------


@pytest.fixture
def blind(study, mapped, lead, coder_a, coder_b):
    """An open round for coders A and B; coder B's canary code sits in a theme, is linked, and is
    in a snapshot the lead saved."""
    transcript = make_locked_transcript(study, "P1")
    round_open(member=member(study, lead), title="Round 1", transcripts=[transcript],
               coders=[coder_a, coder_b])  # fmt: skip
    canary = code(study, coder_b, CANARY)
    ThemeCode.objects.create(theme=mapped["frame"], code=canary, added_by=coder_b)
    map_link_add(member=member(study, lead), source=key(canary), target=key(mapped["ruptures"]),
                 kind="relates_to", label=f"{CANARY} link")  # fmt: skip
    snapshot = map_snapshot_save(member=member(study, lead), name="During the round")
    return {"canary": canary, "snapshot": snapshot}


@pytest.mark.parametrize("persona", ["coder_a", "viewer"])
def test_the_map_never_shows_a_co_coders_codes_during_a_blind_round(
    client_for, study, blind, personas, persona, lead
):
    client = client_for(personas[persona])
    snapshot = blind["snapshot"]
    for address in (
        url(study, "themes-map"),
        url(study, "themes-map") + "?codes=off",
        url(study, "themes-map-svg"),
        url(study, "themes-map-snapshots"),
        url(study, "themes-map-snapshots") + f"?a={snapshot.uuid}&b={snapshot.uuid}",
        url(study, "themes-map-snapshot-svg", snapshot.uuid),
    ):
        response = client.get(address)
        assert response.status_code == 200, address
        assert CANARY not in response.content.decode(), address
    assert "Holding the frame" in client.get(url(study, "themes-map-svg")).content.decode()
    # The canary was there to be found.
    assert CANARY in client_for(lead).get(url(study, "themes-map")).text
    assert CANARY in client_for(lead).get(url(study, "themes-map-snapshots")).text


def test_a_hidden_code_cannot_be_moved_or_linked(client_for, study, blind, mapped, coder_a):
    client = client_for(coder_a)
    canary = blind["canary"]
    moved = client.post(url(study, "themes-map-move"), {"node": key(canary), "x": 1, "y": 1})
    assert moved.status_code == 422
    linked = client.post(
        url(study, "themes-map-link-add"),
        {"source": key(canary), "target": key(mapped["frame"]), "kind": "relates_to"},
    )
    assert linked.status_code == 422 and CANARY not in linked.text
    hidden_link = MapLink.objects.get(label__contains=CANARY)
    removed = client.post(url(study, "themes-map-link-remove", hidden_link.uuid))
    assert removed.status_code == 404
    assert MapLink.objects.filter(pk=hidden_link.pk).exists()


# Queries ------------------------------------------------------------------------------------


def grow(study, lead, coder_a, n: int) -> None:
    """n more themes, each with a subtheme, three codes and a typed link."""
    previous = None
    for i in range(n):
        codes = [code(study, coder_a, f"code {n}.{i}.{j}") for j in range(3)]
        theme = make_theme(study, f"Theme {n}.{i}", by=lead, codes=codes[:2])
        make_theme(study, f"Subtheme {n}.{i}", by=lead, parent=theme, codes=codes[2:])
        if previous:
            map_link_add(member=member(study, lead), source=key(theme), target=key(previous),
                         kind="relates_to", label=f"link {i}")  # fmt: skip
        map_node_move(member=member(study, lead), key=key(theme), x=i * 10, y=0)
        previous = theme
    map_snapshot_save(member=member(study, lead), name=f"After {n}")
    comment_add(member=member(study, lead), text=f"Comment on the map after {n}")


@pytest.mark.parametrize("name", ["themes-map", "themes-map-svg", "themes-map-snapshots"])
def test_queries_do_not_grow_with_the_map(
    client_for, study, lead, coder_a, django_assert_num_queries, name
):
    expected = {"themes-map": 11, "themes-map-svg": 8, "themes-map-snapshots": 11}[name]
    for n in (1, 6):
        grow(study, lead, coder_a, n)
        client = client_for(coder_a)
        client.get(url(study, name))  # the session, warm
        with django_assert_num_queries(expected):
            assert client.get(url(study, name)).status_code == 200


def test_a_second_study_member_cannot_see_this_studys_map(client_for, study, mapped):
    other = make_study(creator=UserFactory(), title="Another study")
    stranger = UserFactory(username="stranger")
    MembershipFactory(study=other, user=stranger, role="lead")
    client = client_for(stranger)
    assert client.get(url(study, "themes-map")).status_code == 404
    assert client.get(url(study, "themes-map-svg")).status_code == 404
    assert "Holding the frame" not in client.get(reverse("themes-map", args=[other.slug])).text
