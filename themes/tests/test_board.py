"""The theme board and a theme's page: making themes and subthemes, their definition, status and
place, and codes put into themes (a code may sit in several), moved between them and taken out.

Who may: coders, leads and custodians change; a viewer reads (403 on every change); an outsider
learns nothing (404). The blind rule holds on the board as everywhere: during an open round, a
coder never sees another coder of the round's codes, even in a theme a lead filled."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from coding.models import Code, CodingRound, RoundCoder
from coding.services import code_create
from coding.tests.factories import make_locked_transcript
from studies.models import AuditEvent, Membership
from studies.tests.factories import make_study
from themes import board
from themes.models import Status, Theme, ThemeCode, ThemeSetVersion
from themes.services import holding_area

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
CANARY = "zq-canary-board-41c7"


def member(study, user) -> Membership:
    return Membership.objects.select_related("study", "user").get(study=study, user=user)


def code_by(study, user, label: str) -> Code:
    return code_create(member=member(study, user), label=label)


def make_theme(study, user, name: str, parent=None) -> Theme:
    return board.theme_create(member=member(study, user), name=name, parent=parent)


def fresh(theme: Theme) -> Theme:
    return Theme.objects.get(pk=theme.pk)


def codes_in(theme: Theme) -> list[str]:
    return list(
        ThemeCode.objects.filter(theme=theme)
        .order_by("position", "id")
        .values_list("code__label", flat=True)
    )


def changes(study) -> list[dict]:
    return list(
        AuditEvent.objects.filter(study=study, action=AuditEvent.Action.THEME_CHANGE)
        .order_by("id")
        .values_list("details", flat=True)
    )


def board_url(study) -> str:
    return reverse("themes-board", args=[study.slug])


def theme_url(study, theme, name="themes-theme") -> str:
    return reverse(name, args=[study.slug, theme.uuid])


def open_round(study, lead, *coders) -> CodingRound:
    transcript = make_locked_transcript(study)
    round_ = CodingRound.objects.create(study=study, title="Round 1", opened_by=lead)
    round_.transcripts.add(transcript)
    for coder in coders:
        RoundCoder.objects.create(round=round_, coder=coder)
    return round_


# Services: themes ---------------------------------------------------------------------------------


class TestThemeCreate:
    def test_a_candidate_theme_goes_to_the_end_of_the_board(self, study, coder_a):
        first = make_theme(study, coder_a, "Repair as care")
        second = make_theme(study, coder_a, "  Working   the frame ")
        assert second.name == "Working the frame"
        assert (first.status, second.status) == (Status.CANDIDATE, Status.CANDIDATE)
        assert second.position > first.position
        assert [d["change"] for d in changes(study)] == ["created", "created"]
        assert changes(study)[1]["theme"] == str(second.uuid)

    def test_a_subtheme_sits_under_a_theme(self, study, coder_a):
        parent = make_theme(study, coder_a, "Repair as care")
        revision = parent.revision
        sub = make_theme(study, coder_a, "Naming the rupture", parent=parent)
        assert sub.parent == parent
        assert fresh(parent).revision == revision + 1  # its subthemes changed
        assert changes(study)[-1]["parent"] == str(parent.uuid)

    @pytest.mark.parametrize(
        ("name", "message"),
        [("   ", "needs a name"), ("x" * 201, "at most 200"), ("REPAIR as care", "already")],
    )
    def test_a_bad_name_is_refused(self, study, coder_a, name, message):
        make_theme(study, coder_a, "Repair as care")
        with pytest.raises(ValidationError, match=message):
            make_theme(study, coder_a, name)
        assert Theme.objects.count() == 1

    def test_no_deeper_than_a_subtheme_and_not_under_the_holding_area(self, study, coder_a):
        parent = make_theme(study, coder_a, "Repair as care")
        sub = make_theme(study, coder_a, "Naming the rupture", parent=parent)
        with pytest.raises(ValidationError, match="itself a subtheme"):
            make_theme(study, coder_a, "Deeper", parent=sub)
        with pytest.raises(ValidationError, match="holds codes, not subthemes"):
            make_theme(study, coder_a, "Odd", parent=holding_area(member(study, coder_a)))
        assert not Theme.objects.filter(name__in=["Deeper", "Odd"]).exists()

    def test_not_under_a_discarded_theme_or_another_studys(self, study, coder_a, custodian):
        gone = make_theme(study, coder_a, "Gone")
        board.theme_status(
            member=member(study, coder_a), theme=gone, status="discarded", reason="thin"
        )
        with pytest.raises(ValidationError, match="discarded"):
            make_theme(study, coder_a, "Under it", parent=gone)
        other = make_study(creator=custodian, title="Another study")
        foreign = board.theme_create(member=member(other, custodian), name="Foreign")
        with pytest.raises(ValidationError, match="not one of this study's"):
            make_theme(study, coder_a, "Under foreign", parent=foreign)

    def test_a_viewer_makes_no_theme(self, study, viewer):
        with pytest.raises(ValidationError, match="a viewer reads"):
            make_theme(study, viewer, "Mine")
        assert not Theme.objects.exists()


class TestThemeEdit:
    def test_the_definition_is_saved_and_the_revision_bumped(self, study, coder_a, coder_b):
        theme = make_theme(study, coder_a, "Repair")
        theme = board.theme_edit(
            member=member(study, coder_b),
            theme=theme,
            name="Repair as care",
            central_concept=" Repair is how care shows. ",
            definition="Moments of rupture and mending.",
            boundaries="Not technique talk.",
            revision=theme.revision,
        )
        saved = fresh(theme)
        assert (saved.name, saved.central_concept, saved.boundaries) == (
            "Repair as care",
            "Repair is how care shows.",
            "Not technique talk.",
        )
        assert saved.revision == 2
        last = changes(study)[-1]
        assert last["change"] == "edited"
        assert last["name"] == {"from": "Repair", "to": "Repair as care"}
        assert set(last["fields"]) == {"name", "central_concept", "definition", "boundaries"}

    def test_a_stale_form_is_refused_and_the_first_edit_survives(self, study, coder_a, coder_b):
        theme = make_theme(study, coder_a, "Repair")
        opened = theme.revision
        board.theme_edit(
            member=member(study, coder_a),
            theme=theme,
            name="Repair",
            central_concept="First",
            definition="",
            boundaries="",
            revision=opened,
        )
        with pytest.raises(board.Stale, match="changed by someone else"):
            board.theme_edit(
                member=member(study, coder_b),
                theme=theme,
                name="Repair",
                central_concept="Second",
                definition="",
                boundaries="",
                revision=opened,
            )
        assert fresh(theme).central_concept == "First"

    def test_saving_what_is_there_changes_nothing(self, study, coder_a):
        theme = make_theme(study, coder_a, "Repair")
        before = len(changes(study))
        board.theme_edit(
            member=member(study, coder_a),
            theme=theme,
            name="Repair",
            central_concept="",
            definition="",
            boundaries="",
        )
        assert fresh(theme).revision == 1
        assert len(changes(study)) == before

    def test_a_taken_name_and_the_holding_area_are_refused(self, study, coder_a):
        make_theme(study, coder_a, "Trust")
        theme = make_theme(study, coder_a, "Repair")
        with pytest.raises(ValidationError, match="already a theme called “Trust”"):
            board.theme_edit(
                member=member(study, coder_a),
                theme=theme,
                name="trust",
                central_concept="",
                definition="",
                boundaries="",
            )
        holding = holding_area(member(study, coder_a))
        with pytest.raises(ValidationError, match="miscellaneous area is not a theme"):
            board.theme_edit(
                member=member(study, coder_a),
                theme=holding,
                name="Odds and ends",
                central_concept="",
                definition="",
                boundaries="",
            )
        assert fresh(holding).name == "Miscellaneous"


class TestThemeStatus:
    def test_every_status_change_saves_a_version(self, study, coder_a):
        theme = make_theme(study, coder_a, "Repair")
        a = member(study, coder_a)
        for status in ["developing", "reviewed", "final", "candidate"]:  # any to any
            theme = board.theme_status(member=a, theme=theme, status=status)
        assert fresh(theme).status == Status.CANDIDATE
        versions = list(ThemeSetVersion.objects.order_by("number"))
        assert [v.reason for v in versions] == [
            "“Repair”: Candidate → Developing",
            "“Repair”: Developing → Reviewed",
            "“Repair”: Reviewed → Final",
            "“Repair”: Final → Candidate",
        ]
        # The version holds the theme set as it was after the change.
        assert versions[2].snapshot["themes"][0]["status"] == "final"
        assert next(d["status"] for d in changes(study) if d["change"] == "status") == {
            "from": "candidate",
            "to": "developing",
        }

    def test_discarding_needs_a_reason(self, study, coder_a):
        theme = make_theme(study, coder_a, "Repair")
        a = member(study, coder_a)
        with pytest.raises(ValidationError, match="Say why"):
            board.theme_status(member=a, theme=theme, status="discarded", reason="  ")
        assert fresh(theme).status == Status.CANDIDATE
        assert not ThemeSetVersion.objects.exists()
        board.theme_status(member=a, theme=theme, status="discarded", reason="Too thin.")
        assert (fresh(theme).status, fresh(theme).discard_reason) == ("discarded", "Too thin.")
        assert changes(study)[-1]["reason"] == "Too thin."
        board.theme_status(member=a, theme=theme, status="developing")
        assert fresh(theme).discard_reason == ""  # kept in the version and the audit log
        assert ThemeSetVersion.objects.count() == 2

    def test_refusals_change_nothing(self, study, coder_a, coder_b):
        theme = make_theme(study, coder_a, "Repair")
        a = member(study, coder_a)
        with pytest.raises(ValidationError, match="already candidate"):
            board.theme_status(member=a, theme=theme, status="candidate")
        with pytest.raises(ValidationError, match="status is one of"):
            board.theme_status(member=a, theme=theme, status="golden")
        with pytest.raises(ValidationError, match="has no status"):
            board.theme_status(member=a, theme=holding_area(a), status="final")
        opened = theme.revision
        board.theme_status(member=member(study, coder_b), theme=theme, status="developing")
        with pytest.raises(board.Stale):
            board.theme_status(member=a, theme=theme, status="final", revision=opened)
        assert fresh(theme).status == Status.DEVELOPING
        assert ThemeSetVersion.objects.count() == 1


class TestThemeMove:
    def test_a_theme_becomes_a_subtheme_and_back(self, study, coder_a):
        a = member(study, coder_a)
        parent = make_theme(study, coder_a, "Repair")
        theme = make_theme(study, coder_a, "Naming it")
        before = fresh(parent).revision
        board.theme_move(member=a, theme=theme, parent=parent)
        assert fresh(theme).parent == parent
        assert fresh(parent).revision == before + 1
        board.theme_move(member=a, theme=theme, parent=None)
        assert fresh(theme).parent is None
        assert fresh(theme).position > fresh(parent).position
        assert [d["change"] for d in changes(study)][-2:] == ["moved", "moved"]

    def test_the_refused_moves(self, study, coder_a):
        a = member(study, coder_a)
        parent = make_theme(study, coder_a, "Repair")
        sub = make_theme(study, coder_a, "Naming it", parent=parent)
        other = make_theme(study, coder_a, "Frame")
        holding = holding_area(a)
        for theme, under, message in [
            (other, other, "its own subtheme"),
            (other, sub, "itself a subtheme"),
            (parent, other, "has subthemes of its own"),
            (other, holding, "holds codes"),
            (holding, parent, "stays where it is"),
        ]:
            with pytest.raises(ValidationError, match=message):
                board.theme_move(member=a, theme=theme, parent=under)
        assert fresh(other).parent is None and fresh(parent).parent is None


# Services: codes in themes ------------------------------------------------------------------------


class TestCodes:
    def test_a_code_can_sit_in_several_themes(self, study, coder_a):
        a = member(study, coder_a)
        code = code_by(study, coder_a, "listening first")
        repair, frame = make_theme(study, coder_a, "Repair"), make_theme(study, coder_a, "Frame")
        board.code_place(member=a, code=code, theme=repair)
        board.code_place(member=a, code=code, theme=frame)
        assert set(code.themes.values_list("name", flat=True)) == {"Repair", "Frame"}
        assert fresh(repair).revision == 2
        assert changes(study)[-1] == {
            "change": "code placed",
            "theme": str(frame.uuid),
            "code": str(code.uuid),
        }

    def test_placing_twice_changes_nothing(self, study, coder_a):
        a = member(study, coder_a)
        code = code_by(study, coder_a, "listening first")
        theme = make_theme(study, coder_a, "Repair")
        first = board.code_place(member=a, code=code, theme=theme)
        before = len(changes(study))
        assert board.code_place(member=a, code=code, theme=theme) == first
        assert ThemeCode.objects.count() == 1
        assert len(changes(study)) == before

    def test_a_position_puts_it_in_order(self, study, coder_a):
        a = member(study, coder_a)
        theme = make_theme(study, coder_a, "Repair")
        for label in ["one", "three"]:
            board.code_place(member=a, code=code_by(study, coder_a, label), theme=theme)
        board.code_place(member=a, code=code_by(study, coder_a, "two"), theme=theme, position=1)
        assert codes_in(theme) == ["one", "two", "three"]

    def test_retired_and_discarded_are_refused(self, study, coder_a):
        a = member(study, coder_a)
        theme = make_theme(study, coder_a, "Repair")
        retired = code_by(study, coder_a, "old")
        Code.objects.filter(pk=retired.pk).update(retired_at="2025-01-01T00:00Z")
        with pytest.raises(ValidationError, match="retired"):
            board.code_place(member=a, code=retired, theme=theme)
        gone = make_theme(study, coder_a, "Gone")
        board.theme_status(member=a, theme=gone, status="discarded", reason="thin")
        with pytest.raises(ValidationError, match="discarded: it takes no more codes"):
            board.code_place(member=a, code=code_by(study, coder_a, "new"), theme=gone)
        assert not ThemeCode.objects.exists()

    def test_removing_leaves_the_other_themes(self, study, coder_a):
        a = member(study, coder_a)
        code = code_by(study, coder_a, "listening first")
        repair, frame = make_theme(study, coder_a, "Repair"), make_theme(study, coder_a, "Frame")
        board.code_place(member=a, code=code, theme=repair)
        board.code_place(member=a, code=code, theme=frame)
        board.code_remove(member=a, code=code, theme=repair)
        assert list(code.themes.values_list("name", flat=True)) == ["Frame"]
        with pytest.raises(ValidationError, match="is not in “Repair”"):
            board.code_remove(member=a, code=code, theme=repair)
        assert changes(study)[-1]["change"] == "code removed"

    def test_a_move_takes_it_out_of_one_and_into_another(self, study, coder_a):
        a = member(study, coder_a)
        code = code_by(study, coder_a, "listening first")
        repair, frame = make_theme(study, coder_a, "Repair"), make_theme(study, coder_a, "Frame")
        board.code_place(member=a, code=code, theme=repair)
        board.code_move(member=a, code=code, source=repair, target=frame)
        assert (codes_in(repair), codes_in(frame)) == ([], ["listening first"])
        assert changes(study)[-1]["source"] == str(repair.uuid)
        # Into a theme that has it already: it just leaves the source.
        board.code_place(member=a, code=code, theme=repair)
        board.code_move(member=a, code=code, source=repair, target=frame)
        assert (codes_in(repair), codes_in(frame)) == ([], ["listening first"])

    def test_a_refused_move_changes_nothing(self, study, coder_a):
        a = member(study, coder_a)
        code = code_by(study, coder_a, "listening first")
        repair, gone = make_theme(study, coder_a, "Repair"), make_theme(study, coder_a, "Gone")
        board.code_place(member=a, code=code, theme=repair)
        board.theme_status(member=a, theme=gone, status="discarded", reason="thin")
        with pytest.raises(ValidationError, match="discarded"):
            board.code_move(member=a, code=code, source=repair, target=gone)
        with pytest.raises(ValidationError, match="another theme"):
            board.code_move(member=a, code=code, source=repair, target=repair)
        other = make_theme(study, coder_a, "Other")
        with pytest.raises(ValidationError, match="is not in “Other”"):
            board.code_move(member=a, code=code, source=other, target=repair)
        assert codes_in(repair) == ["listening first"]

    def test_codes_of_the_holding_area(self, study, coder_a):
        a = member(study, coder_a)
        code = code_by(study, coder_a, "stray")
        holding = holding_area(a)
        board.code_place(member=a, code=code, theme=holding)
        theme = make_theme(study, coder_a, "Repair")
        board.code_move(member=a, code=code, source=holding, target=theme)
        assert (codes_in(holding), codes_in(theme)) == ([], ["stray"])

    def test_a_code_hidden_by_the_blind_rule_is_not_one_to_place(
        self, study, lead, coder_a, coder_b
    ):
        open_round(study, lead, coder_a, coder_b)
        hidden = code_by(study, coder_b, CANARY)
        theme = make_theme(study, lead, "Repair")
        board.code_place(member=member(study, lead), code=hidden, theme=theme)
        a = member(study, coder_a)
        for attempt in (
            lambda: board.code_place(member=a, code=hidden, theme=theme),
            lambda: board.code_remove(member=a, code=hidden, theme=theme),
            lambda: board.code_move(
                member=a, code=hidden, source=theme, target=make_theme(study, lead, "Other")
            ),
        ):
            with pytest.raises(ValidationError) as refused:
                attempt()
            assert CANARY not in str(refused.value)
        assert codes_in(theme) == [CANARY]


# Views ---------------------------------------------------------------------------------------------


@pytest.fixture
def filled(study, coder_a):
    """Two themes (one with a subtheme), codes in them, one code in no theme, the holding area."""
    a = member(study, coder_a)
    repair = make_theme(study, coder_a, "Repair as care")
    sub = make_theme(study, coder_a, "Naming the rupture", parent=repair)
    frame = make_theme(study, coder_a, "Working the frame")
    codes = {label: code_by(study, coder_a, label) for label in ["listening", "naming", "loose"]}
    board.code_place(member=a, code=codes["listening"], theme=repair)
    board.code_place(member=a, code=codes["naming"], theme=sub)
    board.code_place(member=a, code=codes["listening"], theme=frame)
    return {"repair": repair, "sub": sub, "frame": frame, **codes}


def chips(html: str, zone_id: str) -> str:
    """The part of the board between a zone's opening tag and the next theme card or column."""
    return html.split(f'id="{zone_id}"', 1)[1].split('class="card', 1)[0]


