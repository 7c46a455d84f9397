"""The codebook page, a code's page, and the changes to a code: rename, redefine, merge, split,
retire.

Who may change a code: a coder changes the codes they created, a lead or custodian any code they
can see. A coder asking to change another coder's code that they can see gets 403; a code hidden
from them (another coder's, during an open blind round) is not found (404), like any other."""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from playwright.sync_api import expect

from coding import codebook
from coding.models import PALETTE, Code, CodeEvent, Coding, CodingRound, Memo, RoundCoder
from coding.services import code_create, coding_apply
from coding.tests.factories import make_locked_transcript
from studies.models import AuditEvent, Membership
from studies.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def transcript(study):
    return make_locked_transcript(study)


def member(study, user) -> Membership:
    return Membership.objects.select_related("study", "user").get(study=study, user=user)


def code_by(study, user, label: str, **kwargs) -> Code:
    return code_create(member=member(study, user), label=label, **kwargs)


def apply(study, transcript, user, words: str, code: Code) -> Coding:
    text = transcript.versions.get().text
    start = text.index(words)
    (coding,) = coding_apply(
        member=member(study, user),
        transcript=transcript,
        start=start,
        end=start + len(words),
        codes=[code],
    )
    return coding


def open_round(study, transcript, lead, *coders) -> CodingRound:
    round_ = CodingRound.objects.create(study=study, title="Round 1", opened_by=lead)
    round_.transcripts.add(transcript)
    for coder in coders:
        RoundCoder.objects.create(round=round_, coder=coder)
    return round_


def codebook_url(study) -> str:
    return reverse("coding-codebook", args=[study.slug])


def code_url(study, code, action: str = "") -> str:
    name = f"coding-code-{action}" if action else "coding-code"
    return reverse(name, args=[study.slug, code.uuid])


def changes() -> list[dict]:
    return list(
        AuditEvent.objects.filter(action=AuditEvent.Action.CODE_CHANGE)
        .order_by("pk")
        .values_list("details", flat=True)
    )


def snapshot(code: Code) -> tuple:
    code = Code.objects.get(pk=code.pk)
    return (
        code.label,
        code.description,
        code.kind,
        code.colour,
        code.parent_id,
        code.retired_at,
        code.events.count(),
        sorted(Coding.objects.values_list("pk", "code_id")),
    )


@pytest.fixture
def listening(study, transcript, coder_a) -> Code:
    """coder_a's code, applied twice by coder_a."""
    code = code_by(study, coder_a, "listening", description="Attending before acting.")
    apply(study, transcript, coder_a, "I listen first", code)
    apply(study, transcript, coder_a, "café small talk", code)
    return code


class TestCodebookPage:
    def test_a_viewer_reads_the_codebook_in_its_hierarchy_with_counts(
        self, client_for, study, transcript, lead, coder_a, coder_b, viewer
    ):
        alliance = code_by(study, lead, "alliance", description="The working bond.")
        repair = code_by(study, coder_a, "repair", kind=Code.Kind.LATENT)
        codebook.code_redefine(
            member=member(study, coder_a),
            code=repair,
            description="Mending a rupture together.",
            kind=Code.Kind.LATENT,
            colour=repair.colour,
            parent=alliance,
        )
        apply(study, transcript, coder_a, "we repair it together", repair)
        apply(study, transcript, coder_b, "we repair it together", repair)
        apply(study, transcript, coder_b, "I name it", repair)
        second = make_locked_transcript(study, "P2")
        apply(study, second, coder_a, "I listen first", repair)

        response = client_for(viewer).get(codebook_url(study))

        assert response.status_code == 200
        text = response.text
        assert "The working bond." in text and "Mending a rupture together." in text
        assert "Latent" in text and "by coder_a" in text
        assert "4 codings" in text and "coder_a 2" in text and "coder_b 2" in text
        assert "Interview with P1" in text and "Interview with P2" in text
        # repair sits in the nested list inside alliance's item
        head = text.index(f'id="code-{alliance.uuid}"')
        assert head < text.index("codebook-children", head) < text.index(f'id="code-{repair.uuid}"')

    def test_retired_codes_are_listed_apart(self, client_for, study, listening, coder_a):
        code_by(study, coder_a, "pace")
        codebook.code_retire(member=member(study, coder_a), code=listening, reason="Too broad.")
        text = client_for(coder_a).get(codebook_url(study)).text
        live, retired = text.split('id="retired-codes"')
        assert "pace" in live and "listening" not in live
        assert "listening" in retired and "2 codings" in retired

    def test_an_outsider_gets_404(self, client_for, study, outsider):
        assert client_for(outsider).get(codebook_url(study)).status_code == 404

    @pytest.mark.parametrize("size", [1, 10])
    def test_the_query_count_does_not_grow_with_codes_or_codings(
        self, client_for, study, lead, coder_a, coder_b, size, django_assert_num_queries
    ):
        client = client_for(lead)
        client.get(reverse("study-list"))
        transcripts = [make_locked_transcript(study, f"P{n}") for n in range(1, 3)]
        previous = None
        for n in range(size * 3):
            coder = (coder_a, coder_b)[n % 2]
            code = code_by(study, coder, f"code {n}")
            if previous is not None:
                code.parent = previous
                code.save()
            previous = code if n % 3 else None
            for transcript in transcripts:
                for offset in range(size):
                    Coding.objects.create(
                        version=transcript.versions.get(),
                        code=code,
                        coder=coder,
                        start=offset,
                        end=offset + 4,
                    )
        with django_assert_num_queries(8):
            response = client.get(codebook_url(study))
        assert response.text.count("data-counts") == size * 3


