"""The difference list of two coders' codings of one transcript (a pure module: no database)."""

import random
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coding.reconcile.differences import Item, Kind, Segment, differences, excerpt, summary

TURN = "I felt safe with her. She listened. Then we talked about money."
FELT = "I felt safe with her."
LISTENED = "She listened."
MONEY = "Then we talked about money."


def at(id: int, code: str, words: str, text: str = TURN) -> Segment:
    """A coding of the (only) occurrence of ``words`` in ``text``."""
    start = text.index(words)
    assert text.find(words, start + 1) == -1, "ambiguous words"
    return Segment(id, code, start, start + len(words))


def whole(id: int, code: str) -> Segment:
    return Segment(id, code, 0, len(TURN))


def item(kind: Kind, a: tuple[Segment, ...], b: tuple[Segment, ...], overlap: float) -> Item:
    both = a + b
    start, end = min(s.start for s in both), max(s.end for s in both)
    return Item(kind, start, end, a, b, overlap)


def texts(items: list[Item], text: str = TURN) -> list[tuple[str, str]]:
    return [(item.kind, excerpt(text, item)) for item in items]


# Each kind of item --------------------------------------------------------------------------------


def test_identical_codings_are_an_agreement():
    a, b = at(1, "safety", FELT), at(2, "safety", FELT)
    assert differences([a], [b]) == [item(Kind.AGREEMENT, (a,), (b,), 1.0)]


def test_a_coding_only_a_made_is_only_a():
    a = at(1, "safety", FELT)
    assert differences([a], []) == [item(Kind.ONLY_A, (a,), (), 0.0)]


def test_a_coding_only_b_made_is_only_b():
    b = at(2, "safety", FELT)
    assert differences([], [b]) == [item(Kind.ONLY_B, (), (b,), 0.0)]


def test_no_codings_no_differences():
    assert differences([], []) == []
    assert summary([]) == dict.fromkeys(Kind, 0)


def test_mapped_codes_count_as_the_same_code():
    a, b = at(1, "creating safety", FELT), at(2, "safe space", FELT)
    items = differences(
        [a], [b], key_a={"creating safety": "safety"}.get, key_b={"safe space": "safety"}.get
    )
    assert items == [item(Kind.AGREEMENT, (a,), (b,), 1.0)]


def test_the_same_passage_under_codes_not_mapped_together_is_different_codes():
    a, b = at(1, "creating safety", FELT), at(2, "trust", FELT)
    items = differences(
        [a], [b], key_a={"creating safety": "safety"}.get, key_b={"safe space": "safety"}.get
    )
    assert items == [item(Kind.DIFFERENT_CODES, (a,), (b,), 1.0)]


def test_unmapped_codes_match_only_the_same_code():
    a1, a2 = at(1, "safety", FELT), at(3, "money", MONEY)
    b1, b2 = at(2, "safety", FELT), at(4, "finances", MONEY)  # a shared codebook, no mapping
    assert differences([a1, a2], [b1, b2]) == [
        item(Kind.AGREEMENT, (a1,), (b1,), 1.0),
        item(Kind.DIFFERENT_CODES, (a2,), (b2,), 1.0),
    ]


def test_a_shared_key_never_matches_an_unmapped_code_of_the_same_name():
    a, b = at(1, 7, FELT), at(2, "safety", FELT)
    items = differences([a], [b], key_a={7: "safety"}.get, key_b={}.get)
    assert [i.kind for i in items] == [Kind.DIFFERENT_CODES]


def test_different_bounds_under_one_code_are_a_boundary_item_with_the_exact_ratio():
    a, b = Segment(1, "safety", 0, 100), Segment(2, "safety", 10, 100)
    assert differences([a], [b]) == [item(Kind.BOUNDARY, (a,), (b,), 0.9)]
    assert differences([a], [b])[0].overlap == 90 / 100


def test_crossing_bounds_give_intersection_over_union():
    a, b = Segment(1, "safety", 0, 60), Segment(2, "safety", 40, 100)
    assert differences([a], [b]) == [item(Kind.BOUNDARY, (a,), (b,), 20 / 100)]


def test_a_sentence_coded_inside_a_coded_turn_is_a_boundary_item():
    a, b = whole(1, "support"), at(2, "support", LISTENED)
    [found] = differences([a], [b])
    assert found == item(Kind.BOUNDARY, (a,), (b,), len(LISTENED) / len(TURN))
    assert excerpt(TURN, found) == TURN