class TestBoardPage:
    def test_a_coder_sees_the_board_to_change(self, client_for, study, coder_a, filled):
        response = client_for(coder_a).get(board_url(study))
        assert response.status_code == 200
        html = response.text
        assert "data-board" in html and 'class="theme-chip"' in html
        assert html.index("Repair as care") < html.index("Working the frame")  # by position
        pool = html.split('id="pool-title"', 1)[1].split("board-themes", 1)[0]
        assert "loose" in pool and "listening" not in pool
        assert "1 code</span>" in html  # counts of codes, never of extracts
        assert f'data-drop="{filled["sub"].uuid}"' in html
        assert 'data-drop="holding"' in html  # not made until a code goes there
        assert 'hx-post="' + reverse("themes-create", args=[study.slug]) in html

    def test_a_viewer_reads_without_dragging_or_forms(self, client_for, study, viewer, filled):
        response = client_for(viewer).get(board_url(study))
        assert response.status_code == 200
        assert "Repair as care" in response.text and "listening" in response.text
        assert "data-board" not in response.text
        assert "<form" not in response.text.split('id="main"')[1]
        assert "<button" not in response.text.split('id="main"')[1]

    def test_an_outsider_gets_404(self, client_for, study, outsider, filled):
        client = client_for(outsider)
        assert client.get(board_url(study)).status_code == 404
        assert client.get(theme_url(study, filled["repair"])).status_code == 404

    def test_the_board_region_for_htmx(self, client_for, study, coder_a, filled):
        response = client_for(coder_a).get(board_url(study), headers=HTMX)
        assert response.text.lstrip().startswith('<div id="theme-board"')
        assert "<html" not in response.text

    def test_a_get_makes_no_holding_area(self, client_for, study, coder_a):
        client_for(coder_a).get(board_url(study))
        assert not Theme.objects.exists()

    def test_discarded_themes_are_set_aside_and_take_no_drop(
        self, client_for, study, coder_a, filled
    ):
        board.theme_status(
            member=member(study, coder_a), theme=filled["frame"], status="discarded", reason="thin"
        )
        html = client_for(coder_a).get(board_url(study)).text
        set_aside = html.split("Discarded themes", 1)[1]
        assert "Working the frame" in set_aside and "Discarded: thin" in set_aside
        assert f'data-drop="{filled["frame"].uuid}"' not in html
        into = html.split('name="theme"')[1].split("</select>")[0]
        assert f'<option value="{filled["frame"].uuid}">' not in into
        taking_out_of = html.split('name="from"')[1].split("</select>")[0]
        assert f'<option value="{filled["frame"].uuid}">' in taking_out_of

    @pytest.mark.parametrize("size", [1, 4])
    def test_the_query_count_does_not_grow_with_themes_or_codes(
        self, client_for, study, lead, coder_a, size, django_assert_num_queries
    ):
        a = member(study, coder_a)
        holding = holding_area(a)
        for n in range(size):
            theme = make_theme(study, coder_a, f"Theme {n}")
            sub = make_theme(study, coder_a, f"Sub {n}", parent=theme)
            for k in range(size):
                code = code_by(study, coder_a, f"code {n}.{k}")
                board.code_place(member=a, code=code, theme=theme if k % 2 else sub)
            code_by(study, coder_a, f"loose {n}")
            board.code_place(member=a, code=code_by(study, coder_a, f"held {n}"), theme=holding)
        gone = make_theme(study, coder_a, "Gone")
        board.theme_status(member=a, theme=gone, status="discarded", reason="thin")
        client = client_for(coder_a)
        client.get(reverse("study-list"))
        with django_assert_num_queries(8):
            response = client.get(board_url(study))
        assert response.text.count('class="theme-chip"') == size * size + 2 * size


