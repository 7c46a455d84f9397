"""Versions of the theme set: the comparison of two snapshots (each kind of change, and as
properties), the pages (list, save by hand, one version, two compared) with their roles and query
counts, the blind rule in versions, and that a version can never be changed or removed."""

import copy
import uuid

import pytest
from django.urls import URLPattern, get_resolver, reverse
from hypothesis import given
from hypothesis import strategies as st

from coding.models import Code
from coding.rounds import round_open, round_unblind
from coding.services import code_create
from coding.tests.factories import make_locked_transcript
from studies.models import AuditEvent, Membership
from studies.tests.factories import UserFactory, make_study
from themes.compare import (
    CodeInTheme,
    CodeMoved,
    CodeRef,
    CodeRelabelled,
    Comparison,
    DefinitionChanged,
    Moved,
    Renamed,
    StatusChanged,
    TextChange,
    ThemeRef,
    compare,
    keyed_changes,
)
from themes.models import MapSnapshot, Theme, ThemeCode, ThemeSetVersion
from themes.services import snapshot, version_save
from themes.versions import as_seen_by, outline

HTMX = {"HX-Request": "true"}
CANARY = "zq-canary-theme-4c1d"


# Building snapshots by hand -----------------------------------------------------------------


def theme(name: str, *codes: tuple[str, str], uid: str | None = None, **fields) -> dict:
    return {
        "uuid": uid or f"t-{name}",
        "name": name,
        "status": fields.pop("status", "candidate"),
        "parent": fields.pop("parent", None),
        "holding": fields.pop("holding", False),
        "central_concept": fields.pop("central_concept", ""),
        "definition": fields.pop("definition", ""),
        "boundaries": fields.pop("boundaries", ""),
        "discard_reason": fields.pop("discard_reason", ""),
        "codes": [{"uuid": u, "label": label} for u, label in codes],
    }


def themes(*items: dict) -> dict:
    return {"themes": list(items)}


LISTEN = ("c-listen", "listening first")
NAME = ("c-name", "naming a rupture")
REPAIR = ("c-repair", "repairing together")