def test_a_turn_against_two_of_its_sentences_under_one_code_is_one_boundary_item():
    a = Segment(1, "safety", 0, 100)
    b1, b2 = Segment(2, "safety", 0, 40), Segment(3, "safety", 50, 100)
    assert differences([a], [b1, b2]) == [item(Kind.BOUNDARY, (a,), (b1, b2), 0.9)]
    assert differences([b1, b2], [a]) == [item(Kind.BOUNDARY, (b1, b2), (a,), 0.9)]


def test_two_passages_with_slightly_different_bounds_stay_two_items():
    a1, a2 = Segment(1, "safety", 0, 10), Segment(2, "safety", 10, 20)
    b1, b2 = Segment(3, "safety", 0, 11), Segment(4, "safety", 9, 20)
    assert differences([a1, a2], [b1, b2]) == [
        item(Kind.BOUNDARY, (a1,), (b1,), 10 / 11),
        item(Kind.BOUNDARY, (a2,), (b2,), 10 / 11),
    ]


def test_an_agreement_is_not_widened_by_a_second_coding_under_its_key():
    a = whole(1, "creating safety")
    b1, b2 = whole(2, "safe space"), at(3, "feeling safe", FELT)  # both of B's codes are "safety"
    keys_b = {"safe space": "safety", "feeling safe": "safety"}.get
    items = differences([a], [b1, b2], key_a={"creating safety": "safety"}.get, key_b=keys_b)
    assert items == [
        item(Kind.ONLY_B, (), (b2,), 0.0),
        item(Kind.AGREEMENT, (a,), (b1,), 1.0),
    ]


def test_overlapping_codings_under_different_codes_by_one_coder_each_find_their_match():
    a1, a2 = at(1, "safety", FELT), at(2, "support", f"{FELT} {LISTENED}")
    b1, b2 = at(3, "safety", FELT), at(4, "support", f"{FELT} {LISTENED}")
    assert differences([a1, a2], [b1, b2]) == [
        item(Kind.AGREEMENT, (a1,), (b1,), 1.0),
        item(Kind.AGREEMENT, (a2,), (b2,), 1.0),
    ]


def test_a_coding_matched_by_code_is_not_also_set_against_another_code():
    a1, a2 = at(1, "safety", FELT), at(2, "support", FELT)
    b = at(3, "support", FELT)
    assert differences([a1, a2], [b]) == [
        item(Kind.ONLY_A, (a1,), (), 0.0),
        item(Kind.AGREEMENT, (a2,), (b,), 1.0),
    ]


def test_two_codes_against_one_on_the_same_passage_are_one_different_codes_item():
    a1, a2 = at(1, "safety", FELT), at(2, "warmth", FELT)
    b = at(3, "trust", FELT)
    assert differences([a1, a2], [b]) == [item(Kind.DIFFERENT_CODES, (a1, a2), (b,), 1.0)]


def test_a_turn_against_two_of_its_sentences_under_other_codes_is_one_different_codes_item():
    a = Segment(1, "safety", 0, 100)
    b1, b2 = Segment(2, "trust", 0, 40), Segment(3, "warmth", 50, 100)
    assert differences([a], [b1, b2]) == [item(Kind.DIFFERENT_CODES, (a,), (b1, b2), 0.9)]


def test_different_codes_need_the_same_passage():
    a, b = Segment(1, "safety", 0, 100), Segment(2, "trust", 0, 40)  # overlap ratio 0.4
    assert differences([a], [b]) == [
        item(Kind.ONLY_B, (), (b,), 0.0),
        item(Kind.ONLY_A, (a,), (), 0.0),
    ]
    assert differences([a], [b], same_passage=0.4) == [item(Kind.DIFFERENT_CODES, (a,), (b,), 0.4)]


def test_a_different_codes_item_has_no_code_on_both_sides():
    # A's "trust" bit of the turn joins A's "safety" against B's "warmth"; B's "trust" bit, which
    # it does not overlap, then stays out: it would put "trust" on both sides of the item.
    a1, a2 = Segment(1, "safety", 0, 100), Segment(2, "trust", 10, 20)
    b1, b2 = Segment(3, "warmth", 0, 60), Segment(4, "trust", 60, 100)
    assert differences([a1, a2], [b1, b2]) == [
        item(Kind.DIFFERENT_CODES, (a1, a2), (b1,), 0.6),
        item(Kind.ONLY_B, (), (b2,), 0.0),
    ]


# The order of the list ----------------------------------------------------------------------------


def test_items_follow_the_text_and_then_the_kinds():
    same = [at(1, "safety", FELT), at(2, "trust", FELT), at(3, "care", FELT)]
    other = [at(11, "safety", FELT), at(12, "warmth", FELT), at(13, "money", MONEY)]
    items = differences(same, other, same_passage=1.0)
    assert [(i.kind, [s.id for s in i.a], [s.id for s in i.b]) for i in items] == [
        (Kind.DIFFERENT_CODES, [2, 3], [12]),
        (Kind.AGREEMENT, [1], [11]),
        (Kind.ONLY_B, [], [13]),
    ]