class TestThemePage:
    def test_a_coder_sees_the_forms(self, client_for, study, coder_a, filled):
        response = client_for(coder_a).get(theme_url(study, filled["repair"]))
        assert response.status_code == 200
        html = response.text
        for name in ["themes-edit", "themes-status"]:
            assert f'action="{theme_url(study, filled["repair"], name)}"' in html
        assert 'name="revision" value="3"' in html  # made, then given a subtheme and a code
        retrieve = reverse("coding-retrieve", args=[study.slug, filled["listening"].uuid])
        assert f'href="{retrieve}"' in html
        assert "Naming the rupture" in html  # its subtheme
        # A theme with subthemes is not offered to become one; one without is.
        assert theme_url(study, filled["repair"], "themes-move") not in html
        frame = client_for(coder_a).get(theme_url(study, filled["frame"])).text
        assert f'action="{theme_url(study, filled["frame"], "themes-move")}"' in frame
        assert "Make it a subtheme" in frame

    def test_a_viewer_reads(self, client_for, study, viewer, filled):
        response = client_for(viewer).get(theme_url(study, filled["sub"]))
        assert response.status_code == 200
        assert "naming" in response.text and "Repair as care" in response.text  # its parent
        assert "<form" not in response.text.split('id="main"')[1]

    def test_another_studys_theme_is_not_found(self, client_for, study, coder_a, custodian):
        other = make_study(creator=custodian, title="Another study")
        foreign = board.theme_create(member=member(other, custodian), name="Foreign")
        assert client_for(coder_a).get(theme_url(study, foreign)).status_code == 404

    def test_the_holding_area_has_no_definition_or_status_to_change(
        self, client_for, study, coder_a
    ):
        a = member(study, coder_a)
        holding = holding_area(a)
        board.code_place(member=a, code=code_by(study, coder_a, "stray"), theme=holding)
        html = client_for(coder_a).get(theme_url(study, holding)).text
        assert "stray" in html and "The miscellaneous area" in html
        assert (
            "themes-status" not in html and theme_url(study, holding, "themes-status") not in html
        )

    @pytest.mark.parametrize("size", [1, 5])
    def test_the_query_count_does_not_grow(
        self, client_for, study, coder_a, size, django_assert_num_queries
    ):
        a = member(study, coder_a)
        theme = make_theme(study, coder_a, "Repair")
        for n in range(size):
            make_theme(study, coder_a, f"Sub {n}", parent=theme)
            board.code_place(member=a, code=code_by(study, coder_a, f"in {n}"), theme=theme)
            code_by(study, coder_a, f"out {n}")
        client = client_for(coder_a)
        client.get(reverse("study-list"))
        with django_assert_num_queries(9):
            response = client.get(theme_url(study, theme))
        assert response.text.count('id="theme-code-') == size