class TestBlindRule:
    @pytest.fixture
    def layers(self, study, transcript, lead, coder_a, coder_b):
        """A lead's code both coders used, and a code of coder_b's own with a canary label."""
        shared = code_by(study, lead, "shared ground")
        apply(study, transcript, coder_a, "I listen first", shared)
        apply(study, transcript, coder_b, "I name it", shared)
        canary = code_by(study, coder_b, "zx-canary-label")
        apply(study, transcript, coder_b, "we repair it together", canary)
        return shared, canary

    def test_coder_a_sees_neither_coder_bs_codes_nor_counts_during_an_open_round(
        self, client_for, study, transcript, layers, lead, coder_a, coder_b
    ):
        round_ = open_round(study, transcript, lead, coder_a, coder_b)
        client = client_for(coder_a)

        text = client.get(codebook_url(study)).text
        assert "zx-canary-label" not in text and "coder_b" not in text
        assert "1 coding:" in text and "coder_a 1" in text
        assert "A blind round is open" in text

        round_.closed_at = round_.opened_at
        round_.save()
        text = client.get(codebook_url(study)).text
        assert "zx-canary-label" in text and "2 codings:" in text and "coder_b 1" in text

    def test_a_hidden_code_s_page_is_not_found_and_a_shared_one_shows_only_ones_own(
        self, client_for, study, transcript, layers, lead, coder_a, coder_b
    ):
        shared, canary = layers
        open_round(study, transcript, lead, coder_a, coder_b)
        client = client_for(coder_a)
        assert client.get(code_url(study, canary)).status_code == 404
        assert (
            client.post(code_url(study, canary, "rename"), {"rename-label": "x"}).status_code == 404
        )
        text = client.get(code_url(study, shared)).text
        assert "I listen first" in text and "I name it" not in text and "coder_b" not in text

    def test_a_history_s_counts_are_not_shown_while_a_round_hides_codings(
        self, client_for, study, transcript, layers, lead, coder_a, coder_b
    ):
        shared, _canary = layers
        other = code_by(study, lead, "common ground")
        open_round(study, transcript, lead, coder_a, coder_b)
        codebook.codes_merge(member=member(study, lead), code=shared, into=other, reason="Same.")
        assert "2 codings moved" in client_for(lead).get(code_url(study, other)).text
        text = client_for(coder_a).get(code_url(study, other)).text
        assert "Merged in" in text and "moved" not in text

    def test_a_parent_hidden_by_the_round_is_neither_shown_nor_lost(
        self, client_for, study, transcript, lead, coder_a, coder_b
    ):
        theirs = code_by(study, coder_b, "zx-canary-label")
        mine = code_by(study, coder_a, "pace")
        codebook.code_redefine(
            member=member(study, lead),
            code=mine,
            description="",
            kind="semantic",
            colour=mine.colour,
            parent=theirs,
        )
        open_round(study, transcript, lead, coder_a, coder_b)
        client = client_for(coder_a)
        text = client.get(code_url(study, mine)).text
        assert "zx-canary-label" not in text and "a code hidden from you" in text
        response = client.post(
            code_url(study, mine, "redefine"),
            {
                "redefine-description": "Tempo of the session.",
                "redefine-kind": "semantic",
                "redefine-colour": mine.colour,
            },
        )
        assert response.status_code == 302
        mine.refresh_from_db()
        assert (mine.description, mine.parent) == ("Tempo of the session.", theirs)

    def test_a_merge_never_moves_a_coding_hidden_from_its_member(
        self, client_for, study, transcript, lead, coder_a, coder_b
    ):
        mine = code_by(study, coder_a, "pace")
        target = code_by(study, coder_a, "tempo")
        apply(study, transcript, lead, "I name it", mine)  # the lead used coder_a's code
        open_round(study, transcript, lead, coder_a, coder_b)
        before = snapshot(mine)
        response = client_for(coder_a).post(
            code_url(study, mine, "merge"),
            {"merge-into": target.uuid, "merge-reason": "Same idea."},
            headers=HTMX,
        )
        assert response.status_code == 422 and "hidden from you" in response.text
        assert snapshot(mine) == before


