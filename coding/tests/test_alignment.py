"""Aligning codes across coders: the pure suggestion ranking, the service that reads the coders'
layers under the blind rule and confirms and removes alignments, and the page."""

import random

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from coding.models import Code, CodeAlignment, Coding, CodingRound, RoundCoder
from coding.reconcile import alignment
from coding.reconcile.align import (
    alignment_confirm,
    alignment_remove,
    alignment_suggestions,
    alignments_between,
)
from coding.reconcile.alignment import Suggestion, label_similarity, normalise, suggest
from coding.services import code_create, coding_apply
from coding.tests.factories import make_locked_transcript
from studies.models import AuditEvent, Membership
from studies.tests.factories import make_study

HTMX = {"HX-Request": "true"}
CANARY = "zq-align-canary-4c1d"


# The pure module ---------------------------------------------------------------------------------


class TestLabels:
    @pytest.mark.parametrize(
        ("x", "y"),
        [
            ("Creating safety", "creating-safety"),
            ("create safety", "Creating   safety!"),
            ("Boundaries", "boundary"),
            ("rupture and repair", "Rupture & repair"),
            ("the client's matches", "client match"),
            ("Café", "cafe"),
        ],
    )
    def test_the_same_label_written_differently_is_the_same(self, x, y):
        assert normalise(x) == normalise(y)
        assert label_similarity(x, y) == 1.0

    def test_unlike_labels_score_low_and_close_ones_high(self):
        assert label_similarity("creating safety", "safe space") < alignment.LABEL_FLOOR
        assert label_similarity("listening", "humour") < alignment.LABEL_FLOOR
        assert label_similarity("rupture and repair", "repairing ruptures") > 0.7
        assert label_similarity("client trust", "trust") > alignment.LABEL_FLOOR

    def test_a_label_of_only_punctuation_is_compared_as_written(self):
        assert label_similarity("?!", "?!") == 1.0
        assert label_similarity("?!", "...") < alignment.LABEL_FLOOR


def by_pair(suggestions: list[Suggestion]) -> dict[tuple, Suggestion]:
    return {(s.a, s.b): s for s in suggestions}