class TestCompareEachKind:
    def test_nothing_changed(self):
        data = themes(theme("Trust", LISTEN), theme("Rupture", NAME, parent="t-Trust"))
        comparison = compare(data, copy.deepcopy(data))
        assert not comparison and len(comparison) == 0 and comparison.sections() == []

    def test_themes_added_and_removed(self):
        old = themes(theme("Trust"), theme("Gone"))
        new = themes(theme("Trust"), theme("New one"), theme("Second new"))
        comparison = compare(old, new)
        assert comparison.added == (
            ThemeRef("t-New one", "New one"),
            ThemeRef("t-Second new", "Second new"),
        )
        assert comparison.removed == (ThemeRef("t-Gone", "Gone"),)
        assert [kind for kind, _title, _items in comparison.sections()] == ["added", "removed"]

    def test_a_renamed_theme_keeps_its_uuid_and_is_not_added_and_removed(self):
        comparison = compare(
            themes(theme("Trust", uid="t1")), themes(theme("Earned trust", uid="t1"))
        )
        assert comparison.renamed == (
            Renamed(ThemeRef("t1", "Earned trust"), "Trust", "Earned trust"),
        )
        assert not comparison.added and not comparison.removed

    def test_status_changed(self):
        comparison = compare(
            themes(theme("Trust", status="candidate"), theme("Doubt", status="developing")),
            themes(
                theme("Trust", status="reviewed"),
                theme("Doubt", status="discarded", discard_reason="Folded into Trust."),
            ),
        )
        assert comparison.status_changed == (
            StatusChanged(ThemeRef("t-Trust", "Trust"), "candidate", "reviewed"),
            StatusChanged(ThemeRef("t-Doubt", "Doubt"), "developing", "discarded"),
        )
        # The reason given for discarding is part of what changed.
        assert comparison.definition_changed == (
            DefinitionChanged(
                ThemeRef("t-Doubt", "Doubt"),
                (TextChange("discard_reason", "reason for discarding", "", "Folded into Trust."),),
            ),
        )

    def test_definition_changed_lists_each_field(self):
        old = themes(
            theme("Trust", central_concept="Safety", definition="Scope", boundaries="Not X")
        )
        new = themes(
            theme("Trust", central_concept="Safety first", definition="Scope", boundaries="")
        )
        (change,) = compare(old, new).definition_changed
        assert change.theme == ThemeRef("t-Trust", "Trust")
        assert change.changes == (
            TextChange("central_concept", "central organising concept", "Safety", "Safety first"),
            TextChange("boundaries", "boundaries", "Not X", ""),
        )

    def test_moved_under_another_parent(self):
        old = themes(
            theme("Trust"), theme("Doubt"), theme("Rupture", parent="t-Trust"), theme("Care")
        )
        new = themes(
            theme("Trust"),
            theme("Doubt"),
            theme("Rupture", parent="t-Doubt"),
            theme("Care", parent="t-Trust"),
        )
        comparison = compare(old, new)
        assert comparison.moved == (
            Moved(
                ThemeRef("t-Rupture", "Rupture"),
                ThemeRef("t-Trust", "Trust"),
                ThemeRef("t-Doubt", "Doubt"),
            ),
            Moved(ThemeRef("t-Care", "Care"), None, ThemeRef("t-Trust", "Trust")),
        )
        back = compare(new, old).moved
        assert back[1] == Moved(ThemeRef("t-Care", "Care"), ThemeRef("t-Trust", "Trust"), None)

    def test_codes_added_to_and_removed_from_a_theme(self):
        old = themes(theme("Trust", LISTEN, NAME))
        new = themes(theme("Trust", LISTEN, REPAIR))
        comparison = compare(old, new)
        trust = ThemeRef("t-Trust", "Trust")
        assert comparison.codes_added == (CodeInTheme(CodeRef(*REPAIR), trust),)
        assert comparison.codes_removed == (CodeInTheme(CodeRef(*NAME), trust),)
        assert not comparison.codes_moved

    def test_a_code_that_left_one_theme_for_another_is_a_move(self):
        old = themes(theme("Trust", LISTEN, NAME), theme("Rupture"))
        new = themes(theme("Trust", LISTEN), theme("Rupture", NAME))
        comparison = compare(old, new)
        assert comparison.codes_moved == (
            CodeMoved(
                CodeRef(*NAME), ThemeRef("t-Trust", "Trust"), ThemeRef("t-Rupture", "Rupture")
            ),
        )
        assert not comparison.codes_added and not comparison.codes_removed

    def test_out_of_the_holding_area_and_out_of_a_removed_theme_are_moves(self):
        misc = theme("Miscellaneous", LISTEN, holding=True)
        old = themes(misc, theme("Old", NAME))
        new = themes(theme("Miscellaneous", holding=True), theme("New", LISTEN, NAME))
        moved = compare(old, new).codes_moved
        assert moved == (
            CodeMoved(
                CodeRef(*LISTEN),
                ThemeRef("t-Miscellaneous", "Miscellaneous", True),
                ThemeRef("t-New", "New"),
            ),
            CodeMoved(CodeRef(*NAME), ThemeRef("t-Old", "Old"), ThemeRef("t-New", "New")),
        )

    def test_a_code_in_several_themes_pairs_its_moves_in_order(self):
        # NAME leaves A and B and enters C only: one move (A → C), one removal (B).
        old = themes(theme("A", NAME), theme("B", NAME), theme("C"))
        new = themes(theme("A"), theme("B"), theme("C", NAME))
        comparison = compare(old, new)
        assert comparison.codes_moved == (
            CodeMoved(CodeRef(*NAME), ThemeRef("t-A", "A"), ThemeRef("t-C", "C")),
        )
        assert comparison.codes_removed == (CodeInTheme(CodeRef(*NAME), ThemeRef("t-B", "B")),)
        # Entering a second theme while staying in the first is an addition, not a move.
        also = compare(
            themes(theme("A", NAME), theme("B")), themes(theme("A", NAME), theme("B", NAME))
        )
        assert also.codes_added == (CodeInTheme(CodeRef(*NAME), ThemeRef("t-B", "B")),)
        assert not also.codes_moved

    def test_a_relabelled_code(self):
        comparison = compare(
            themes(theme("Trust", LISTEN)), themes(theme("Trust", ("c-listen", "listening")))
        )
        assert comparison.codes_relabelled == (
            CodeRelabelled(CodeRef("c-listen", "listening"), "listening first", "listening"),
        )
        assert not comparison.codes_added and not comparison.codes_removed

    def test_every_kind_has_a_heading(self):
        kinds = [kind for kind, _title in Comparison.KINDS]
        assert kinds == [
            "added", "removed", "renamed", "status_changed", "definition_changed", "moved",
            "codes_added", "codes_removed", "codes_moved", "codes_relabelled",
        ]  # fmt: skip

    def test_keyed_changes_is_generic(self):
        old = [{"id": 1, "x": 0, "label": "a"}, {"id": 2, "x": 5, "label": "b"}]
        new = [{"id": 2, "x": 7, "label": "b"}, {"id": 3, "x": 1, "label": "c"}]
        changes = keyed_changes(old, new, key="id", fields=["x", "label"])
        assert changes.added == ("3",) and changes.removed == ("1",)
        assert [(c.key, c.field, c.old, c.new) for c in changes.changed] == [("2", "x", 5, 7)]

    def test_missing_fields_and_an_empty_snapshot_are_read_calmly(self):
        assert compare({}, {}) == Comparison()
        comparison = compare({}, {"themes": [{"uuid": "t1", "name": "Trust"}]})
        assert comparison.added == (ThemeRef("t1", "Trust"),)