class TestCodePage:
    def test_a_viewer_reads_the_definition_history_and_codings_without_forms(
        self, client_for, study, listening, coder_a, viewer
    ):
        codebook.code_rename(
            member=member(study, coder_a), code=listening, label="attending", reason="Clearer."
        )
        response = client_for(viewer).get(code_url(study, listening))
        assert response.status_code == 200
        text = response.text
        assert "Attending before acting." in text
        assert "Created" in text and "Renamed" in text and "“listening” → “attending”" in text
        assert "Clearer." in text and "by coder_a" in text
        assert "I listen first" in text and "Change this code" not in text

    def test_excerpts_are_cut_in_code_points(self, client_for, study, listening, coder_a):
        # "café small talk" comes after an emoji, one code point but two UTF-16 units.
        text = client_for(coder_a).get(code_url(study, listening)).text
        assert "<q>café small talk</q>" in text and "“café small talk”" in text

    def test_its_creator_gets_the_forms_and_another_coder_does_not(
        self, client_for, study, listening, coder_b
    ):
        assert (
            "Change this code"
            in client_for(listening.created_by).get(code_url(study, listening)).text
        )
        text = client_for(coder_b).get(code_url(study, listening)).text
        assert "Change this code" not in text and "Only coder_a, a lead or a custodian" in text

    def test_an_outsider_and_an_unknown_code_get_404(self, client_for, study, listening, outsider):
        assert client_for(outsider).get(code_url(study, listening)).status_code == 404
        missing = reverse("coding-code", args=[study.slug, "00000000-0000-0000-0000-000000000001"])
        assert client_for(listening.created_by).get(missing).status_code == 404


class TestRename:
    def test_a_coder_renames_their_code(self, client_for, study, listening, coder_a):
        response = client_for(coder_a).post(
            code_url(study, listening, "rename"),
            {"rename-label": "  attentive   listening ", "rename-reason": "More precise."},
        )
        assert response.status_code == 302
        assert response["Location"] == code_url(study, listening)
        listening.refresh_from_db()
        assert listening.label == "attentive listening"
        event = listening.events.last()
        assert (event.kind, event.by, event.reason, event.details) == (
            CodeEvent.Kind.RENAMED,
            coder_a,
            "More precise.",
            {"from": "listening", "to": "attentive listening"},
        )
        assert changes() == [
            {
                "change": "renamed",
                "code": str(listening.uuid),
                "from": "listening",
                "to": "attentive listening",
            }
        ]

    def test_htmx_gets_the_region_and_an_event(self, client_for, study, listening, coder_a):
        response = client_for(coder_a).post(
            code_url(study, listening, "rename"), {"rename-label": "Listening"}, headers=HTMX
        )
        assert response.status_code == 200
        assert response.text.lstrip().startswith('<div id="code-detail"')
        assert "Renamed “listening” to “Listening”." in response.text
        assert json.loads(response["HX-Trigger"]) == {
            "codebook-changed": {"code": str(listening.uuid), "change": "renamed"}
        }

    def test_a_lead_renames_a_coders_code(self, client_for, study, listening, lead):
        response = client_for(lead).post(
            code_url(study, listening, "rename"), {"rename-label": "attending"}
        )
        assert response.status_code == 302
        assert Code.objects.get(pk=listening.pk).label == "attending"

    @pytest.mark.parametrize(("persona", "status"), [("viewer", 403), ("coder_b", 403)])
    def test_who_may_not_changes_nothing(
        self, client_for, study, listening, personas, persona, status
    ):
        before = snapshot(listening)
        response = client_for(personas[persona]).post(
            code_url(study, listening, "rename"), {"rename-label": "attending"}
        )
        assert response.status_code == status
        assert snapshot(listening) == before and not changes()

    def test_an_outsider_gets_404(self, client_for, study, listening, outsider):
        response = client_for(outsider).post(
            code_url(study, listening, "rename"), {"rename-label": "attending"}
        )
        assert response.status_code == 404

    @pytest.mark.parametrize(
        ("label", "message"),
        [
            ("   ", "A code needs a label."),
            ("PACE", "You already have a live code called “PACE”."),
            ("listening", "The code is already called “listening”."),
            ("x" * 121, "at most 120 characters"),
        ],
    )
    def test_bad_input_is_explained_and_nothing_changes(
        self, client_for, study, listening, coder_a, label, message
    ):
        code_by(study, coder_a, "pace")
        before = snapshot(listening)
        response = client_for(coder_a).post(
            code_url(study, listening, "rename"), {"rename-label": label}, headers=HTMX
        )
        assert response.status_code == 422
        assert message in response.text
        assert snapshot(listening) == before and not changes()

    def test_another_coder_may_hold_the_same_label(self, client_for, study, listening, coder_b):
        mine = code_by(study, coder_b, "attending")
        response = client_for(coder_b).post(
            code_url(study, mine, "rename"), {"rename-label": "Listening"}
        )
        assert response.status_code == 302

    def test_a_retired_code_no_longer_changes(self, client_for, study, listening, coder_a):
        codebook.code_retire(member=member(study, coder_a), code=listening, reason="Unused.")
        before = snapshot(listening)
        response = client_for(coder_a).post(
            code_url(study, listening, "rename"), {"rename-label": "attending"}
        )
        assert response.status_code == 422 and "is retired" in response.text
        assert snapshot(listening) == before