class TestSuggest:
    CODES_A = [(1, "Listening"), (2, "creating safety"), (3, "silence")]
    CODES_B = [(11, "listening"), (12, "safe space"), (13, "humour")]
    SPANS_A = [
        (2, "t1", 0, 100),
        (2, "t1", 200, 300),
        (3, "t1", 500, 600),
        (1, "t2", 0, 50),
    ]
    SPANS_B = [
        (12, "t1", 10, 100),
        (12, "t1", 200, 310),
        (13, "t2", 500, 600),  # the same offsets as A's silence, on another transcript
    ]

    def result(self, **kwargs) -> list[Suggestion]:
        return suggest(self.CODES_A, self.CODES_B, self.SPANS_A, self.SPANS_B, **kwargs)

    def test_identical_labels_rank_first(self):
        first = self.result()[0]
        assert (first.a, first.b) == (1, 11)
        assert first.score == 1.0 and first.label_similarity == 1.0
        assert first.co_coverage == 0.0 and first.shared_passages == 0

    def test_codes_covering_the_same_text_are_found_whatever_their_labels(self):
        found = by_pair(self.result())[(2, 12)]
        assert found.label_similarity < alignment.LABEL_FLOOR
        # A covers 200 characters, B 200; both cover 90 + 100 of the 210 either covers.
        assert found.co_coverage == pytest.approx(190 / 210)
        assert found.score == pytest.approx(190 / 210)
        assert found.shared_passages == 2

    def test_unrelated_codes_are_left_out(self):
        pairs = set(by_pair(self.result()))
        assert pairs == {(1, 11), (2, 12)}  # not silence ~ humour: other transcript, other words

    def test_the_order_does_not_depend_on_the_input(self):
        expected = self.result()
        rng = random.Random(7)  # noqa: S311 — test data, not secrets
        for _ in range(5):
            lists = [list(x) for x in (self.CODES_A, self.CODES_B, self.SPANS_A, self.SPANS_B)]
            for x in lists:
                rng.shuffle(x)
            assert suggest(*lists) == expected

    def test_ties_are_ranked_by_ids(self):
        codes_a = [(5, "trust"), (4, "trust")]
        codes_b = [(9, "trust"), (8, "trust")]
        pairs = [(s.a, s.b) for s in suggest(codes_a, codes_b, [], [])]
        assert pairs == [(4, 8), (4, 9), (5, 8), (5, 9)]

    def test_both_signals_rank_above_either_alone(self):
        codes_a = [(1, "repair work"), (2, "pause")]
        codes_b = [(11, "repairing"), (12, "repair"), (13, "quiet")]
        spans_a = [(1, "t", 0, 10), (2, "t", 100, 120)]
        spans_b = [(11, "t", 0, 20), (13, "t", 100, 140)]
        result = suggest(codes_a, codes_b, spans_a, spans_b)
        both, label, text = (by_pair(result)[pair] for pair in [(1, 11), (1, 12), (2, 13)])
        assert both.label_similarity == label.label_similarity > alignment.LABEL_FLOOR
        assert both.co_coverage == text.co_coverage == 0.5
        assert label.co_coverage == 0 and text.label_similarity < alignment.LABEL_FLOOR
        assert both.score > max(label.score, text.score)
        assert result[0] == both

    def test_a_code_is_never_paired_with_itself(self):
        assert suggest([(1, "trust")], [(1, "trust")], [(1, "t", 0, 5)], [(1, "t", 0, 5)]) == []

    def test_excluded_pairs_and_the_limit(self):
        assert [(s.a, s.b) for s in self.result(exclude=[(1, 11)])] == [(2, 12)]
        assert len(self.result(limit=1)) == 1
        assert len(self.result(limit=None)) == 2
        with pytest.raises(ValueError, match="limit"):
            self.result(limit=-1)

    def test_one_codes_overlapping_and_touching_codings_count_once(self):
        spans_a = [(1, "t", 0, 10), (1, "t", 5, 15), (1, "t", 15, 20)]
        spans_b = [(2, "t", 0, 20)]
        (found,) = suggest([(1, "x")], [(2, "y")], spans_a, spans_b)
        assert (found.co_coverage, found.shared_passages) == (1.0, 1)

    def test_codings_of_unlisted_codes_are_ignored(self):
        assert suggest([(1, "x")], [(2, "y")], [(7, "t", 0, 5)], [(2, "t", 0, 5)]) == []

    def test_an_empty_coding_is_refused(self):
        with pytest.raises(ValueError, match="covers some text"):
            suggest([(1, "x")], [(2, "y")], [(1, "t", 5, 5)], [])

    def test_300_by_300_codes_and_8000_codings_are_ranked(self):
        rng = random.Random(3)  # noqa: S311 — test data, not secrets
        words = ["safety", "space", "trust", "rupture", "repair", "listen", "client", "hope"]

        def codes(first: int) -> list[tuple[int, str]]:
            return [(first + i, f"{' '.join(rng.sample(words, 2))} {i}") for i in range(300)]

        codes_a, codes_b = codes(0), codes(1000)

        def spans(codes) -> list:
            out = []
            for _ in range(4000):
                start = rng.randrange(60_000)
                out.append((rng.choice(codes)[0], rng.randrange(14), start, start + 300))
            return out

        result = suggest(codes_a, codes_b, spans(codes_a), spans(codes_b))
        assert len(result) == alignment.DEFAULT_LIMIT
        assert result == sorted(result, key=lambda s: -s.score)


# Properties: co-coverage and shared passages against a brute force over characters.

codes_st = st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=4)


@st.composite
def layers(draw):
    labels_a, labels_b = draw(codes_st), draw(codes_st)
    codes_a = [(i, label) for i, label in enumerate(labels_a)]
    codes_b = [(100 + i, label) for i, label in enumerate(labels_b)]

    def spans(codes):
        result = []
        for _ in range(draw(st.integers(0, 8))):
            start = draw(st.integers(0, 40))
            end = draw(st.integers(start + 1, start + 15))
            code = draw(st.sampled_from(codes))[0]
            result.append((code, draw(st.sampled_from("xy")), start, end))
        return result

    return codes_a, codes_b, spans(codes_a), spans(codes_b)


def covered(spans, code) -> set[tuple[str, int]]:
    return {(t, i) for c, t, start, end in spans if c == code for i in range(start, end)}


def runs(chars: set[tuple[str, int]]) -> int:
    return sum(1 for t, i in chars if (t, i - 1) not in chars)