# Properties ------------------------------------------------------------------------------------

THEME_IDS = [f"t{n}" for n in range(6)]
CODE_IDS = [f"c{n}" for n in range(8)]


@st.composite
def snapshots(draw) -> dict:
    ids = draw(st.lists(st.sampled_from(THEME_IDS), unique=True, max_size=6))
    items = []
    for n, uid in enumerate(ids):
        parent = draw(st.sampled_from([None, *ids[:n]]))
        codes = draw(st.lists(st.sampled_from(CODE_IDS), unique=True, max_size=5))
        items.append(
            {
                "uuid": uid,
                "name": draw(st.sampled_from(["Trust", "Doubt", "Care", uid])),
                "status": draw(st.sampled_from(["candidate", "developing", "final"])),
                "parent": parent,
                "holding": False,
                "central_concept": draw(st.sampled_from(["", "safety"])),
                "definition": draw(st.sampled_from(["", "scope"])),
                "boundaries": "",
                "discard_reason": "",
                # A code's label is the same in every theme of one snapshot, as in the database.
                "codes": [{"uuid": c, "label": draw(st.sampled_from([c, c + "!"]))} for c in codes],
            }
        )
    for item in items:
        for code in item["codes"]:
            code["label"] = next(
                c["label"] for other in items for c in other["codes"] if c["uuid"] == code["uuid"]
            )
    return {"themes": items}


@given(snapshots())
def test_a_snapshot_compared_with_itself_shows_nothing(data):
    assert not compare(data, copy.deepcopy(data))


def pairs(data: dict) -> set[tuple[str, str]]:
    return {(t["uuid"], c["uuid"]) for t in data["themes"] for c in t["codes"]}