class TestRedefine:
    def data(self, **overrides):
        data = {
            "redefine-description": "Attending closely before acting.",
            "redefine-kind": "latent",
            "redefine-colour": PALETTE[3],
            "redefine-parent": "",
            "redefine-reason": "After the first meeting.",
        }
        data.update({f"redefine-{key}": value for key, value in overrides.items()})
        return data

    def test_a_coder_redefines_their_code(self, client_for, study, listening, coder_a):
        parent = code_by(study, coder_a, "alliance")
        response = client_for(coder_a).post(
            code_url(study, listening, "redefine"), self.data(parent=parent.uuid)
        )
        assert response.status_code == 302
        listening.refresh_from_db()
        assert (listening.description, listening.kind, listening.colour, listening.parent) == (
            "Attending closely before acting.",
            "latent",
            PALETTE[3],
            parent,
        )
        event = listening.events.last()
        assert event.kind == CodeEvent.Kind.REDEFINED and event.reason == "After the first meeting."
        assert event.details["kind"] == {"from": "semantic", "to": "latent"}
        assert event.details["parent"] == {"from": None, "to": str(parent.uuid)}
        assert changes() == [
            {
                "change": "redefined",
                "code": str(listening.uuid),
                "fields": ["colour", "description", "kind", "parent"],
            }
        ]
        text = client_for(coder_a).get(code_url(study, listening)).text
        assert "Kind: Semantic → Latent." in text and "Now under " in text

    def test_a_viewer_may_not(self, client_for, study, listening, viewer):
        before = snapshot(listening)
        response = client_for(viewer).post(code_url(study, listening, "redefine"), self.data())
        assert response.status_code == 403 and snapshot(listening) == before

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"colour": "#123456"}, "Select a valid choice"),
            ({"kind": "manifest"}, "Select a valid choice"),
            ({"parent": "self"}, "The parent must be a live code other than this one"),
            ({"parent": "child"}, "The parent must be a live code other than this one"),
            (
                {"description": "Attending before acting.", "kind": "semantic", "colour": "same"},
                "Nothing changed.",
            ),
        ],
    )
    def test_bad_input_is_explained_and_nothing_changes(
        self, client_for, study, listening, coder_a, overrides, message
    ):
        child = code_by(study, coder_a, "pausing")
        codebook.code_redefine(
            member=member(study, coder_a),
            code=child,
            description="",
            kind="semantic",
            colour=child.colour,
            parent=listening,
        )
        refs = {"self": listening.uuid, "child": child.uuid, "same": listening.colour}
        overrides = {key: refs.get(value, value) for key, value in overrides.items()}
        before = snapshot(listening)
        response = client_for(coder_a).post(
            code_url(study, listening, "redefine"), self.data(**overrides), headers=HTMX
        )
        assert response.status_code == 422
        assert message in response.text
        assert snapshot(listening) == before