@given(layers())
def test_co_coverage_and_passages_are_those_of_the_characters(case):
    codes_a, codes_b, spans_a, spans_b = case
    found = by_pair(suggest(codes_a, codes_b, spans_a, spans_b, limit=None))
    for a, _ in codes_a:
        for b, _ in codes_b:
            x, y = covered(spans_a, a), covered(spans_b, b)
            co = len(x & y) / len(x | y) if x & y else 0.0
            if co:
                assert found[(a, b)].co_coverage == pytest.approx(co)
                assert found[(a, b)].shared_passages == runs(x & y)
            elif (a, b) in found:
                assert found[(a, b)].co_coverage == 0.0
                assert found[(a, b)].label_similarity > alignment.LABEL_FLOOR


@given(layers(), st.randoms(use_true_random=False))
def test_ranked_best_first_in_the_same_order_whatever_the_input_order(case, rng):
    codes_a, codes_b, spans_a, spans_b = case
    result = suggest(codes_a, codes_b, spans_a, spans_b, limit=None)
    assert all(0 < s.score <= 1 and 0 <= s.label_similarity <= 1 for s in result)
    keys = [(-s.score, -s.co_coverage, -s.shared_passages, s.a, s.b) for s in result]
    assert keys == sorted(keys)
    shuffled = [list(x) for x in case]
    for x in shuffled:
        rng.shuffle(x)
    assert suggest(*shuffled, limit=None) == result
    assert suggest(*case, limit=2) == result[:2]


# The service -------------------------------------------------------------------------------------


def member(study, user) -> Membership:
    return Membership.objects.select_related("study", "user").get(study=study, user=user)


def code_by(study, user, label: str) -> Code:
    return code_create(member=member(study, user), label=label)


def apply(study, transcript, user, words: str, code: Code) -> Coding:
    start = transcript.versions.get().text.index(words)
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


def alignments() -> list[tuple[str, str]]:
    return sorted(CodeAlignment.objects.values_list("code_a__label", "code_b__label"))


def align_events() -> list[dict]:
    return list(
        AuditEvent.objects.filter(action=AuditEvent.Action.CODE_ALIGN)
        .order_by("pk")
        .values_list("details", flat=True)
    )


@pytest.fixture
def transcript(study):
    return make_locked_transcript(study)


@pytest.fixture
def layers_ab(study, transcript, coder_a, coder_b) -> dict[str, Code]:
    """Coder A's and coder B's own codes: the same label, and two labels for one passage."""
    codes = {
        "listening_a": code_by(study, coder_a, "Listening"),
        "safety": code_by(study, coder_a, "creating safety"),
        "silence": code_by(study, coder_a, "silence"),
        "listening_b": code_by(study, coder_b, "listening"),
        "space": code_by(study, coder_b, "safe space"),
        "humour": code_by(study, coder_b, "humour"),
    }
    apply(study, transcript, coder_a, "I listen first", codes["listening_a"])
    apply(study, transcript, coder_a, "we repair it together", codes["safety"])
    apply(study, transcript, coder_b, "we repair it together", codes["space"])
    apply(study, transcript, coder_a, "How did you begin", codes["silence"])
    apply(study, transcript, coder_b, "café small talk", codes["humour"])
    return codes