@given(snapshots(), snapshots())
def test_the_comparison_lists_every_difference_once(old, new):
    comparison = compare(old, new)
    before = {t["uuid"]: t for t in old["themes"]}
    after = {t["uuid"]: t for t in new["themes"]}
    assert {t.uuid for t in comparison.added} == after.keys() - before.keys()
    assert {t.uuid for t in comparison.removed} == before.keys() - after.keys()
    both = after.keys() & before.keys()
    assert {r.theme.uuid for r in comparison.renamed} == {
        u for u in both if before[u]["name"] != after[u]["name"]
    }
    assert {s.theme.uuid for s in comparison.status_changed} == {
        u for u in both if before[u]["status"] != after[u]["status"]
    }
    assert {m.theme.uuid for m in comparison.moved} == {
        u for u in both if before[u]["parent"] != after[u]["parent"]
    }
    assert {(d.theme.uuid, c.field) for d in comparison.definition_changed for c in d.changes} == {
        (u, f)
        for u in both
        for f in ("central_concept", "definition", "boundaries")
        if before[u][f] != after[u][f]
    }
    # Every (theme, code) pair that went or came is accounted for exactly once.
    went = sorted(
        [(c.theme.uuid, c.code.uuid) for c in comparison.codes_removed]
        + [(m.source.uuid, m.code.uuid) for m in comparison.codes_moved]
    )
    came = sorted(
        [(c.theme.uuid, c.code.uuid) for c in comparison.codes_added]
        + [(m.target.uuid, m.code.uuid) for m in comparison.codes_moved]
    )
    assert went == sorted(pairs(old) - pairs(new))
    assert came == sorted(pairs(new) - pairs(old))


@given(snapshots(), snapshots())
def test_the_comparison_backwards_is_the_mirror(old, new):
    forth, back = compare(old, new), compare(new, old)
    assert {t.uuid for t in forth.added} == {t.uuid for t in back.removed}
    assert {(r.old, r.new) for r in forth.renamed} == {(r.new, r.old) for r in back.renamed}
    assert {(m.code.uuid, m.source.uuid, m.target.uuid) for m in forth.codes_moved} == {
        (m.code.uuid, m.target.uuid, m.source.uuid) for m in back.codes_moved
    }
    assert compare(old, new) == forth  # the same two snapshots, the same comparison


# The database side ---------------------------------------------------------------------------


def member(study, user) -> Membership:
    return Membership.objects.select_related("study", "user").get(study=study, user=user)


def make_theme(study, name: str, *codes: Code, by, **fields) -> Theme:
    made = Theme.objects.create(study=study, name=name, created_by=by, **fields)
    for position, code in enumerate(codes):
        ThemeCode.objects.create(theme=made, code=code, added_by=by, position=position)
    return made


def versions_url(study, name: str = "themes-versions", *args) -> str:
    return reverse(name, args=[study.slug, *args])


def compare_url(study, a, b) -> str:
    return f"{versions_url(study, 'themes-version-compare')}?a={a}&b={b}"


@pytest.fixture
def built(study, lead, coder_a):
    """Version 1 with two themes, then changes of every kind, then version 2."""
    lead_m = member(study, lead)
    listen = code_create(member=lead_m, label="listening first")
    name = code_create(member=lead_m, label="naming a rupture")
    repair = code_create(member=lead_m, label="repairing together")
    trust = make_theme(study, "Trust", listen, name, by=lead, definition="Feeling safe.")
    doubt = make_theme(study, "Doubt", by=lead)
    gone = make_theme(study, "Short-lived", by=lead)
    first = version_save(member=lead_m, reason="before review")
    ThemeCode.objects.filter(theme=trust, code=name).delete()
    ThemeCode.objects.create(theme=doubt, code=name, added_by=lead)  # moved Trust → Doubt
    ThemeCode.objects.create(theme=trust, code=repair, added_by=lead)  # added
    ThemeCode.objects.filter(theme=trust, code=listen).delete()  # removed
    Theme.objects.filter(pk=trust.pk).update(
        name="Earned trust", definition="Feeling safe, in time."
    )
    Theme.objects.filter(pk=doubt.pk).update(status="developing", parent=trust)
    gone.delete()
    make_theme(study, "Care", by=lead)
    second = version_save(member=member(study, coder_a), reason="after review")
    return {"first": first, "second": second, "codes": (listen, name, repair)}