class TestMerge:
    @pytest.fixture
    def target(self, study, transcript, coder_a, coder_b):
        """coder_a's "attending", already on one of listening's passages, and used by coder_b."""
        code = code_by(study, coder_a, "attending")
        apply(study, transcript, coder_a, "I listen first", code)
        apply(study, transcript, coder_b, "we repair it together", code)
        return code

    def test_a_coder_merges_their_code_and_every_coding_is_kept(
        self, client_for, study, transcript, listening, target, coder_a
    ):
        passages = set(Coding.objects.values_list("version", "coder", "start", "end"))
        memo = Memo.objects.create(
            study=study,
            author=coder_a,
            text="Said twice.",
            coding=Coding.objects.get(code=listening, start=target.codings.first().start),
        )
        response = client_for(coder_a).post(
            code_url(study, listening, "merge"),
            {"merge-into": target.uuid, "merge-reason": "The same idea."},
        )
        assert response.status_code == 302
        assert response["Location"] == code_url(study, target)
        listening.refresh_from_db()
        assert listening.retired_at is not None and not listening.codings.exists()
        # 4 codings before: 2 of listening, 2 of the target, one passage under both codes.
        assert Coding.objects.count() == 3 and target.codings.count() == 3
        assert set(target.codings.values_list("version", "coder", "start", "end")) == passages
        memo.refresh_from_db()
        assert memo.coding.code == target
        assert [(e.kind, e.details) for e in CodeEvent.objects.filter(kind="merged")] == [
            (
                "merged",
                {"into": str(target.uuid), "moved": 1, "duplicates_removed": 1},
            ),
            (
                "merged",
                {"from": str(listening.uuid), "moved": 1, "duplicates_removed": 1},
            ),
        ]
        assert changes() == [
            {
                "change": "merged",
                "code": str(listening.uuid),
                "into": str(target.uuid),
                "moved": 1,
                "duplicates_removed": 1,
            }
        ]

    def test_htmx_is_sent_on_to_the_target(self, client_for, study, listening, target, coder_a):
        response = client_for(coder_a).post(
            code_url(study, listening, "merge"),
            {"merge-into": target.uuid, "merge-reason": "The same idea."},
            headers=HTMX,
        )
        assert response["HX-Redirect"] == code_url(study, target)

    def test_sub_codes_move_to_the_target_and_a_target_below_takes_the_codes_place(
        self, study, coder_a
    ):
        me = member(study, coder_a)
        top, middle, bottom, side = (
            code_by(study, coder_a, label) for label in ("top", "middle", "bottom", "side")
        )
        for code, parent in [(middle, top), (bottom, middle), (side, top)]:
            codebook.code_redefine(
                member=me,
                code=code,
                description="",
                kind="semantic",
                colour=code.colour,
                parent=parent,
            )
        codebook.codes_merge(member=me, code=top, into=bottom, reason="One idea.")
        parents = dict(Code.objects.values_list("label", "parent__label"))
        assert parents == {"top": None, "bottom": None, "middle": "bottom", "side": "bottom"}

    @pytest.mark.parametrize(
        ("into", "reason", "message"),
        [
            ("self", "x", "Merge into a live code of this codebook, other than this one."),
            ("retired", "x", "Merge into a live code of this codebook, other than this one."),
            ("", "x", "Choose the code to merge into."),
            ("target", " ", "Give a reason: the code&#x27;s history keeps it."),
        ],
    )
    def test_bad_input_is_explained_and_nothing_changes(
        self, client_for, study, listening, target, coder_a, into, reason, message
    ):
        retired = code_by(study, coder_a, "old")
        codebook.code_retire(member=member(study, coder_a), code=retired, reason="Unused.")
        refs = {"self": listening.uuid, "retired": retired.uuid, "target": target.uuid}
        before = snapshot(listening)
        response = client_for(coder_a).post(
            code_url(study, listening, "merge"),
            {"merge-into": refs.get(into, into), "merge-reason": reason},
            headers=HTMX,
        )
        assert response.status_code == 422
        assert message in response.text
        assert snapshot(listening) == before

    def test_a_coder_may_not_merge_another_coders_code(
        self, client_for, study, listening, target, coder_b
    ):
        before = snapshot(listening)
        response = client_for(coder_b).post(
            code_url(study, listening, "merge"),
            {"merge-into": target.uuid, "merge-reason": "Same."},
        )
        assert response.status_code == 403 and snapshot(listening) == before