def test_ties_go_by_kind_then_ids():
    a = [Segment(5, "x", 0, 10), Segment(4, "y", 0, 10), Segment(6, "z", 0, 10)]
    b = [Segment(9, "x", 0, 10), Segment(8, "q", 20, 30)]
    assert [(i.kind, [s.id for s in i.a]) for i in differences(a, b)] == [
        (Kind.ONLY_A, [4]),
        (Kind.ONLY_A, [6]),
        (Kind.AGREEMENT, [5]),
        (Kind.ONLY_B, []),
    ]


def test_summary_counts_every_kind():
    a = [at(1, "safety", FELT), at(2, "support", LISTENED), at(3, "money", MONEY)]
    b = [at(4, "safety", FELT), at(5, "care", LISTENED)]
    assert summary(differences(a, b)) == {
        Kind.DIFFERENT_CODES: 1,
        Kind.BOUNDARY: 0,
        Kind.ONLY_A: 1,
        Kind.ONLY_B: 0,
        Kind.AGREEMENT: 1,
    }


# Linked to the text -------------------------------------------------------------------------------

EMOJI = "I felt 🙂 safe… with her, at the cafe\u0301. 👩🏽‍⚕️ listened."


def test_items_of_a_text_with_emoji_and_combining_characters_slice_the_intended_words():
    a1 = at(1, "safety", "🙂 safe", EMOJI)
    a2 = at(2, "place", "cafe\u0301", EMOJI)
    b1 = at(3, "safety", "safe", EMOJI)
    b2 = at(4, "listening", "👩🏽‍⚕️ listened", EMOJI)
    items = differences([a1, a2], [b1, b2])
    assert texts(items, EMOJI) == [
        (Kind.BOUNDARY, "🙂 safe"),
        (Kind.ONLY_A, "cafe\u0301"),
        (Kind.ONLY_B, "👩🏽‍⚕️ listened"),
    ]
    assert items[0].overlap == 4 / 6  # code points: the emoji is one, the space another
    # Context counts code points, as offsets do, so it may cut into a cluster such as 👩🏽‍⚕️.
    assert excerpt(EMOJI, items[1], context=4) == "the cafe\u0301. 👩🏽"
    assert excerpt(EMOJI, items[2], context=3) == "\u0301. 👩🏽‍⚕️ listened."  # clipped at the end


def test_an_excerpt_of_an_item_beyond_the_text_is_refused():
    [found] = differences([Segment(1, "x", 0, len(TURN) + 1)], [])
    with pytest.raises(ValueError, match="beyond"):
        excerpt(TURN, found)
    with pytest.raises(ValueError):
        excerpt(TURN, differences([whole(1, "x")], [])[0], context=-1)


# Refused input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "end"), [(5, 5), (6, 5), (-1, 3)])
def test_a_coding_covers_some_text(start, end):
    with pytest.raises(ValueError, match="covers some text"):
        Segment(1, "x", start, end)


def test_one_coder_cannot_have_two_codings_with_one_id():
    with pytest.raises(ValueError, match="two codings"):
        differences([], [Segment(1, "x", 0, 5), Segment(1, "y", 5, 9)])


@pytest.mark.parametrize("same_passage", [-0.1, 1.5])
def test_same_passage_is_a_ratio(same_passage):
    with pytest.raises(ValueError, match="overlap ratio"):
        differences([], [], same_passage=same_passage)


# Properties ---------------------------------------------------------------------------------------

CODES = ["safety", "safe space", "trust", "warmth"]
LENGTH = 40


@st.composite
def layer(draw, first_id: int) -> list[Segment]:
    spans = draw(
        st.lists(
            st.tuples(st.sampled_from(CODES), st.integers(0, LENGTH - 1), st.integers(1, LENGTH)),
            max_size=8,
        )
    )
    return [
        Segment(first_id + n, code, start, min(LENGTH, start + length))
        for n, (code, start, length) in enumerate(spans)
    ]


@st.composite
def cases(draw) -> dict:
    """Two layers, a mapping for each coder (some codes unmapped) and a same-passage ratio."""
    keys = st.dictionaries(st.sampled_from(CODES), st.sampled_from(["S", "T"]))
    return {
        "a": draw(layer(0)),
        "b": draw(layer(100)),
        "map_a": draw(keys),
        "map_b": draw(keys),
        "same_passage": draw(st.sampled_from([0.0, 0.3, 0.5, 0.8, 1.0])),
    }