class TestVersionsPage:
    def test_a_viewer_reads_the_list_without_a_save_form(self, client_for, study, viewer, built):
        response = client_for(viewer).get(versions_url(study))
        assert response.status_code == 200
        assert "before review" in response.text and "after review" in response.text
        assert versions_url(study, "themes-version-save") not in response.text
        assert versions_url(study, "themes-version", built["first"].uuid) in response.text

    def test_a_coder_sees_the_save_form(self, client_for, study, coder_a):
        response = client_for(coder_a).get(versions_url(study))
        assert versions_url(study, "themes-version-save") in response.text
        assert "No version saved yet." in response.text

    def test_an_outsider_gets_404(self, client_for, study, outsider, built):
        client = client_for(outsider)
        assert client.get(versions_url(study)).status_code == 404
        assert (
            client.get(versions_url(study, "themes-version", built["first"].uuid)).status_code
            == 404
        )
        assert client.get(compare_url(study, 1, 2)).status_code == 404

    def test_a_coder_saves_a_version_by_hand(self, client_for, study, coder_a, lead):
        make_theme(study, "Trust", by=lead)
        response = client_for(coder_a).post(
            versions_url(study, "themes-version-save"), {"reason": "  before   supervision "}
        )
        assert response.status_code == 302 and response["Location"] == versions_url(study)
        version = ThemeSetVersion.objects.get(study=study)
        assert (version.number, version.reason, version.created_by) == (
            1,
            "before supervision",
            coder_a,
        )
        assert [t["name"] for t in version.snapshot["themes"]] == ["Trust"]
        event = AuditEvent.objects.get(action=AuditEvent.Action.THEME_VERSION)
        assert event.actor == coder_a and event.details == {
            "number": 1,
            "reason": "before supervision",
        }
        page = client_for(coder_a).get(versions_url(study))
        assert "Saved version 1" in page.text

    def test_saving_with_htmx_returns_the_list(self, client_for, study, coder_a):
        response = client_for(coder_a).post(
            versions_url(study, "themes-version-save"), {"reason": "first"}, headers=HTMX
        )
        assert response.status_code == 200
        assert response.text.lstrip().startswith('<div id="theme-versions">')
        assert "theme-versions-changed" in response["HX-Trigger"]
        assert "Version 1" in response.text and "<html" not in response.text

    @pytest.mark.parametrize("reason", ["", "   ", "x" * 301])
    def test_a_bad_reason_is_refused_and_nothing_saved(self, client_for, study, coder_a, reason):
        for headers in ({}, HTMX):
            response = client_for(coder_a).post(
                versions_url(study, "themes-version-save"), {"reason": reason}, headers=headers
            )
            assert response.status_code == 422
            assert 'class="error"' in response.text
        assert not ThemeSetVersion.objects.exists()

    def test_a_viewer_may_not_save(self, client_for, study, viewer):
        response = client_for(viewer).post(
            versions_url(study, "themes-version-save"), {"reason": "x"}
        )
        assert response.status_code == 403
        assert not ThemeSetVersion.objects.exists()

    @pytest.mark.parametrize("size", [1, 10])
    def test_the_list_query_count_is_constant(
        self, client_for, study, lead, size, django_assert_num_queries
    ):
        for n in range(size):
            version_save(member=member(study, lead), reason=f"version {n}")
        client = client_for(lead)
        client.get(reverse("study-list"))
        with django_assert_num_queries(5):
            response = client.get(versions_url(study))
        assert response.text.count('<tr id="version-') == size