class TestSplit:
    def test_a_coder_splits_off_the_chosen_codings(self, client_for, study, listening, coder_a):
        before = Coding.objects.count()
        moving = listening.codings.get(start=listening.codings.order_by("start").last().start)
        response = client_for(coder_a).post(
            code_url(study, listening, "split"),
            {
                "split-label": "small talk",
                "split-description": "Talk about nothing that builds the bond.",
                "split-codings": [moving.uuid],
                "split-reason": "Two ideas in one code.",
            },
        )
        assert response.status_code == 302
        new = Code.objects.get(label="small talk")
        assert (new.created_by, new.kind, new.parent) == (coder_a, listening.kind, None)
        assert list(new.codings.all()) == [moving]
        assert listening.codings.count() == 1 and Coding.objects.count() == before
        assert listening.events.last().details == {"into": str(new.uuid), "moved": 1}
        assert new.events.get().details == {"split_from": str(listening.uuid), "moved": 1}
        assert changes() == [
            {"change": "split", "code": str(listening.uuid), "new_code": str(new.uuid), "moved": 1}
        ]

    def test_a_lead_splits_a_coders_code_into_the_coders_layer(
        self, client_for, study, listening, lead, coder_a
    ):
        response = client_for(lead).post(
            code_url(study, listening, "split"),
            {
                "split-label": "small talk",
                "split-codings": [listening.codings.first().uuid],
                "split-reason": "Two ideas.",
            },
            headers=HTMX,
        )
        assert response.status_code == 200 and "Split “small talk” off “listening”" in response.text
        assert Code.objects.get(label="small talk").created_by == coder_a

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"split-label": "x", "split-reason": "y"}, "Choose at least one coding"),
            (
                {"split-label": "x", "split-reason": "y", "split-codings": ["other"]},
                "A chosen coding is not one of this code",
            ),
            ({"split-label": "", "split-reason": "y", "split-codings": ["own"]}, "needs a label"),
            ({"split-label": "x", "split-reason": "", "split-codings": ["own"]}, "Give a reason"),
            (
                {"split-label": "Listening", "split-reason": "y", "split-codings": ["own"]},
                "You already have a live code called “Listening”.",
            ),
        ],
    )
    def test_bad_input_is_explained_and_nothing_changes(
        self, client_for, study, transcript, listening, coder_a, data, message
    ):
        other = apply(study, transcript, coder_a, "I name it", code_by(study, coder_a, "naming"))
        refs = {"other": other.uuid, "own": listening.codings.first().uuid}
        data = {**data, "split-codings": [refs[v] for v in data.get("split-codings", [])]}
        before = (snapshot(listening), Code.objects.count())
        response = client_for(coder_a).post(code_url(study, listening, "split"), data, headers=HTMX)
        assert response.status_code == 422
        assert message in response.text
        assert (snapshot(listening), Code.objects.count()) == before

    def test_a_viewer_may_not(self, client_for, study, listening, viewer):
        response = client_for(viewer).post(
            code_url(study, listening, "split"),
            {
                "split-label": "x",
                "split-reason": "y",
                "split-codings": [listening.codings.first().uuid],
            },
        )
        assert response.status_code == 403 and Code.objects.count() == 1


class TestRetire:
    def test_a_coder_retires_their_code_and_its_codings_stay(
        self, client_for, study, listening, coder_a
    ):
        child = code_by(study, coder_a, "pausing")
        codebook.code_redefine(
            member=member(study, coder_a),
            code=child,
            description="",
            kind="semantic",
            colour=child.colour,
            parent=listening,
        )
        response = client_for(coder_a).post(
            code_url(study, listening, "retire"), {"retire-reason": "Folded into the theme."}
        )
        assert response.status_code == 302
        listening.refresh_from_db()
        assert listening.retired_at is not None and listening.codings.count() == 2
        assert Code.objects.get(pk=child.pk).parent is None
        event = listening.events.last()
        assert (event.kind, event.reason, event.details) == (
            "retired",
            "Folded into the theme.",
            {"codings_kept": 2, "subcodes_moved_up": 1},
        )
        assert changes()[-1] == {
            "change": "retired",
            "code": str(listening.uuid),
            "codings_kept": 2,
            "subcodes_moved_up": 1,
        }

    def test_a_reason_is_required(self, client_for, study, listening, coder_a):
        before = snapshot(listening)
        response = client_for(coder_a).post(
            code_url(study, listening, "retire"), {"retire-reason": ""}, headers=HTMX
        )
        assert response.status_code == 422 and "Give a reason" in response.text
        assert snapshot(listening) == before

    def test_a_viewer_may_not(self, client_for, study, listening, viewer):
        response = client_for(viewer).post(
            code_url(study, listening, "retire"), {"retire-reason": "No."}
        )
        assert response.status_code == 403
        assert Code.objects.get(pk=listening.pk).retired_at is None