def run(case: dict, a=None, b=None) -> list[Item]:
    return differences(
        case["a"] if a is None else a,
        case["b"] if b is None else b,
        key_a=case["map_a"].get,
        key_b=case["map_b"].get,
        same_passage=case["same_passage"],
    )


def key(case: dict, side: str, segment: Segment) -> tuple:
    """The documented meaning of a key: a mapped code's shared key, else the code itself."""
    shared = case[f"map_{side}"].get(segment.code)
    return ("code", segment.code) if shared is None else ("key", shared)


def chars(segments) -> set[int]:
    return {i for s in segments for i in range(s.start, s.end)}


def jaccard(a, b) -> float:
    return len(chars(a) & chars(b)) / len(chars(a) | chars(b))


@given(cases())
def test_every_coding_is_in_exactly_one_item_on_its_own_side(case):
    items = run(case)
    assert Counter(s for i in items for s in i.a) == Counter(case["a"])
    assert Counter(s for i in items for s in i.b) == Counter(case["b"])
    for i in items:
        assert bool(i.a) == (i.kind != Kind.ONLY_B)
        assert bool(i.b) == (i.kind != Kind.ONLY_A)


@given(cases(), st.randoms(use_true_random=False))
def test_the_order_of_the_input_does_not_matter(case, rng: random.Random):
    a, b = list(case["a"]), list(case["b"])
    rng.shuffle(a)
    rng.shuffle(b)
    assert run(case, a, b) == run(case)


@given(cases())
def test_items_are_sorted_and_span_their_segments(case):
    items = run(case)
    rank = list(Kind).index
    keys = [(i.start, i.end, rank(i.kind)) for i in items]
    assert keys == sorted(keys)
    for i in items:
        assert (i.start, i.end) == (min(s.start for s in i.a + i.b), max(s.end for s in i.a + i.b))
        assert list(i.a) == sorted(i.a, key=lambda s: (s.start, s.end, s.id))
        assert list(i.b) == sorted(i.b, key=lambda s: (s.start, s.end, s.id))


@given(cases())
def test_overlap_is_the_share_of_characters_both_coders_cover(case):
    for i in run(case):
        assert 0.0 <= i.overlap <= 1.0
        if i.kind in (Kind.ONLY_A, Kind.ONLY_B):
            assert i.overlap == 0.0
        else:
            assert i.overlap == pytest.approx(jaccard(i.a, i.b)) and i.overlap > 0
        if i.kind == Kind.AGREEMENT:
            assert i.overlap == 1.0
        if i.kind == Kind.DIFFERENT_CODES:
            assert i.overlap >= case["same_passage"] - 1e-12


@given(cases())
def test_an_agreement_is_one_coding_each_with_the_same_key_and_bounds(case):
    items = run(case)
    for i in items:
        exact = (
            len(i.a) == len(i.b) == 1
            and key(case, "a", i.a[0]) == key(case, "b", i.b[0])
            and (i.a[0].start, i.a[0].end) == (i.b[0].start, i.b[0].end)
        )
        assert (i.kind == Kind.AGREEMENT) == exact

    # ... and a coding with exactly one twin (same key and bounds) on the other side agrees with it.
    def twins(x: Segment, side: str, others: list[Segment], other_side: str) -> list[Segment]:
        return [
            y
            for y in others
            if key(case, side, x) == key(case, other_side, y)
            and (x.start, x.end) == (y.start, y.end)
        ]

    for x in case["a"]:
        ys = twins(x, "a", case["b"], "b")
        if len(ys) == 1 and twins(ys[0], "b", case["a"], "a") == [x]:
            assert Item(Kind.AGREEMENT, x.start, x.end, (x,), (ys[0],), 1.0) in items


@given(cases())
def test_keys_within_items(case):
    for i in run(case):
        keys_a = {key(case, "a", s) for s in i.a}
        keys_b = {key(case, "b", s) for s in i.b}
        if i.kind in (Kind.AGREEMENT, Kind.BOUNDARY):
            assert len(keys_a | keys_b) == 1
        if i.kind == Kind.DIFFERENT_CODES:
            assert not keys_a & keys_b


@given(cases())
def test_nothing_is_left_alone_that_could_have_been_matched(case):
    items = run(case)
    only_a = [i.a[0] for i in items if i.kind == Kind.ONLY_A]
    only_b = [i.b[0] for i in items if i.kind == Kind.ONLY_B]
    for x in only_a:
        for y in only_b:
            if chars([x]) & chars([y]):
                assert key(case, "a", x) != key(case, "b", y)
                assert jaccard([x], [y]) < case["same_passage"]