class TestOneVersion:
    def test_it_shows_the_theme_set_as_it_was(self, client_for, study, viewer, built):
        response = client_for(viewer).get(
            versions_url(study, "themes-version", built["first"].uuid)
        )
        assert response.status_code == 200
        text = response.text
        assert "before review" in text and "Trust" in text and "Short-lived" in text
        assert "Earned trust" not in text  # the later name
        assert "listening first" in text and "naming a rupture" in text
        assert "Feeling safe." in text

    def test_a_version_of_another_study_is_not_found(self, client_for, study, lead, custodian):
        other = make_study(creator=custodian, title="Another study")
        version = version_save(member=member(other, custodian), reason="elsewhere")
        response = client_for(lead).get(versions_url(study, "themes-version", version.uuid))
        assert response.status_code == 404
        assert (
            client_for(lead).get(versions_url(study, "themes-version", uuid.uuid4())).status_code
            == 404
        )

    def test_the_outline_puts_subthemes_under_their_parent_and_the_holding_area_last(self):
        data = themes(
            theme("Misc", holding=True),
            theme("Child", parent="t-Parent"),
            theme("Parent"),
            theme("Orphan", parent="t-missing"),
        )
        assert [(t.name, t.depth, t.parent) for t in outline(data)] == [
            ("Parent", 0, ""), ("Child", 1, "Parent"), ("Orphan", 0, ""), ("Misc", 0, ""),
        ]  # fmt: skip

    @pytest.mark.parametrize("size", [1, 10])
    def test_the_query_count_is_constant(
        self, client_for, study, lead, size, django_assert_num_queries
    ):
        lead_m = member(study, lead)
        for n in range(size):
            code = code_create(member=lead_m, label=f"code {n}")
            parent = make_theme(study, f"Theme {n}", code, by=lead)
            make_theme(study, f"Sub {n}", code, by=lead, parent=parent)
        version = version_save(member=lead_m, reason="many")
        client = client_for(lead)
        client.get(reverse("study-list"))
        with django_assert_num_queries(7):
            response = client.get(versions_url(study, "themes-version", version.uuid))
        assert response.text.count('class="card version-theme') == 2 * size


class TestCompare:
    def test_every_kind_of_change_is_on_the_page(self, client_for, study, viewer, built):
        response = client_for(viewer).get(compare_url(study, 1, 2))
        assert response.status_code == 200
        text = response.text
        for kind in [
            "added", "removed", "renamed", "status_changed", "definition_changed", "moved",
            "codes_added", "codes_removed", "codes_moved",
        ]:  # fmt: skip
            assert f'id="changes-{kind}"' in text, kind
        moved = text.split('id="changes-codes_moved"')[1].split("</section>")[0]
        assert "naming a rupture" in moved and "“Trust”" in moved and "“Doubt”" in moved
        added = text.split('id="changes-added"')[1].split("</section>")[0]
        assert "Care" in added
        removed = text.split('id="changes-removed"')[1].split("</section>")[0]
        assert "Short-lived" in removed
        assert "<del>“Trust”</del> → <ins>“Earned trust”</ins>" in text

    def test_the_same_version_twice_shows_no_differences(self, client_for, study, viewer, built):
        response = client_for(viewer).get(compare_url(study, 2, 2))
        assert response.status_code == 200 and 'id="no-changes"' in response.text

    def test_a_version_compared_with_the_set_now(self, client_for, study, lead, built):
        Theme.objects.filter(name="Care").update(name="Caring")
        response = client_for(lead).get(compare_url(study, 2, "current"))
        renamed = response.text.split('id="changes-renamed"')[1].split("</section>")[0]
        assert "“Care”" in renamed and "“Caring”" in renamed

    def test_with_nothing_chosen_the_two_newest_are_compared(
        self, client_for, study, viewer, built
    ):
        response = client_for(viewer).get(versions_url(study, "themes-version-compare"))
        assert response.status_code == 200
        assert "Version 1 → version 2" in response.text

    def test_with_no_versions_the_page_says_so(self, client_for, study, viewer):
        response = client_for(viewer).get(versions_url(study, "themes-version-compare"))
        assert response.status_code == 200 and "No version saved yet" in response.text

    @pytest.mark.parametrize(
        ("a", "b", "message"),
        [("1", "9", "no version “9”"), ("x", "2", "no version “x”"), ("", "2", "no version “”")],
    )
    def test_a_bad_choice_is_named(self, client_for, study, viewer, built, a, b, message):
        response = client_for(viewer).get(compare_url(study, a, b))
        assert response.status_code == 422
        assert message in response.text and "changes-" not in response.text

    @pytest.mark.parametrize("size", [1, 10])
    def test_the_query_count_is_constant(
        self, client_for, study, lead, size, django_assert_num_queries
    ):
        lead_m = member(study, lead)
        codes = [code_create(member=lead_m, label=f"code {n}") for n in range(size)]
        made = [make_theme(study, f"Theme {n}", codes[n], by=lead) for n in range(size)]
        version_save(member=lead_m, reason="one")
        for n, each in enumerate(made):
            each.name = f"Renamed {n}"
            each.save()
            make_theme(study, f"New {n}", by=lead)
        version_save(member=lead_m, reason="two")
        client = client_for(lead)
        client.get(reverse("study-list"))
        with django_assert_num_queries(7):
            response = client.get(compare_url(study, 1, 2))
        assert response.text.count("<del>“Theme") == size
        with django_assert_num_queries(9):  # the set now is read too (themes and their codes)
            client.get(compare_url(study, 1, "current"))