class TestServices:
    """The services refuse what the forms already keep out, for callers without a form."""

    def test_rename_refuses_an_empty_or_taken_label(self, study, listening, coder_a):
        me = member(study, coder_a)
        code_by(study, coder_a, "pace")
        with pytest.raises(ValidationError, match="needs a label"):
            codebook.code_rename(member=me, code=listening, label=" ")
        with pytest.raises(ValidationError, match="already have a live code"):
            codebook.code_rename(member=me, code=listening, label="Pace")

    def test_a_retired_label_is_free_again(self, study, listening, coder_a):
        me = member(study, coder_a)
        old = code_by(study, coder_a, "pace")
        codebook.code_retire(member=me, code=old, reason="Unused.")
        assert codebook.code_rename(member=me, code=listening, label="pace").label == "pace"

    def test_a_coder_may_not_change_another_coders_code(self, study, listening, coder_b):
        with pytest.raises(PermissionDenied):
            codebook.code_rename(member=member(study, coder_b), code=listening, label="x")

    def test_merge_refuses_itself_a_retired_and_a_hidden_target(
        self, study, transcript, listening, lead, coder_a, coder_b
    ):
        me = member(study, coder_a)
        with pytest.raises(ValidationError, match="into itself"):
            codebook.codes_merge(member=me, code=listening, into=listening, reason="x")
        retired = code_by(study, coder_a, "old")
        codebook.code_retire(member=me, code=retired, reason="x")
        with pytest.raises(ValidationError, match="is retired"):
            codebook.codes_merge(member=me, code=listening, into=retired, reason="x")
        hidden = code_by(study, coder_b, "theirs")
        open_round(study, transcript, lead, coder_a, coder_b)
        with pytest.raises(ValidationError, match="you can see"):
            codebook.codes_merge(member=me, code=listening, into=hidden, reason="x")
        with pytest.raises(ValidationError, match="Give a reason"):
            codebook.codes_merge(
                member=me, code=listening, into=code_by(study, coder_a, "y"), reason=""
            )

    def test_split_refuses_no_codings_and_codings_of_another_code(
        self, study, transcript, listening, coder_a
    ):
        me = member(study, coder_a)
        with pytest.raises(ValidationError, match="at least one coding"):
            codebook.code_split(member=me, code=listening, label="x", codings=[], reason="y")
        other = apply(study, transcript, coder_a, "I name it", code_by(study, coder_a, "naming"))
        with pytest.raises(ValidationError, match="not one of"):
            codebook.code_split(member=me, code=listening, label="x", codings=[other], reason="y")
        assert not Code.objects.filter(label="x").exists()

    def test_redefine_refuses_a_parent_cycle(self, study, listening, coder_a):
        me = member(study, coder_a)
        middle, bottom = code_by(study, coder_a, "middle"), code_by(study, coder_a, "bottom")
        for code, parent in [(middle, listening), (bottom, middle)]:
            codebook.code_redefine(
                member=me,
                code=code,
                description="",
                kind="semantic",
                colour=code.colour,
                parent=parent,
            )
        with pytest.raises(ValidationError, match="own sub-code"):
            codebook.code_redefine(
                member=me,
                code=listening,
                description=listening.description,
                kind="semantic",
                colour=listening.colour,
                parent=bottom,
            )
        with pytest.raises(ValidationError, match="under itself"):
            codebook.code_redefine(
                member=me,
                code=listening,
                description=listening.description,
                kind="semantic",
                colour=listening.colour,
                parent=listening,
            )
        assert Code.objects.get(pk=listening.pk).parent is None