class TestChanges:
    def posts(self, study, theme, code) -> list[tuple[str, dict]]:
        return [
            (reverse("themes-create", args=[study.slug]), {"name": "New"}),
            (theme_url(study, theme, "themes-edit"), {"name": "X", "revision": theme.revision}),
            (theme_url(study, theme, "themes-status"), {"status": "final"}),
            (theme_url(study, theme, "themes-move"), {"parent": ""}),
            (
                reverse("themes-place", args=[study.slug]),
                {"code": code.uuid, "theme": theme.uuid},
            ),
            (
                reverse("themes-unplace", args=[study.slug]),
                {"code": code.uuid, "theme": theme.uuid},
            ),
        ]

    def test_a_viewer_changes_nothing(self, client_for, study, viewer, filled):
        client = client_for(viewer)
        before = (Theme.objects.count(), ThemeCode.objects.count(), AuditEvent.objects.count())
        for url, data in self.posts(study, filled["sub"], filled["naming"]):
            assert client.post(url, data).status_code == 403, url
        assert fresh(filled["sub"]).name == "Naming the rupture"
        after = (Theme.objects.count(), ThemeCode.objects.count(), AuditEvent.objects.count())
        assert after == before

    def test_an_outsider_gets_404(self, client_for, study, outsider, filled):
        client = client_for(outsider)
        for url, data in self.posts(study, filled["sub"], filled["naming"]):
            assert client.post(url, data).status_code == 404, url
        assert fresh(filled["sub"]).status == Status.CANDIDATE

    def test_making_a_theme(self, client_for, study, coder_a):
        client = client_for(coder_a)
        response = client.post(reverse("themes-create", args=[study.slug]), {"name": "Repair"})
        assert response.status_code == 302 and response["Location"] == board_url(study)
        repair = Theme.objects.get(name="Repair")
        response = client.post(
            reverse("themes-create", args=[study.slug]),
            {"name": "Naming", "parent": repair.uuid},
            headers=HTMX,
        )
        assert response.status_code == 200
        assert response.text.lstrip().startswith('<div id="theme-board"')
        assert "Made the subtheme “Naming” of “Repair”." in response.text
        assert Theme.objects.get(name="Naming").parent == repair

    def test_a_bad_theme_is_refused_with_the_reason(self, client_for, study, coder_a):
        make_theme(study, coder_a, "Repair")
        client = client_for(coder_a)
        url = reverse("themes-create", args=[study.slug])
        response = client.post(url, {"name": "repair"}, headers=HTMX)
        assert response.status_code == 422
        assert "There is already a theme called “Repair”." in response.text
        assert 'value="repair"' in response.text  # what was typed stays in the form
        response = client.post(url, {"name": "Sub", "parent": "not-a-uuid"})
        assert response.status_code == 422
        assert "That theme is not one of this study&#x27;s." in response.text
        assert Theme.objects.count() == 1

    def test_a_subtheme_made_from_the_theme_page_goes_back_there(
        self, client_for, study, coder_a, filled
    ):
        repair = filled["repair"]
        response = client_for(coder_a).post(
            reverse("themes-create", args=[study.slug]),
            {"name": "Second sub", "parent": repair.uuid, "back": repair.uuid},
        )
        assert response["Location"] == theme_url(study, repair)

    def test_editing_in_place(self, client_for, study, coder_a, filled):
        theme = fresh(filled["frame"])
        data = {
            "name": "Holding the frame",
            "central_concept": "The frame holds the work.",
            "definition": "Scope.",
            "boundaries": "Not rules.",
            "revision": theme.revision,
        }
        response = client_for(coder_a).post(
            theme_url(study, theme, "themes-edit"), data, headers=HTMX
        )
        assert response.status_code == 200
        assert response.text.lstrip().startswith('<div id="theme-detail"')
        assert "Saved the definition of “Holding the frame”." in response.text
        assert fresh(theme).central_concept == "The frame holds the work."

    def test_a_stale_edit_gets_409_and_keeps_what_was_typed(
        self, client_for, study, coder_a, coder_b, filled
    ):
        theme = fresh(filled["frame"])
        opened = theme.revision
        board.code_place(member=member(study, coder_b), code=filled["loose"], theme=theme)
        data = {
            "name": "Working the frame",
            "central_concept": "My late words.",
            "definition": "",
            "boundaries": "",
            "revision": opened,
        }
        response = client_for(coder_a).post(
            theme_url(study, theme, "themes-edit"), data, headers=HTMX
        )
        assert response.status_code == 409
        assert "changed by someone else" in response.text
        assert "My late words." in response.text
        assert f'name="revision" value="{fresh(theme).revision}"' in response.text
        assert fresh(theme).central_concept == ""

    def test_a_damaged_revision_is_refused(self, client_for, study, coder_a, filled):
        theme = filled["frame"]
        data = {"name": "Other", "revision": "abc"}
        response = client_for(coder_a).post(theme_url(study, theme, "themes-edit"), data)
        assert response.status_code == 422 and "damaged" in response.text
        assert fresh(theme).name == "Working the frame"

    def test_changing_the_status(self, client_for, study, coder_a, filled):
        theme = fresh(filled["frame"])
        url = theme_url(study, theme, "themes-status")
        client = client_for(coder_a)
        response = client.post(
            url, {"status": "discarded", "reason": "", "revision": theme.revision}
        )
        assert response.status_code == 422
        assert "Say why the theme is discarded." in response.text
        assert fresh(theme).status == Status.CANDIDATE and not ThemeSetVersion.objects.exists()
        response = client.post(
            url, {"status": "discarded", "reason": "Too thin.", "revision": theme.revision}
        )
        assert response.status_code == 302
        assert fresh(theme).status == Status.DISCARDED
        assert ThemeSetVersion.objects.get().reason == "“Working the frame”: Candidate → Discarded"
        page = client.get(theme_url(study, theme)).text
        assert "Too thin." in page and "A version of the theme set was saved." in page

    def test_a_stale_status_change_gets_409(self, client_for, study, coder_a, coder_b, filled):
        theme = fresh(filled["frame"])
        opened = theme.revision
        board.theme_status(member=member(study, coder_b), theme=theme, status="developing")
        response = client_for(coder_a).post(
            theme_url(study, theme, "themes-status"),
            {"status": "final", "revision": opened},
            headers=HTMX,
        )
        assert response.status_code == 409
        assert fresh(theme).status == Status.DEVELOPING

    def test_moving_a_theme(self, client_for, study, coder_a, filled):
        client = client_for(coder_a)
        url = theme_url(study, filled["frame"], "themes-move")
        response = client.post(url, {"parent": filled["repair"].uuid}, headers=HTMX)
        assert response.status_code == 200
        assert "is now a subtheme of “Repair as care”" in response.text
        assert fresh(filled["frame"]).parent == filled["repair"]
        response = client.post(theme_url(study, filled["repair"], "themes-move"), {"parent": ""})
        assert response.status_code == 302  # already at the top: nothing to do
        response = client.post(
            theme_url(study, filled["sub"], "themes-move"), {"parent": filled["frame"].uuid}
        )
        assert response.status_code == 422  # the frame is a subtheme now: not offered
        assert fresh(filled["sub"]).parent == filled["repair"]