@pytest.mark.django_db
class TestSuggestions:
    def test_suggestions_from_both_layers(self, study, lead, coder_a, coder_b, layers_ab):
        found = alignment_suggestions(member(study, lead), coder_a, coder_b)
        pairs = [(s.a.label, s.b.label) for s in found]
        # Both score 1: the same label, and the same text; the tie goes to the shared text.
        assert pairs == [("creating safety", "safe space"), ("Listening", "listening")]
        assert [s.score for s in found] == [1.0, 1.0]
        safety = found[0]
        assert (safety.co_coverage, safety.shared_passages) == (1.0, 1)

    def test_aligned_pairs_and_retired_codes_are_not_suggested(
        self, study, lead, coder_a, coder_b, layers_ab
    ):
        alignment_confirm(
            member=member(study, lead), code_a=layers_ab["safety"], code_b=layers_ab["space"]
        )
        Code.objects.filter(pk=layers_ab["listening_b"].pk).update(retired_at=timezone.now())
        assert alignment_suggestions(member(study, lead), coder_a, coder_b) == []

    def test_a_code_used_by_the_other_coder_is_not_theirs(
        self, study, transcript, lead, coder_a, coder_b, layers_ab
    ):
        # Coder B applying A's code does not make "creating safety" cover B's passages.
        apply(study, transcript, coder_b, "café small talk", layers_ab["safety"])
        found = alignment_suggestions(member(study, lead), coder_a, coder_b)
        assert ("creating safety", "humour") not in [(s.a.label, s.b.label) for s in found]

    def test_a_coder_in_an_open_round_is_told_to_unblind_it_first(
        self, study, transcript, lead, coder_a, coder_b, layers_ab
    ):
        open_round(study, transcript, lead, coder_a, coder_b)
        with pytest.raises(ValidationError, match="coder_b's codes or codings are hidden") as e:
            alignment_suggestions(member(study, coder_a), coder_a, coder_b)
        assert "unblind the round first" in str(e.value)
        # The lead codes in no round and sees both layers.
        assert alignment_suggestions(member(study, lead), coder_a, coder_b)

    def test_a_viewer_is_blind_to_both_layers_of_an_open_round(
        self, study, transcript, lead, coder_a, coder_b, viewer, layers_ab
    ):
        open_round(study, transcript, lead, coder_a, coder_b)
        with pytest.raises(ValidationError) as e:
            alignment_suggestions(member(study, viewer), coder_a, coder_b)
        assert len(e.value.messages) == 2

    def test_codings_hidden_on_a_rounds_transcripts_refuse_too(
        self, study, transcript, lead, coder_a, coder_b, layers_ab
    ):
        # coder_b codes in no round, but on the round's transcript: hidden from coder_a.
        open_round(study, transcript, lead, coder_a)
        with pytest.raises(ValidationError, match="coder_b's codes or codings are hidden"):
            alignment_suggestions(member(study, coder_a), coder_a, coder_b)

    @pytest.mark.parametrize("who", ["same", "outsider"])
    def test_two_members_are_needed(self, study, lead, coder_a, outsider, who):
        other = coder_a if who == "same" else outsider
        message = "two different coders" if who == "same" else "outsider is not a member"
        with pytest.raises(ValidationError, match=message):
            alignment_suggestions(member(study, lead), coder_a, other)


@pytest.mark.django_db
class TestConfirm:
    def test_stored_with_the_lower_key_first_and_audited_once(
        self, study, coder_a, coder_b, layers_ab
    ):
        safety, space = layers_ab["safety"], layers_ab["space"]
        assert safety.pk < space.pk
        pair = alignment_confirm(member=member(study, coder_a), code_a=space, code_b=safety)
        assert (pair.code_a_id, pair.code_b_id) == (safety.pk, space.pk)
        assert (pair.confirmed_by, pair.study) == (coder_a, study)
        again = alignment_confirm(member=member(study, coder_b), code_a=safety, code_b=space)
        assert again.pk == pair.pk and CodeAlignment.objects.count() == 1
        assert again.confirmed_by == coder_a
        (event,) = align_events()
        assert event == {
            "change": "confirmed",
            "codes": [str(safety.uuid), str(space.uuid)],
            "coders": ["coder_a", "coder_b"],
        }

    def test_an_alignment_gives_the_codes_one_key(self, study, coder_a, layers_ab):
        from coding.reconcile.alignment_keys import code_keys, key_of

        alignment_confirm(
            member=member(study, coder_a), code_a=layers_ab["safety"], code_b=layers_ab["space"]
        )
        keys = code_keys(study)
        assert key_of(keys, layers_ab["space"].pk) == key_of(keys, layers_ab["safety"].pk)

    def refused(self, study, user, code_a, code_b, message):
        with pytest.raises(ValidationError, match=message):
            alignment_confirm(member=member(study, user), code_a=code_a, code_b=code_b)
        assert CodeAlignment.objects.count() == 0
        assert align_events() == []

    def test_a_viewer_reads_only(self, study, viewer, layers_ab):
        self.refused(study, viewer, layers_ab["safety"], layers_ab["space"], "a viewer reads")

    def test_not_a_code_with_itself(self, study, lead, layers_ab):
        self.refused(study, lead, layers_ab["safety"], layers_ab["safety"], "not with itself")

    def test_not_two_codes_of_one_coder(self, study, lead, layers_ab):
        message = "both created by coder_a: alignment maps codes across coders"
        self.refused(study, lead, layers_ab["safety"], layers_ab["silence"], message)

    def test_not_a_retired_code(self, study, lead, layers_ab):
        Code.objects.filter(pk=layers_ab["space"].pk).update(retired_at=timezone.now())
        message = "“safe space” is retired: only live codes are aligned"
        self.refused(study, lead, layers_ab["safety"], layers_ab["space"], message)

    def test_not_a_code_of_another_study(self, study, custodian, lead, layers_ab):
        other = make_study(creator=custodian, title="Another study")
        foreign = code_create(member=member(other, custodian), label="safe space")
        self.refused(study, lead, layers_ab["safety"], foreign, "belongs to another study")

    def test_not_a_code_hidden_by_an_open_round(
        self, study, transcript, lead, coder_a, coder_b, layers_ab
    ):
        open_round(study, transcript, lead, coder_a, coder_b)
        message = "hidden from you while a blind round is open"
        self.refused(study, coder_a, layers_ab["safety"], layers_ab["space"], message)