# The blind rule --------------------------------------------------------------------------------


@pytest.fixture
def blind(study, lead, coder_a, coder_b):
    """Coder B's canary code in a theme, saved in a version; then a round opens for A and B."""
    transcript = make_locked_transcript(study, "P1")
    canary = code_create(member=member(study, coder_b), label=CANARY)
    own = code_create(member=member(study, coder_a), label="coder a's own code")
    trust = make_theme(study, "Trust", canary, own, by=lead)
    version_save(member=member(study, lead), reason="with the canary")
    ThemeCode.objects.filter(theme=trust, code=canary).delete()
    make_theme(study, "Doubt", canary, by=lead)
    Code.objects.filter(pk=canary.pk).update(label=CANARY + "-renamed")
    version_save(member=member(study, lead), reason="canary moved")
    coding_round = round_open(
        member=member(study, lead),
        title="Round 1",
        transcripts=[transcript],
        coders=[coder_a, coder_b],
    )
    return {"round": coding_round}


def version_pages(study) -> list[str]:
    urls = [versions_url(study), versions_url(study, "themes-version-compare")]
    for version in ThemeSetVersion.objects.filter(study=study):
        urls.append(versions_url(study, "themes-version", version.uuid))
    for a in ("1", "2", "current"):
        for b in ("1", "2", "current"):
            urls.append(compare_url(study, a, b))
    return urls


@pytest.mark.parametrize("persona", ["coder_a", "viewer"])
def test_no_version_page_shows_a_code_hidden_by_an_open_round(
    client_for, study, blind, personas, persona
):
    client = client_for(personas[persona])
    for url in version_pages(study):
        response = client.get(url)
        assert response.status_code == 200, url
        assert CANARY not in response.text, url
    # What coder A may see is still there.
    if persona == "coder_a":
        first = ThemeSetVersion.objects.get(study=study, number=1)
        page = client.get(versions_url(study, "themes-version", first.uuid))
        assert "coder a&#x27;s own code" in page.text
        # The hidden code's move is left out altogether, not shown without its label.
        assert 'id="changes-codes_moved"' not in client.get(compare_url(study, 1, 2)).text


def test_after_unblinding_the_code_appears_in_the_versions(client_for, study, blind, lead, coder_a):
    lead_page = client_for(lead).get(compare_url(study, 1, 2))
    assert CANARY in lead_page.text  # the lead codes in no round
    round_unblind(member=member(study, lead), coding_round=blind["round"])
    page = client_for(coder_a).get(compare_url(study, 1, 2)).text
    moved = page.split('id="changes-codes_moved"')[1].split("</section>")[0]
    assert CANARY in moved
    assert f"<del>{CANARY}</del> → <ins>{CANARY}-renamed</ins>" in page