class TestDrops:
    def place(self, client, study, **data):
        return client.post(reverse("themes-place", args=[study.slug]), data, headers=HTMX)

    def test_a_drop_from_the_pool_puts_the_code_in(self, client_for, study, coder_a, filled):
        response = self.place(
            client_for(coder_a), study, code=filled["loose"].uuid, theme=filled["frame"].uuid
        )
        assert response.status_code == 200
        assert "Put “loose” in “Working the frame”." in response.text
        assert codes_in(filled["frame"]) == ["listening", "loose"]
        assert "loose" in chips(response.text, f"theme-{filled['frame'].uuid}")
        assert "Every code you can see is in a theme." in response.text

    def test_a_drop_from_a_theme_moves_it(self, client_for, study, coder_a, filled):
        response = self.place(
            client_for(coder_a),
            study,
            code=filled["naming"].uuid,
            theme=filled["frame"].uuid,
            **{"from": filled["sub"].uuid},
        )
        assert response.status_code == 200
        assert "Moved “naming” from “Naming the rupture” to “Working the frame”." in response.text
        assert codes_in(filled["sub"]) == []
        assert codes_in(filled["frame"]) == ["listening", "naming"]

    def test_a_drop_without_htmx_goes_back_to_the_board(self, client_for, study, coder_a, filled):
        response = client_for(coder_a).post(
            reverse("themes-place", args=[study.slug]),
            {"code": filled["loose"].uuid, "theme": filled["repair"].uuid},
        )
        assert response.status_code == 302 and response["Location"] == board_url(study)
        assert codes_in(filled["repair"]) == ["listening", "loose"]

    def test_a_drop_where_it_is_already(self, client_for, study, coder_a, filled):
        response = self.place(
            client_for(coder_a), study, code=filled["listening"].uuid, theme=filled["frame"].uuid
        )
        assert "“listening” is already in “Working the frame”." in response.text
        assert ThemeCode.objects.filter(code=filled["listening"]).count() == 2

    def test_a_drop_on_the_holding_area_makes_it(self, client_for, study, coder_a, filled):
        response = self.place(
            client_for(coder_a), study, code=filled["loose"].uuid, theme="holding"
        )
        assert response.status_code == 200
        holding = Theme.objects.get(holding=True)
        assert codes_in(holding) == ["loose"]
        assert f'data-drop="{holding.uuid}"' in response.text

    def test_a_refused_drop_on_the_holding_area_makes_nothing(
        self, client_for, study, coder_a, filled
    ):
        Code.objects.filter(pk=filled["loose"].pk).update(retired_at="2025-01-01T00:00Z")
        response = self.place(
            client_for(coder_a), study, code=filled["loose"].uuid, theme="holding"
        )
        assert response.status_code == 422
        assert "“loose” is retired" in response.text
        assert not Theme.objects.filter(holding=True).exists()

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"code": "", "theme": "holding"}, "Choose a code."),
            ({"code": "not-a-uuid", "theme": "holding"}, "not in the codebook you can see"),
            ({"theme": "nowhere"}, "not one of this study&#x27;s"),
            ({"theme": "00000000-0000-0000-0000-000000000001"}, "not one of this study&#x27;s"),
        ],
    )
    def test_bad_drops_say_why(self, client_for, study, coder_a, filled, data, message):
        data.setdefault("code", filled["loose"].uuid)
        response = self.place(client_for(coder_a), study, **data)
        assert response.status_code == 422
        assert message in response.text
        assert ThemeCode.objects.count() == 3

    def test_a_drop_on_the_pool_takes_it_out(self, client_for, study, coder_a, filled):
        response = client_for(coder_a).post(
            reverse("themes-unplace", args=[study.slug]),
            {"code": filled["naming"].uuid, "theme": filled["sub"].uuid},
            headers=HTMX,
        )
        assert response.status_code == 200
        assert "Took “naming” out of “Naming the rupture”." in response.text
        pool = response.text.split('id="pool-title"', 1)[1].split("board-themes", 1)[0]
        assert "naming" in pool

    def test_taking_out_from_the_theme_page_goes_back_there(
        self, client_for, study, coder_a, filled
    ):
        repair = filled["repair"]
        client = client_for(coder_a)
        response = client.post(
            reverse("themes-unplace", args=[study.slug]),
            {"code": filled["listening"].uuid, "theme": repair.uuid, "back": repair.uuid},
        )
        assert response["Location"] == theme_url(study, repair)
        response = client.post(
            reverse("themes-unplace", args=[study.slug]),
            {"code": filled["listening"].uuid, "theme": repair.uuid, "back": repair.uuid},
        )
        assert response.status_code == 422
        assert "“listening” is not in “Repair as care”." in response.text
        assert 'id="theme-detail"' in response.text