@pytest.mark.django_db
class TestRemove:
    @pytest.fixture
    def pair(self, study, lead, layers_ab) -> CodeAlignment:
        return alignment_confirm(
            member=member(study, lead), code_a=layers_ab["safety"], code_b=layers_ab["space"]
        )

    def test_removed_and_audited(self, study, coder_b, pair, layers_ab):
        alignment_remove(member=member(study, coder_b), alignment=pair)
        assert CodeAlignment.objects.count() == 0
        assert align_events()[-1]["change"] == "removed"
        assert align_events()[-1]["codes"] == [
            str(layers_ab["safety"].uuid),
            str(layers_ab["space"].uuid),
        ]

    def test_twice_is_refused(self, study, coder_b, pair):
        alignment_remove(member=member(study, coder_b), alignment=pair)
        with pytest.raises(ValidationError, match="not aligned any more"):
            alignment_remove(member=member(study, coder_b), alignment=pair)
        assert len(align_events()) == 2  # confirmed, removed

    def test_a_viewer_cannot(self, study, viewer, pair):
        with pytest.raises(ValidationError, match="a viewer reads"):
            alignment_remove(member=member(study, viewer), alignment=pair)
        assert CodeAlignment.objects.count() == 1 and len(align_events()) == 1

    def test_not_from_another_study(self, study, custodian, pair):
        other = make_study(creator=custodian, title="Another study")
        with pytest.raises(ValidationError, match="another study"):
            alignment_remove(member=member(other, custodian), alignment=pair)
        assert CodeAlignment.objects.count() == 1

    def test_not_while_its_codes_are_hidden(self, study, transcript, lead, coder_a, coder_b, pair):
        open_round(study, transcript, lead, coder_a, coder_b)
        with pytest.raises(ValidationError, match="hidden from you"):
            alignment_remove(member=member(study, coder_a), alignment=pair)
        assert CodeAlignment.objects.count() == 1
        assert alignments_between(member(study, coder_a), coder_a, coder_b) == []


# The page ----------------------------------------------------------------------------------------


def page_url(study, a=None, b=None) -> str:
    url = reverse("coding-alignment", args=[study.slug])
    return f"{url}?a={a.username}&b={b.username}" if a and b else url


def confirm_url(study) -> str:
    return reverse("coding-alignment-confirm", args=[study.slug])


def remove_url(study) -> str:
    return reverse("coding-alignment-remove", args=[study.slug])


def pair_data(code_a, code_b, a="coder_a", b="coder_b") -> dict:
    return {"code_a": str(code_a.uuid), "code_b": str(code_b.uuid), "a": a, "b": b}


