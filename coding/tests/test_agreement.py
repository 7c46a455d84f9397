"""The agreement statistics: compared with scikit-learn's `cohen_kappa_score` and the
`krippendorff` package on random codings for every unit, the tables compared with a naive
unit-by-unit (character-by-character) construction, and each unit's meaning on tiny hand-made
transcripts."""

import functools
import itertools
import json
import math
import random
import tracemalloc
import warnings
from collections import Counter

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

from coding.agreement import (
    LOW_PREVALENCE,
    UNITS,
    Span,
    Turn,
    cohen_kappa,
    krippendorff_alpha,
    matrix,
    percent_agreement,
    prevalence,
    report,
    unit_tables,
)

CODERS = ("ann", "ben", "cat")
CODES = ("a", "b")
EXACT = 1e-9

# References


def reference_kappa(rows: list[list]) -> float | None:
    """scikit-learn's kappa on the units where both coders have a value; NaN (or nothing to
    compare) is None."""
    pairs = Counter((a, b) for a, b in zip(*rows, strict=True) if a is not None and b is not None)
    return sklearn_kappa(tuple(sorted(pairs.items())))


@functools.cache
def sklearn_kappa(pairs: tuple[tuple[tuple[int, int], int], ...]) -> float | None:
    """Remembered by the pairs' counts, as the score does not depend on the units' order (and
    scikit-learn takes a millisecond and a half to check its arguments)."""
    if not pairs:
        return None
    first = [a for (a, _), count in pairs for _ in range(count)]
    second = [b for (_, b), count in pairs for _ in range(count)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kappa = cohen_kappa_score(first, second)
    return None if math.isnan(kappa) else float(kappa)


def reference_alpha(rows: list[list]) -> float | None:
    """The krippendorff package's nominal alpha; ValueError or NaN is None."""
    data = np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=float)
    try:
        with np.errstate(all="ignore"):
            alpha = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    except ValueError:
        return None
    return None if math.isnan(alpha) else float(alpha)


def reference_agreement(rows: list[list]) -> float | None:
    units = [[v for v in unit if v is not None] for unit in zip(*rows, strict=True)]
    compared = [values for values in units if len(values) >= 2]
    if not compared:
        return None
    return sum(len(set(values)) == 1 for values in compared) / len(compared)


def naive_tables(turns, spans, *, coders, codes, unit, exclude_interviewer, assigned) -> dict:
    """The "turn", "character" and "transcript" tables unit by unit, character by character: a
    unit is a list of intervals, coded by a coder if one of their spans shares a character with
    one of them."""
    tables = {}
    for code in codes:
        table = Counter()
        for transcript in sorted({turn.transcript for turn in turns}):
            counted = [
                (turn.start, turn.end)
                for turn in turns
                if turn.transcript == transcript
                and turn.end > turn.start
                and not (exclude_interviewer and turn.interviewer)
            ]
            units = {
                "turn": [[turn] for turn in counted],
                "character": [[(p, p + 1)] for start, end in counted for p in range(start, end)],
                "transcript": [counted] if counted else [],
            }[unit]
            theirs = {
                coder: [
                    (s.start, s.end)
                    for s in spans
                    if s.transcript == transcript and s.code == code and s.coder == coder
                ]
                for coder in coders
            }
            for intervals in units:
                pattern = []
                for coder in coders:
                    if assigned is not None and transcript not in assigned.get(coder, ()):
                        pattern.append(None)
                    else:
                        pattern.append(
                            int(
                                any(
                                    min(end, e) > max(start, b)
                                    for start, end in theirs[coder]
                                    for b, e in intervals
                                )
                            )
                        )
                table[tuple(pattern)] += 1
        tables[code] = {p: n for p, n in table.items() if any(v is not None for v in p)}
    return tables