class TestBlindRule:
    """During an open round, coder A's board shows none of coder B's codes — not in the pool,
    not in a theme the lead filled, not in a form — and counts only what coder A sees."""

    @pytest.fixture
    def blind(self, study, lead, coder_a, coder_b):
        open_round(study, lead, coder_a, coder_b)
        canary = code_by(study, coder_b, CANARY)
        loose = code_by(study, coder_b, f"{CANARY}-loose")
        own = code_by(study, coder_a, "my own")
        theme = make_theme(study, lead, "Repair")
        lead_member = member(study, lead)
        board.code_place(member=lead_member, code=canary, theme=theme)
        board.code_place(member=lead_member, code=own, theme=theme)
        board.code_place(member=lead_member, code=canary, theme=holding_area(lead_member))
        return {"theme": theme, "canary": canary, "loose": loose}

    @pytest.mark.parametrize("persona", ["coder_a", "viewer"])
    def test_the_board_and_the_theme_page_hide_the_other_coders_codes(
        self, client_for, study, personas, persona, blind
    ):
        client = client_for(personas[persona])
        holding = Theme.objects.get(holding=True)
        for url in [
            board_url(study),
            theme_url(study, blind["theme"]),
            theme_url(study, holding),
        ]:
            for headers in ({}, HTMX):
                response = client.get(url, headers=headers)
                assert response.status_code == 200
                assert CANARY not in response.text, url
                assert str(blind["canary"].uuid) not in response.text
        html = client.get(board_url(study)).text
        assert "A blind round is open" in html
        # Coder A's own code in the lead's theme counts; a viewer sees no round coder's codes.
        count = "1 code</span>" if persona == "coder_a" else "0 codes</span>"
        assert count in html

    def test_a_drop_of_a_hidden_code_is_refused_without_naming_it(
        self, client_for, study, coder_a, blind
    ):
        client = client_for(coder_a)
        for url, data in [
            (
                reverse("themes-place", args=[study.slug]),
                {"code": blind["canary"].uuid, "theme": blind["theme"].uuid},
            ),
            (
                reverse("themes-unplace", args=[study.slug]),
                {"code": blind["canary"].uuid, "theme": blind["theme"].uuid},
            ),
        ]:
            response = client.post(url, data, headers=HTMX)
            assert response.status_code == 422
            assert "not in the codebook you can see" in response.text
            assert CANARY not in response.text
        assert codes_in(blind["theme"]) == [CANARY, "my own"]

    def test_the_lead_sees_them(self, client_for, study, lead, blind):
        html = client_for(lead).get(board_url(study)).text
        assert CANARY in html and f"{CANARY}-loose" in html