@pytest.mark.django_db
class TestPage:
    def test_an_outsider_finds_nothing(self, client_for, study, outsider, layers_ab):
        client = client_for(outsider)
        assert client.get(page_url(study)).status_code == 404
        data = pair_data(layers_ab["safety"], layers_ab["space"])
        assert client.post(confirm_url(study), data).status_code == 404
        assert client.post(remove_url(study), data).status_code == 404
        assert CodeAlignment.objects.count() == 0

    def test_the_chooser_lists_the_members_with_codes(self, client_for, study, viewer, layers_ab):
        response = client_for(viewer).get(page_url(study))
        assert response.status_code == 200
        assert '<option value="coder_a">' in response.text
        assert '<option value="coder_b">' in response.text
        assert '<option value="lead">' not in response.text  # no codes
        assert "Choose two coders" in response.text

    def test_a_viewer_reads_without_buttons_and_may_not_post(
        self, client_for, study, lead, coder_a, coder_b, viewer, layers_ab
    ):
        alignment_confirm(
            member=member(study, lead),
            code_a=layers_ab["listening_a"],
            code_b=layers_ab["listening_b"],
        )
        client = client_for(viewer)
        response = client.get(page_url(study, coder_a, coder_b))
        assert response.status_code == 200
        text = response.text
        safety, space = layers_ab["safety"], layers_ab["space"]
        assert f'id="suggestion-{safety.uuid}-{space.uuid}"' in text
        assert 'id="alignment-' in text  # the confirmed pair is listed
        assert confirm_url(study) not in text and remove_url(study) not in text
        assert 'method="post"' not in text.split('id="alignment"')[1]
        data = pair_data(layers_ab["safety"], layers_ab["space"])
        assert client.post(confirm_url(study), data).status_code == 403
        listening = pair_data(layers_ab["listening_a"], layers_ab["listening_b"])
        assert client.post(remove_url(study), listening).status_code == 403
        assert alignments() == [("Listening", "listening")]

    def test_a_coder_confirms_a_suggestion(self, client_for, study, coder_a, coder_b, layers_ab):
        client = client_for(coder_a)
        page = client.get(page_url(study, coder_a, coder_b)).text
        suggestion = page.split(
            f'id="suggestion-{layers_ab["safety"].uuid}-{layers_ab["space"].uuid}"'
        )[1].split("</tr>")[0]
        assert "creating safety" in suggestion and "100%" in suggestion and "Confirm" in suggestion
        data = pair_data(layers_ab["safety"], layers_ab["space"])
        response = client.post(confirm_url(study), data)
        assert response.status_code == 302
        assert response["Location"] == page_url(study, coder_a, coder_b)
        assert alignments() == [("creating safety", "safe space")]
        page = client.get(response["Location"]).text
        assert "Aligned “creating safety” with “safe space”." in page
        assert f'id="alignment-{layers_ab["safety"].uuid}-{layers_ab["space"].uuid}"' in page
        assert f'id="suggestion-{layers_ab["safety"].uuid}' not in page

    def test_htmx_gets_the_region_and_an_event(
        self, client_for, study, coder_a, coder_b, layers_ab
    ):
        client = client_for(coder_b)
        # Coder B's page, with B's codes on the left: the pair is still stored in key order.
        data = pair_data(layers_ab["space"], layers_ab["safety"], "coder_b", "coder_a")
        response = client.post(confirm_url(study), data, headers=HTMX)
        assert response.status_code == 200
        assert response.text.lstrip().startswith('<div id="alignment">')
        assert "<h1>" not in response.text
        assert "Aligned: coder_b and coder_a" in response.text
        assert 'hx-swap-oob="true"' in response.text  # the message
        assert response["HX-Trigger"] == (
            f'{{"alignments-changed": {{"codes": ["{layers_ab["space"].uuid}", '
            f'"{layers_ab["safety"].uuid}"]}}}}'
        )
        pair = CodeAlignment.objects.get()
        assert (pair.code_a, pair.code_b) == (layers_ab["safety"], layers_ab["space"])

    def test_aligning_by_hand_without_the_coders_sent(
        self, client_for, study, coder_a, coder_b, layers_ab
    ):
        data = {"code_a": str(layers_ab["silence"].uuid), "code_b": str(layers_ab["humour"].uuid)}
        response = client_for(coder_a).post(confirm_url(study), data)
        assert response["Location"] == page_url(study, coder_a, coder_b)
        assert alignments() == [("silence", "humour")]

    def test_bad_input_is_refused_with_a_reason(
        self, client_for, study, coder_a, coder_b, layers_ab
    ):
        client = client_for(coder_a)
        same = pair_data(layers_ab["safety"], layers_ab["silence"])
        response = client.post(confirm_url(study), same, headers=HTMX)
        assert response.status_code == 422
        assert "both created by coder_a" in response.text
        assert 'id="suggestion-' in response.text  # the page stays on the two coders
        missing = {"code_a": str(layers_ab["safety"].uuid), "code_b": "not-a-uuid"}
        response = client.post(confirm_url(study), missing)
        assert response.status_code == 422
        assert "Coder B&#x27;s code is not a code you can see." in response.text
        assert "<h1>Align codes</h1>" in response.text
        assert CodeAlignment.objects.count() == 0 and align_events() == []

    def test_removing(self, client_for, study, lead, coder_a, coder_b, layers_ab):
        alignment_confirm(
            member=member(study, lead), code_a=layers_ab["safety"], code_b=layers_ab["space"]
        )
        client = client_for(coder_a)
        data = pair_data(layers_ab["safety"], layers_ab["space"])
        response = client.post(remove_url(study), data, headers=HTMX)
        assert response.status_code == 200
        assert "are no longer aligned" in response.text
        assert f'id="suggestion-{layers_ab["safety"].uuid}' in response.text  # suggested again
        assert CodeAlignment.objects.count() == 0
        again = client.post(remove_url(study), data)
        assert again.status_code == 422 and "are not aligned" in again.text

    def test_unknown_coders_are_named(self, client_for, study, coder_a, layers_ab):
        response = client_for(coder_a).get(page_url(study) + "?a=coder_a&b=nobody")
        assert response.status_code == 200
        assert "nobody is not a member of this study." in response.text

    def test_the_query_count_does_not_grow_with_codes_and_codings(
        self, client_for, study, transcript, lead, coder_a, coder_b, django_assert_num_queries
    ):
        text = transcript.versions.get().text
        words = [w for w in dict.fromkeys(text.split()) if len(w) > 3]

        def grow(n: int) -> None:
            for i in range(n):
                for user in (coder_a, coder_b):
                    code = code_by(study, user, f"{user.username} code {Code.objects.count()}")
                    word = words[i % len(words)]
                    apply(study, transcript, user, word, code)
            pairs = Code.objects.filter(created_by=coder_a).order_by("pk")
            for a, b in zip(pairs, Code.objects.filter(created_by=coder_b), strict=False):
                if not CodeAlignment.objects.filter(code_a=a).exists():
                    alignment_confirm(member=member(study, lead), code_a=a, code_b=b)
                    break

        client = client_for(coder_a)
        url = page_url(study, coder_a, coder_b)
        client.get(url)  # the session is settled by a first request
        counts = []
        for n in (2, 10):
            grow(n)
            with django_assert_num_queries(15) as captured:
                response = client.get(url)
            assert response.status_code == 200
            assert response.text.count('id="alignment-') == len(counts) + 1
            counts.append(len(captured))
        assert counts[0] == counts[1]