def merged(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping intervals merged (touching ones kept apart)."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if out and start < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


# Random codings


TURN = st.tuples(st.integers(0, 2), st.integers(0, 12), st.booleans())  # gap, length, interviewer
SPAN = st.tuples(
    st.integers(0, 1),
    st.integers(0, 99),
    st.integers(0, 15),
    st.sampled_from(CODES),
    st.integers(0, 2),
)  # transcript, start, length, code, coder


@st.composite
def codings(draw, n_coders: int = 2) -> dict:
    """A few transcripts of a few turns (some the interviewer's, some empty, separators between
    some), random spans of a few codes by the coders, sometimes missing assignments."""
    coders = CODERS[:n_coders]
    turns = []
    lengths = []
    for transcript, its_turns in enumerate(
        draw(st.lists(st.lists(TURN, min_size=1, max_size=8), min_size=1, max_size=2))
    ):
        position = 0
        for gap, length, interviewer in its_turns:
            turns.append(Turn(transcript, position + gap, position + gap + length, interviewer))
            position += gap + length
        lengths.append(position + 2)
    spans = []
    for transcript, start, length, code, coder in draw(st.lists(SPAN, min_size=2, max_size=24)):
        transcript %= len(lengths)
        start %= lengths[transcript] + 1
        end = min(lengths[transcript], start + length)
        spans.append(Span(transcript, code, coders[coder % n_coders], start, end))
    # For each coder and transcript, one chance in four that it is not assigned to them.
    assignment = st.lists(st.integers(0, 3), min_size=2, max_size=2)
    drawn = draw(st.none() | st.lists(assignment, min_size=n_coders, max_size=n_coders))
    assigned = None
    if drawn is not None:
        assigned = {
            coder: {transcript for transcript in range(2) if flags[transcript]}
            for coder, flags in zip(coders, drawn, strict=True)
        }
    return {
        "turns": turns,
        "spans": spans,
        "coders": coders,
        "assigned": assigned,
        "exclude_interviewer": draw(st.booleans()),
        "threshold": draw(st.sampled_from([0.5, 0.9, 1.0])),
    }


def all_tables(case: dict, unit: str) -> list[dict]:
    """Each code's table (one code never applied) and the pooled table."""
    tables = unit_tables(
        case["turns"],
        case["spans"],
        coders=case["coders"],
        codes=[*CODES, "never"],
        unit=unit,
        threshold=case["threshold"],
        exclude_interviewer=case["exclude_interviewer"],
        assigned=case["assigned"],
    )
    pooled = Counter()
    for table in tables.values():
        pooled.update(table)
    return [*tables.values(), dict(pooled)]


def assert_same(ours: float | None, theirs: float | None) -> None:
    if theirs is None:
        assert ours is None
    else:
        assert ours is not None
        assert abs(ours - theirs) <= EXACT


@settings(max_examples=200, deadline=None)
@given(codings(n_coders=2))
def test_two_coders_agree_with_sklearn_and_krippendorff_for_every_unit(case):
    for unit in UNITS:
        for table in all_tables(case, unit):
            rows = matrix(table)
            if not rows:
                rows = [[], []]
            assert_same(cohen_kappa(table), reference_kappa(rows))
            assert_same(krippendorff_alpha(table), reference_alpha(rows))
            assert_same(percent_agreement(table), reference_agreement(rows))
            for coder, values in enumerate(rows):
                present = [v for v in values if v is not None]
                expected = sum(present) / len(present) if present else None
                assert_same(prevalence(table, coder), expected)


@settings(max_examples=200, deadline=None)
@given(codings(n_coders=3))
def test_three_coders_agree_with_krippendorff_for_every_unit(case):
    for unit in UNITS:
        for table in all_tables(case, unit):
            rows = matrix(table)
            assert_same(krippendorff_alpha(table), reference_alpha(rows))
            assert_same(percent_agreement(table), reference_agreement(rows))


@settings(max_examples=200, deadline=None)
@given(codings(n_coders=3), st.integers(2, 3))
def test_tables_are_the_naive_unit_by_unit_tables(case, n_coders):
    case = {**case, "coders": CODERS[:n_coders]}  # with two, the third coder's spans are ignored
    for unit in ("turn", "character", "transcript"):
        options = {k: case[k] for k in ("coders", "assigned", "exclude_interviewer")}
        ours = unit_tables(case["turns"], case["spans"], codes=CODES, unit=unit, **options)
        assert ours == naive_tables(case["turns"], case["spans"], codes=CODES, unit=unit, **options)


@settings(max_examples=200, deadline=None)
@given(codings(n_coders=2))
def test_segment_units_are_the_coders_spans(case):
    """Without exclusion or missing values: each coder's 1s are their merged spans, every unit
    is coded by someone, and at threshold 1 only identical spans are matched."""
    turns, coders = case["turns"], case["coders"]
    transcripts = {turn.transcript for turn in turns}
    for threshold in (case["threshold"], 1.0):
        tables = unit_tables(
            turns, case["spans"], coders=coders, codes=CODES, unit="segment", threshold=threshold
        )
        for code, table in tables.items():
            spans = {
                coder: {
                    transcript: merged(
                        [
                            (s.start, s.end)
                            for s in case["spans"]
                            if s.code == code
                            and s.coder == coder
                            and s.transcript == transcript
                            and s.end > s.start
                        ]
                    )
                    for transcript in transcripts
                }
                for coder in coders
            }
            assert (0, 0) not in table
            for index, coder in enumerate(coders):
                ones = sum(n for pattern, n in table.items() if pattern[index] == 1)
                assert ones == sum(len(found) for found in spans[coder].values())
            if threshold == 1.0:
                identical = sum(
                    len(set(spans["ann"][t]) & set(spans["ben"][t])) for t in transcripts
                )
                assert table.get((1, 1), 0) == identical


# Hand-made statistics


def test_textbook_kappa():
    """Wikipedia's example: 50 proposals, p_o = 0.7, p_e = 0.5, kappa = 0.4."""
    table = {(1, 1): 20, (1, 0): 5, (0, 1): 10, (0, 0): 15}
    assert cohen_kappa(table) == pytest.approx(0.4, abs=EXACT)
    assert percent_agreement(table) == pytest.approx(0.7)
    assert prevalence(table, 0) == pytest.approx(0.5)
    assert prevalence(table, 1) == pytest.approx(0.6)


def test_sklearn_documentation_example_with_three_values():
    first = ["negative", "positive", "negative", "neutral", "positive"]
    second = ["negative", "positive", "negative", "neutral", "negative"]
    table = dict(Counter(zip(first, second, strict=True)))
    assert cohen_kappa(table) == pytest.approx(0.6875, abs=EXACT)


def test_krippendorffs_worked_example():
    """Krippendorff (2011), "Computing Krippendorff's alpha-reliability", nominal data with
    missing values: 4 observers, 12 units, alpha = 0.743."""
    rows = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
        [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
    ]
    table = dict(Counter(zip(*rows, strict=True)))
    alpha = krippendorff_alpha(table)
    assert round(alpha, 3) == 0.743
    assert alpha == pytest.approx(reference_alpha(rows), abs=EXACT)


@pytest.mark.parametrize(
    ("table", "kappa", "alpha"),
    [
        ({}, None, None),  # nothing at all
        ({(0, 0): 5}, None, None),  # both never coded: no variation
        ({(1, 1): 5}, None, None),  # both always coded
        ({(0, 0): 3, (0, 1): 2}, 0.0, -0.125),  # one constant, the other not: sklearn's 0
        ({(1, None): 4, (None, 0): 4}, None, None),  # never both present
        ({(1, 1): 3, (0, None): 1}, None, None),  # the variation is only in an unpaired unit
        ({(1, 0): 2, (0, 1): 2}, -1.0, -0.75),
        ({(1, 1): 2, (0, 0): 2}, 1.0, 1.0),
    ],
)
def test_degenerate_tables(table, kappa, alpha):
    rows = matrix(table) or [[], []]
    assert cohen_kappa(table) == kappa == reference_kappa(rows)
    assert_same(krippendorff_alpha(table), reference_alpha(rows))
    assert_same(krippendorff_alpha(table), alpha)


def test_kappa_is_for_two_coders():
    with pytest.raises(ValueError, match="two coders"):
        cohen_kappa({(1, 0, 1): 3})


def test_matrix_expands_the_table():
    assert matrix({(1, 0): 2, (None, 1): 1}) == [[1, 1, None], [0, 0, 1]]
    assert matrix({}) == []


# Units on a tiny transcript
#
#   0         10 11                  31 32     40 41                 60
#   [interviewer] [participant......] [interv.] [participant.......]
#
# The characters at 10, 31 and 40 separate the turns and are in none.

TURNS = [
    Turn("t", 0, 10, interviewer=True),
    Turn("t", 11, 31),
    Turn("t", 32, 40, interviewer=True),
    Turn("t", 41, 60),
]
TWO = ("ann", "ben")


def tables_of(spans, unit, **options):
    return unit_tables(TURNS, spans, coders=options.pop("coders", TWO), unit=unit, **options)


def test_turn_units():
    spans = [Span("t", "x", "ann", 5, 15), Span("t", "x", "ben", 12, 30)]
    assert tables_of(spans, "turn") == {"x": {(1, 0): 1, (1, 1): 1, (0, 0): 2}}
    assert tables_of(spans, "turn", exclude_interviewer=True) == {"x": {(1, 1): 1, (0, 0): 1}}


def test_a_span_touching_a_turn_without_sharing_a_character_does_not_code_it():
    spans = [Span("t", "x", "ann", 31, 41), Span("t", "x", "ben", 10, 11)]
    assert tables_of(spans, "turn") == {"x": {(1, 0): 1, (0, 0): 3}}


def test_character_units_count_the_turns_characters_not_the_separators():
    spans = [Span("t", "x", "ann", 5, 15), Span("t", "x", "ben", 12, 30)]
    assert tables_of(spans, "character") == {
        "x": {(1, 0): 5 + 1, (1, 1): 3, (0, 1): 15, (0, 0): 57 - 24}
    }
    assert tables_of(spans, "character", exclude_interviewer=True) == {
        "x": {(1, 0): 1, (1, 1): 3, (0, 1): 15, (0, 0): 39 - 19}
    }


def test_character_units_merge_a_coders_overlapping_spans():
    spans = [Span("t", "x", "ann", 11, 20), Span("t", "x", "ann", 15, 25)]
    assert tables_of(spans, "character") == {"x": {(1, 0): 14, (0, 0): 57 - 14}}


def test_transcript_units():
    spans = [Span("t", "x", "ann", 2, 5), Span("t", "y", "ben", 50, 55)]
    assert tables_of(spans, "transcript") == {"x": {(1, 0): 1}, "y": {(0, 1): 1}}
    assert tables_of(spans, "transcript", exclude_interviewer=True) == {
        "x": {(0, 0): 1},
        "y": {(0, 1): 1},
    }


@pytest.mark.parametrize(
    ("ben_start", "threshold", "table"),
    [
        (21, 0.9, {(1, 1): 1}),  # 90 / 100 characters in common: matched at 0.9
        (22, 0.9, {(1, 0): 1, (0, 1): 1}),  # 89 / 100: not at 0.9
        (22, 0.89, {(1, 1): 1}),  # but at 0.89
    ],
)
def test_segment_matching_at_the_threshold(ben_start, threshold, table):
    turns = [Turn("u", 0, 200)]
    spans = [Span("u", "x", "ann", 11, 111), Span("u", "x", "ben", ben_start, 111)]
    tables = unit_tables(turns, spans, coders=TWO, unit="segment", threshold=threshold)
    assert tables == {"x": table}


def test_segment_matching_takes_the_best_pair_first():
    """A chain ann, ben, ann, ben: the best pair (the middle one) is matched first, so the two at
    the ends stay unmatched (matching by position would have paired them all)."""
    turns = [Turn("u", 0, 300)]
    spans = [
        Span("u", "x", "ann", 0, 60),
        Span("u", "x", "ben", 30, 90),  # 30 / 90 with ann's first, 30 / 70 with ann's second
        Span("u", "x", "ann", 60, 100),
        Span("u", "x", "ben", 90, 150),  # 10 / 90 with ann's second
    ]
    tables = unit_tables(turns, spans, coders=TWO, unit="segment", threshold=0.1)
    assert tables == {"x": {(1, 1): 1, (1, 0): 1, (0, 1): 1}}


def test_segment_matching_merges_a_coders_overlapping_spans_first():
    turns = [Turn("u", 0, 300)]
    spans = [
        Span("u", "x", "ann", 0, 100),
        Span("u", "x", "ben", 5, 100),  # 0.95 with ann's first
        Span("u", "x", "ann", 3, 103),  # overlaps ann's first: merged into (0, 103)
        Span("u", "x", "ann", 150, 250),
        Span("u", "x", "ben", 150, 250),
    ]
    tables = unit_tables(turns, spans, coders=TWO, unit="segment")
    assert tables == {"x": {(1, 1): 2}}  # (0, 103) with (5, 100): 95 / 103 ≥ 0.9


def test_segment_groups_of_three_coders_match_all_their_members():
    turns = [Turn("u", 0, 300)]
    together = [Span("u", "x", coder, 0, 100) for coder in CODERS]
    assert unit_tables(turns, together, coders=CODERS, unit="segment") == {"x": {(1, 1, 1): 1}}
    # ann and ben match, ben and cat too (95 / 105), not ann and cat (90 / 110): cat is alone
    chain = [
        Span("u", "x", "ann", 0, 100),
        Span("u", "x", "ben", 5, 105),
        Span("u", "x", "cat", 10, 110),
    ]
    tables = unit_tables(turns, chain, coders=CODERS, unit="segment")
    assert tables == {"x": {(1, 1, 0): 1, (0, 0, 1): 1}}


def test_segment_units_without_the_interviewer():
    spans = [
        Span("t", "x", "ann", 5, 45),  # cut into [10, 32) and [40, 45)
        Span("t", "x", "ben", 11, 31),  # 20 / 22 of the first piece
        Span("t", "x", "ben", 33, 39),  # wholly in an interviewer turn: gone
    ]
    assert tables_of(spans, "segment") == {"x": {(1, 0): 1, (0, 1): 2}}
    assert tables_of(spans, "segment", exclude_interviewer=True) == {"x": {(1, 1): 1, (1, 0): 1}}


def test_a_coder_not_assigned_the_transcript_is_missing():
    spans = [Span("t", "x", "ann", 12, 14), Span("t", "x", "ben", 12, 14)]
    assigned = {"ann": {"t"}, "ben": set()}
    for unit, table in [
        ("turn", {(1, None): 1, (0, None): 3}),
        ("character", {(1, None): 2, (0, None): 55}),
        ("transcript", {(1, None): 1}),
        ("segment", {(1, None): 1}),
    ]:
        assert tables_of(spans, unit, assigned=assigned) == {"x": table}
    assert tables_of(spans, "turn", assigned={}, codes=["x"]) == {"x": {}}
    assert tables_of(spans, "turn", assigned={}) == {}  # by default, the codes of spans that count


def test_an_empty_turn_is_no_unit():
    turns = [*TURNS, Turn("t", 70, 70)]
    spans = [Span("t", "x", "ann", 65, 75)]
    assert unit_tables(turns, spans, coders=TWO) == {"x": {(0, 0): 4}}


def test_codes_nobody_applied_have_their_table():
    tables = tables_of([], "turn", codes=["quiet"])
    assert tables == {"quiet": {(0, 0): 4}}
    assert tables_of([], "segment", codes=["quiet"]) == {"quiet": {}}
    assert tables_of([Span("t", "y", "ann", 0, 3)], "turn", codes=["quiet"]) == {
        "quiet": {(0, 0): 4}
    }


def test_spans_of_other_coders_and_transcripts_are_ignored():
    spans = [Span("t", "x", "zed", 12, 14), Span("elsewhere", "x", "ann", 0, 5)]
    assert tables_of(spans, "turn", codes=["x"]) == {"x": {(0, 0): 4}}
    assert tables_of(spans, "turn") == {}


def test_invalid_arguments():
    with pytest.raises(ValueError, match="unit"):
        tables_of([], "word")
    with pytest.raises(ValueError, match="threshold"):
        tables_of([], "segment", threshold=0)
    with pytest.raises(ValueError, match="coders"):
        tables_of([], "turn", coders=("ann", "ann"))
    with pytest.raises(ValueError, match="overlap"):
        unit_tables([Turn("t", 0, 10), Turn("t", 5, 15)], [], coders=TWO)
    with pytest.raises(ValueError):
        Span("t", "x", "ann", 5, 4)


# The report


def test_report():
    tables = {
        "b": {(1, 1): 20, (1, 0): 5, (0, 1): 10, (0, 0): 15},
        "a": {(0, 0): 99, (1, 0): 1},
        "c": {(0, 0): 10},
    }
    result = report(tables, TWO, unit="turn")
    assert [row.code for row in result.rows] == ["a", "b", "c"]
    a, b, c = result.rows
    assert b.cohen_kappa == pytest.approx(0.4)
    assert b.warnings == ()
    assert a.prevalence == (0.01, 0.0)
    assert a.cohen_kappa == 0.0
    assert "low prevalence" in a.warnings
    assert c.warnings == ("low prevalence", "kappa undefined", "alpha undefined")
    assert result.mean_kappa == pytest.approx(0.2)
    assert result.pooled.n_units == 160
    pooled = {(1, 1): 20, (1, 0): 6, (0, 1): 10, (0, 0): 124}
    assert result.pooled.cohen_kappa == pytest.approx(cohen_kappa(pooled))
    assert result.pooled.krippendorff_alpha == pytest.approx(krippendorff_alpha(pooled))
    data = result.as_dict()
    json.dumps(data, allow_nan=False)
    assert data["unit"] == "turn"
    assert data["rows"][1] == {
        "code": "b",
        "n_units": 50,
        "prevalence": [0.5, 0.6],
        "prevalence_a": 0.5,
        "prevalence_b": 0.6,
        "percent_agreement": 0.7,
        "cohen_kappa": b.cohen_kappa,
        "krippendorff_alpha": b.krippendorff_alpha,
        "warnings": [],
    }
    assert data["pooled"]["mean_kappa"] == result.mean_kappa
    assert data["pooled"]["n_units"] == 160
    assert LOW_PREVALENCE == 0.05


def test_report_with_three_coders_has_no_kappa():
    result = report({1: {(1, 1, 0): 3, (0, 0, 0): 3}}, CODERS)
    (row,) = result.rows
    assert row.cohen_kappa is None and result.mean_kappa is None
    assert "kappa undefined" not in row.warnings
    assert "prevalence_a" not in row.as_dict()
    assert row.as_dict()["prevalence"] == [0.5, 0.5, 0.0]


# Scale


def random_corpus(seed: int, characters: int, n_turns: int, n_spans: int, n_codes: int):
    """One long transcript in turns (every other one the interviewer's) and random spans."""
    rng = random.Random(seed)  # noqa: S311 — test data, not secrets
    cuts = sorted(rng.sample(range(1, characters), n_turns - 1))
    bounds = [0, *cuts, characters]
    turns = [
        Turn("long", start + 1 if index else start, end, interviewer=index % 2 == 1)
        for index, (start, end) in enumerate(itertools.pairwise(bounds))
        if end > start + 1
    ]
    spans = []
    for _ in range(n_spans):
        start = rng.randrange(characters)
        end = min(characters, start + rng.randrange(1, characters // 50 + 2))
        spans.append(Span("long", rng.randrange(n_codes), rng.choice(TWO), start, end))
    return turns, spans


def test_character_units_of_a_long_transcript_are_aggregated():
    """700,000 characters, 2,000 spans of 50 codes: the tables hold every character, and
    building them allocates far less than one array of the characters would."""
    turns, spans = random_corpus(1, 700_000, 700, 2_000, 50)
    tracemalloc.start()
    try:
        tables = unit_tables(turns, spans, coders=TWO, unit="character", exclude_interviewer=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 700_000
    characters = sum(t.end - t.start for t in turns if not t.interviewer)
    assert len(tables) == 50
    assert all(sum(table.values()) == characters for table in tables.values())


def test_character_units_match_the_naive_count_on_a_smaller_transcript():
    turns, spans = random_corpus(2, 5_000, 40, 150, 4)
    for exclude in (False, True):
        options = {"coders": TWO, "exclude_interviewer": exclude, "assigned": None}
        ours = unit_tables(turns, spans, codes=range(4), unit="character", **options)
        assert ours == naive_tables(turns, spans, codes=range(4), unit="character", **options)