def test_themes_of_two_studies_do_not_mix(client_for, study, coder_a, custodian):
    other = make_study(creator=custodian, title="Another study")
    foreign = board.theme_create(member=member(other, custodian), name="Foreign")
    code = code_by(study, coder_a, "mine")
    response = client_for(coder_a).post(
        reverse("themes-place", args=[study.slug]),
        {"code": code.uuid, "theme": foreign.uuid},
        headers=HTMX,
    )
    assert response.status_code == 422
    assert "Foreign" not in client_for(coder_a).get(board_url(study)).text
    assert not ThemeCode.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_people_at_once_end_in_the_serial_result(study, coder_a, coder_b):
    """Two threads, each with 25 drops into one theme and 25 edits of its concept made from what it
    last read (retrying when refused as stale): nothing is lost, positions do not collide."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("needs a database that takes two writers at once (PostgreSQL)")
    theme = make_theme(study, coder_a, "Repair")
    codes = {
        user.username: [code_by(study, user, f"{user.username} {n}") for n in range(25)]
        for user in (coder_a, coder_b)
    }

    def work(user) -> None:
        try:
            me = member(study, user)
            for n, code in enumerate(codes[user.username]):
                board.code_place(member=me, code=code, theme=theme)
                while True:
                    now = fresh(theme)
                    try:
                        board.theme_edit(
                            member=me,
                            theme=now,
                            name=now.name,
                            central_concept=f"{now.central_concept} {user.username}-{n}".strip(),
                            definition="",
                            boundaries="",
                            revision=now.revision,
                        )
                        break
                    except board.Stale:
                        continue
        finally:
            connections.close_all()

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(work, [coder_a, coder_b]))
    links = ThemeCode.objects.filter(theme=theme)
    assert links.count() == 50
    assert sorted(links.values_list("position", flat=True)) == list(range(50))
    words = fresh(theme).central_concept.split()
    assert sorted(words) == sorted(f"{u}-{n}" for u in ("coder_a", "coder_b") for n in range(25))
    assert fresh(theme).revision == 1 + 50 + 50