@pytest.mark.django_db
class TestBlindPage:
    @pytest.fixture
    def blind(self, study, transcript, lead, coder_a, coder_b, layers_ab):
        canary = code_by(study, coder_b, CANARY)
        apply(study, transcript, coder_b, "I listen first", canary)
        return open_round(study, transcript, lead, coder_a, coder_b)

    @pytest.mark.parametrize("persona", ["coder_a", "viewer"])
    def test_no_label_of_the_other_coder_during_an_open_round(
        self, client_for, study, personas, persona, coder_a, coder_b, blind
    ):
        client = client_for(personas[persona])
        for url in (
            page_url(study),
            page_url(study, coder_a, coder_b),
            page_url(study, coder_b, coder_a),
        ):
            for headers in ({}, HTMX):
                response = client.get(url, headers=headers)
                assert response.status_code == 200
                assert CANARY not in response.text and "humour" not in response.text
        refused = client.get(page_url(study, coder_a, coder_b)).text
        assert "unblind the round first" in refused
        assert '<option value="coder_b">' not in client.get(page_url(study)).text

    def test_a_post_cannot_reach_a_hidden_code(self, client_for, study, coder_a, layers_ab, blind):
        canary = Code.objects.get(label=CANARY)
        data = pair_data(layers_ab["listening_a"], canary)
        response = client_for(coder_a).post(confirm_url(study), data, headers=HTMX)
        assert response.status_code == 422
        assert CANARY not in response.text and "not a code you can see" in response.text
        assert CodeAlignment.objects.count() == 0

    def test_the_lead_sees_both_layers(self, client_for, study, lead, coder_a, coder_b, blind):
        response = client_for(lead).get(page_url(study, coder_a, coder_b))
        assert CANARY in response.text  # the canary is there to be found