def test_as_seen_by_never_touches_the_stored_snapshot(study, blind, coder_a):
    version = ThemeSetVersion.objects.get(study=study, number=1)
    stored = copy.deepcopy(version.snapshot)
    seen = as_seen_by(version.snapshot, set())
    assert all(not t["codes"] for t in seen["themes"])
    assert version.snapshot == stored
    assert ThemeSetVersion.objects.get(pk=version.pk).snapshot == stored


# Immutability ---------------------------------------------------------------------------------


@pytest.fixture
def map_snapshot(study, lead) -> MapSnapshot:
    return MapSnapshot.objects.create(
        study=study, name="After phase 4", snapshot={"nodes": [], "links": []}, created_by=lead
    )


@pytest.mark.parametrize("which", ["version", "map"])
class TestSnapshotsAreImmutable:
    @pytest.fixture
    def record(self, which, study, lead, map_snapshot):
        if which == "map":
            return map_snapshot
        make_theme(study, "Trust", by=lead)
        return version_save(member=member(study, lead), reason="kept as it was")

    def test_a_saved_snapshot_cannot_be_changed(self, record):
        stored = copy.deepcopy(record.snapshot)
        record.snapshot["themes"] = []
        with pytest.raises(TypeError, match="cannot be changed"):
            record.save()
        with pytest.raises(TypeError, match="cannot be changed"):
            record.save(update_fields=["snapshot"])
        assert type(record).objects.get(pk=record.pk).snapshot == stored

    def test_it_cannot_be_deleted(self, record):
        with pytest.raises(TypeError, match="cannot be deleted"):
            record.delete()
        assert type(record).objects.filter(pk=record.pk).exists()

    def test_nor_changed_or_deleted_in_bulk(self, record):
        model = type(record)
        with pytest.raises(TypeError):
            model.objects.filter(pk=record.pk).update(snapshot={})
        with pytest.raises(TypeError):
            model.objects.all().delete()
        assert model.objects.get(pk=record.pk).snapshot == record.snapshot


def test_no_view_offers_to_change_or_remove_a_version(client_for, study, lead, built):
    # The only routes about versions: the list, saving a new one, one version, the comparison.
    names = set()

    def walk(resolver):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLPattern):
                names.add(entry.name or "")
            else:
                walk(entry)

    walk(get_resolver())
    assert {n for n in names if n and "version" in n and n.startswith("themes-")} == {
        "themes-versions", "themes-version-save", "themes-version", "themes-version-compare",
    }  # fmt: skip
    client = client_for(lead)
    page = versions_url(study, "themes-version", built["first"].uuid)
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)(page).status_code == 405
    assert client.delete(versions_url(study)).status_code == 405
    # The pages' only forms: save a new version (a POST) and choose two to compare (a GET).
    for url in (versions_url(study), page, compare_url(study, 1, 2)):
        text = client.get(url).text
        actions = [part.split('"')[0] for part in text.split('action="')[1:]]
        assert set(actions) <= {
            versions_url(study, "themes-version-save"),
            versions_url(study, "themes-version-compare"),
            reverse("logout"),
        }, url
    assert ThemeSetVersion.objects.get(pk=built["first"].pk).snapshot == built["first"].snapshot


def test_a_version_saved_meanwhile_gets_the_next_number(study, lead, coder_a):
    # version_save numbers under a lock; two saves in a row never share a number.
    one = version_save(member=member(study, lead), reason="one")
    two = version_save(member=member(study, coder_a), reason="two")
    assert (one.number, two.number) == (1, 2)
    assert snapshot(study) == {"themes": []}
    other = make_study(creator=UserFactory(username="elsewhere"), title="Elsewhere")
    assert version_save(member=member(other, other.memberships.get().user), reason="x").number == 1