class TestConcurrentChanges:
    """Two people with the same code's page open: the second change, made from the page as it was
    before the first, is refused with 409 and the code as it now is — never silently merged."""

    def test_a_change_from_a_stale_page_is_refused_and_shows_the_code_as_it_is(
        self, client_for, study, listening, coder_a, lead
    ):
        page = client_for(coder_a).get(code_url(study, listening))
        assert f'name="revision" value="{listening.revision}"' in page.text
        stale = listening.revision
        renamed = client_for(lead).post(
            code_url(study, listening, "rename"),
            {"rename-label": "attending", "revision": stale},
        )
        assert renamed.status_code == 302
        before = snapshot(listening)
        response = client_for(coder_a).post(
            code_url(study, listening, "redefine"),
            {
                "redefine-description": "Mine.",
                "redefine-kind": "latent",
                "redefine-colour": PALETTE[2],
                "redefine-parent": "",
                "revision": stale,
            },
            headers=HTMX,
        )
        assert response.status_code == 409
        assert (
            f"“attending” was changed (renamed by {lead.username}) after you opened"
            in response.text
        )
        assert f'name="revision" value="{stale + 1}"' in response.text
        assert snapshot(listening) == before

    @pytest.mark.parametrize("action", ["rename", "merge", "split", "retire"])
    def test_every_change_makes_a_new_revision(self, study, listening, coder_a, action):
        me = member(study, coder_a)
        before = Code.objects.get(pk=listening.pk).revision
        other = code_by(study, coder_a, "attending")
        if action == "rename":
            codebook.code_rename(member=me, code=listening, label="heard")
        elif action == "merge":
            codebook.codes_merge(member=me, code=other, into=listening, reason="Same idea.")
        elif action == "split":
            codebook.code_split(
                member=me, code=listening, label="hearing", codings=listening.codings.all()[:1],
                reason="Two ideas.",
            )  # fmt: skip
        else:
            codebook.code_retire(member=me, code=listening, reason="Unused.")
        assert Code.objects.get(pk=listening.pk).revision == before + 1
        with pytest.raises(codebook.Stale):
            codebook.code_rename(member=me, code=listening, label="again", revision=before)

    def test_a_damaged_revision_is_explained(self, client_for, study, listening, coder_a):
        before = snapshot(listening)
        response = client_for(coder_a).post(
            code_url(study, listening, "rename"), {"rename-label": "heard", "revision": "two"}
        )
        assert response.status_code == 422 and "its revision is not a number" in response.text
        assert snapshot(listening) == before


@pytest.mark.parametrize("size", [1, 10])
def test_a_code_pages_query_count_does_not_grow_with_its_codings(
    client_for, study, lead, coder_a, coder_b, size, django_assert_num_queries
):
    client = client_for(lead)
    client.get(reverse("study-list"))
    code = code_by(study, coder_a, "listening")
    for n in range(size):
        transcript = make_locked_transcript(study, f"P{n + 1}")
        for coder in (coder_a, coder_b):
            apply(study, transcript, coder, "I listen first", code)
        codebook.code_rename(member=member(study, lead), code=code, label=f"listening {n}")
    with django_assert_num_queries(12):
        response = client.get(code_url(study, code))
    assert response.text.count("<q>I listen first</q>") == size * 2


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_the_browser_a_coder_renames_and_splits_in_place(page, study, coder_a):
    transcript = make_locked_transcript(study)
    code = code_by(study, coder_a, "listening")
    apply(study, transcript, coder_a, "I listen first", code)
    apply(study, transcript, coder_a, "café small talk", code)
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("coder_a")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(code_url(study, code))

    page.locator("summary", has_text="Rename").click()
    page.get_by_label("New label").fill("")
    page.get_by_role("button", name="Rename").click()
    expect(page.locator("#code-detail")).to_contain_text("A code needs a label.")
    page.get_by_label("New label").fill("attentive listening")
    page.get_by_role("button", name="Rename").click()
    expect(page.locator("h1")).to_contain_text("attentive listening")
    expect(page.locator("#messages")).to_contain_text("Renamed “listening”")

    page.locator("summary", has_text="Split off a new code").click()
    page.get_by_label("Label of the new code").fill("small talk")
    page.get_by_label("café small talk", exact=False).check()
    page.locator("#id_split-reason").fill("Two ideas in one code.")
    page.get_by_role("button", name="Split").click()
    expect(page.locator("#messages")).to_contain_text("Split “small talk” off")
    expect(page.locator("#extracts")).to_contain_text("(1)")
    assert page.url.endswith(code_url(study, code))  # all in place, no page load
    assert Code.objects.get(label="small talk").codings.count() == 1
