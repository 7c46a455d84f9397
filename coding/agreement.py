"""Intercoder agreement: how far coders who coded the same transcripts independently agree.

Agreement is measured code by code on *units*: every unit gets, from each coder, 1 (the coder
applied the code there), 0 (they did not) or None (missing: the coder was not assigned that
transcript). What a unit is is a choice (`UNITS`):

- "turn" (the default): each speaker turn; 1 if one of the coder's spans shares a character
  with it.
- "character": each character inside the turns (not the separators between them); 1 if covered.
- "segment": the coded passages themselves. A coder's overlapping spans are merged first; then
  spans of different coders whose overlap (intersection over union) is at least `threshold`
  are matched, greedily, the best-matching pair first (ties by position, then coder order); a
  group (of more than two coders) only grows by spans that match all its members. A group is one
  unit, coded 1 by its members and 0 by the other coders; a span that matches nothing is a unit
  coded by its coder only. There is no unit that nobody coded, so the chance-corrected
  statistics (kappa, alpha) are usually ≤ 0 or undefined on segments: the percent agreement is
  the figure to read for this unit.
- "transcript": each transcript; 1 if the coder coded any of its turns.

Interviewer turns can be left out: they are then no units, and are cut out of the spans (a
segment inside one disappears). An empty turn (no characters) is never a unit.

A unit is only ever needed as its *pattern*, the tuple of the coders' values, and the statistics
only need how many units have each pattern: a `Table`. Tables are built by aggregation, never
unit by unit (the "character" unit sweeps the spans' boundaries, the units nobody coded are
counted, not listed), so hundreds of codes over millions of characters stay cheap. The
statistics (percent agreement, Cohen's kappa, Krippendorff's nominal alpha, prevalence) are
computed from a table in integers, up to one final division, and agree with scikit-learn's
`cohen_kappa_score` and the `krippendorff` package on the same units; where those give NaN or
refuse (no variation, nothing to compare), the statistic here is None, never NaN. This module is
pure: no Django, no project imports, the standard library only."""

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import islice, pairwise
from math import lcm
from operator import attrgetter

UNITS = ("turn", "character", "segment", "transcript")
DEFAULT_THRESHOLD = 0.9
# A coder who codes fewer than 5 % of the units (or more than 95 %) makes kappa unstable: a few
# disagreements move it a lot, and high agreement can come with a low kappa.
LOW_PREVALENCE = 0.05

Pattern = tuple[int | None, ...]  # one unit: each coder's value, in `coders` order
Table = dict[Pattern, int]  # how many units have each pattern
Interval = tuple[int, int]  # start, end (exclusive), in code points
Segment = tuple[int, int, int]  # start, end, coder index


@dataclass(frozen=True)
class Turn:
    """One speaker turn of a transcript (offsets in code points, end exclusive)."""

    transcript: Hashable
    start: int
    end: int
    interviewer: bool = False

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"turn ends before it starts: {self}")


@dataclass(frozen=True)
class Span:
    """One coding: a coder applied a code to the text from `start` to `end` (exclusive)."""

    transcript: Hashable
    code: Hashable  # the shared code key: codes are aligned across coders before this module
    coder: Hashable
    start: int
    end: int

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"span ends before it starts: {self}")


# Building the tables


@dataclass(frozen=True)
class _Transcript:
    """One transcript as the units see it."""

    turns: tuple[Interval, ...]  # the turns that are units, in text order, none empty
    starts: tuple[int, ...]  # their starts and ends, for bisection
    ends: tuple[int, ...]
    cut: tuple[Interval, ...]  # the interviewer turns cut out of the spans (when excluded)
    cut_ends: tuple[int, ...]
    assigned: tuple[bool, ...]  # for each coder
    units: int  # how many units of the kind measured the transcript has
    blank: Pattern  # the pattern of a unit nobody coded

    def pattern(self, coded: Collection[int]) -> Pattern:
        """The unit coded by the coders at these indices (missing for the unassigned)."""
        return tuple(
            (1 if index in coded else 0) if assigned else None
            for index, assigned in enumerate(self.assigned)
        )

    def overlapped(self, start: int, end: int) -> range:
        """The indices of the turns that share at least one character with [start, end)."""
        return range(bisect_right(self.ends, start), bisect_left(self.starts, end))


ByCoder = list[list[Interval]]  # one code's spans in one transcript, for each coder
Units = Iterable[tuple[Pattern, int]]  # one code's units in one transcript, by pattern


def unit_tables(
    turns: Iterable[Turn],
    spans: Iterable[Span],
    *,
    coders: Sequence[Hashable],
    codes: Iterable[Hashable] | None = None,
    unit: str = "turn",
    threshold: float = DEFAULT_THRESHOLD,
    exclude_interviewer: bool = False,
    assigned: Mapping[Hashable, Collection[Hashable]] | None = None,
) -> dict[Hashable, Table]:
    """The table of each code: how many units have each pattern of the coders' values.

    The transcripts are those `turns` describes. A span counts if its coder is one of `coders`,
    its transcript one of those and, with `assigned` (coder → transcripts), assigned to its
    coder: a coder has values only on the transcripts assigned to them, and units on which no
    coder has a value are left out. `codes` are the codes to measure, each with its table even
    if nobody applied it (by default the codes of the spans that count, in order of `str`).
    `threshold` is the overlap a "segment" match needs."""
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}: one of {', '.join(UNITS)}")
    if not 0 < threshold <= 1:
        raise ValueError("the threshold is a share of the union: more than 0, at most 1")
    coders = tuple(coders)
    if not coders or len(set(coders)) != len(coders):
        raise ValueError("coders must be given, each once")
    corpus = _corpus(turns, coders, unit, exclude_interviewer, assigned)
    position = {coder: index for index, coder in enumerate(coders)}
    grouped: dict[Hashable, dict[Hashable, ByCoder]] = {}  # code → transcript → spans
    for span in spans:
        index = position.get(span.coder)
        transcript = corpus.get(span.transcript)
        if index is None or transcript is None or not transcript.assigned[index]:
            continue
        if span.end > span.start:
            by_transcript = grouped.setdefault(span.code, {})
            if span.transcript not in by_transcript:
                by_transcript[span.transcript] = [[] for _ in coders]
            by_transcript[span.transcript][index].append((span.start, span.end))
    blank: Table = {}
    for transcript in corpus.values():
        if any(transcript.assigned):
            blank[transcript.blank] = blank.get(transcript.blank, 0) + transcript.units
    units_of = {
        "turn": _turns,
        "character": _characters,
        "segment": partial(_segments, threshold=threshold),
        "transcript": _whole,
    }[unit]
    if codes is None:
        codes = sorted(grouped, key=_order)
    return {code: _table(corpus, grouped.get(code, {}), blank, units_of) for code in codes}


def _corpus(
    turns: Iterable[Turn],
    coders: tuple[Hashable, ...],
    unit: str,
    exclude_interviewer: bool,
    assigned: Mapping[Hashable, Collection[Hashable]] | None,
) -> dict[Hashable, _Transcript]:
    """Each transcript's units, checking that its turns do not overlap."""
    by_transcript: dict[Hashable, list[Turn]] = {}
    for turn in turns:
        by_transcript.setdefault(turn.transcript, []).append(turn)
    corpus = {}
    for key, its_turns in by_transcript.items():
        its_turns.sort(key=attrgetter("start", "end"))
        for before, after in pairwise(its_turns):
            if after.start < before.end:
                raise ValueError(f"turns overlap in transcript {key!r}: {before}, {after}")
        kept = [
            t for t in its_turns if t.end > t.start and not (exclude_interviewer and t.interviewer)
        ]
        cut = [t for t in its_turns if exclude_interviewer and t.interviewer]
        units = {
            "turn": len(kept),
            "character": sum(turn.end - turn.start for turn in kept),
            "segment": 0,
            "transcript": 1 if kept else 0,
        }
        is_assigned = tuple(assigned is None or key in assigned.get(c, ()) for c in coders)
        corpus[key] = _Transcript(
            turns=tuple((turn.start, turn.end) for turn in kept),
            starts=tuple(turn.start for turn in kept),
            ends=tuple(turn.end for turn in kept),
            cut=tuple((turn.start, turn.end) for turn in cut),
            cut_ends=tuple(turn.end for turn in cut),
            assigned=is_assigned,
            units=units[unit],
            blank=tuple(0 if coder else None for coder in is_assigned),
        )
    return corpus


def _table(
    corpus: Mapping[Hashable, _Transcript],
    coded: Mapping[Hashable, ByCoder],
    blank: Table,
    units_of: Callable[[_Transcript, ByCoder], Units],
) -> Table:
    """One code's table: the units nobody coded, corrected on the transcripts with its spans."""
    table = dict(blank)
    for key, by_coder in coded.items():
        transcript = corpus[key]
        table[transcript.blank] -= transcript.units
        for pattern, count in units_of(transcript, by_coder):
            table[pattern] = table.get(pattern, 0) + count
    return {pattern: count for pattern, count in table.items() if count > 0}


def _turns(transcript: _Transcript, by_coder: ByCoder) -> Units:
    """The "turn" units of one transcript."""
    hits: dict[int, set[int]] = {}  # turn index → the coders who coded it
    for coder, intervals in enumerate(by_coder):
        for start, end in intervals:
            for turn in transcript.overlapped(start, end):
                hits.setdefault(turn, set()).add(coder)
    counts = Counter(frozenset(coders) for coders in hits.values())
    units = [(transcript.pattern(coders), count) for coders, count in counts.items()]
    return [*units, (transcript.blank, transcript.units - len(hits))]


def _whole(transcript: _Transcript, by_coder: ByCoder) -> Units:
    """The "transcript" unit of one transcript: who coded any of its turns."""
    if not transcript.turns:
        return []
    coders = {
        coder
        for coder, intervals in enumerate(by_coder)
        if any(transcript.overlapped(start, end) for start, end in intervals)
    }
    return [(transcript.pattern(coders), 1)]


def _characters(transcript: _Transcript, by_coder: ByCoder) -> Units:
    """The "character" units of one transcript, by a sweep over the coverage's boundaries."""
    events = []  # a coder's overlapping spans need no merging: `depth` counts them
    for coder, intervals in enumerate(by_coder):
        for start, end in intervals:
            for turn in transcript.overlapped(start, end):
                turn_start, turn_end = transcript.turns[turn]
                events += [(max(start, turn_start), 1, coder), (min(end, turn_end), -1, coder)]
    events.sort()
    lengths: Counter[frozenset[int]] = Counter()  # characters by the coders who coded them
    depth = [0] * len(by_coder)
    previous = 0
    for at, change, coder in events:
        if at > previous and any(depth):
            lengths[frozenset(index for index, inside in enumerate(depth) if inside)] += (
                at - previous
            )
        depth[coder] += change
        previous = at
    units = [(transcript.pattern(coders), length) for coders, length in lengths.items()]
    return [*units, (transcript.blank, transcript.units - lengths.total())]


def _segments(transcript: _Transcript, by_coder: ByCoder, threshold: float) -> Units:
    """The "segment" units of one transcript: matched groups of spans, and unmatched spans."""
    segments = []
    for coder, intervals in enumerate(by_coder):
        for start, end in _pieces(transcript, _merge(intervals)):
            segments.append((start, end, coder))
    segments.sort()
    # The pairs of different coders' segments that match, best first (then by position, coder).
    candidates = []
    for index, segment in enumerate(segments):
        for other in islice(segments, index + 1, None):
            if other[0] >= segment[1]:  # nor any later one: they start later
                break
            ratio = _ratio(segment, other)
            if other[2] != segment[2] and ratio >= threshold:
                candidates.append((-ratio, segment, other))
    candidates.sort()
    # Two groups join when no coder is in both and all their segments match.
    group_of = {segment: (segment,) for segment in segments}
    for _, first, second in candidates:
        one, two = group_of[first], group_of[second]
        if one is not two and all(
            a[2] != b[2] and _ratio(a, b) >= threshold for a in one for b in two
        ):
            joined = one + two
            for segment in joined:
                group_of[segment] = joined
    units: dict[frozenset[int], int] = {}  # by the coders in the group
    for segment, group in group_of.items():
        if group[0] is segment:  # each group once
            coders = frozenset(s[2] for s in group)
            units[coders] = units.get(coders, 0) + 1
    return [(transcript.pattern(coders), count) for coders, count in units.items()]


def _ratio(one: Segment, two: Segment) -> float:
    """Intersection over union of two segments."""
    inside = min(one[1], two[1]) - max(one[0], two[0])
    return max(inside, 0) / (max(one[1], two[1]) - min(one[0], two[0]))


def _pieces(transcript: _Transcript, intervals: list[Interval]) -> list[Interval]:
    """The spans with the excluded interviewer turns cut out, each piece kept if it shares a
    character with a turn that is a unit (no cut: the spans as they are)."""
    if not transcript.cut:
        return intervals
    pieces = []
    for start, end in intervals:
        index = bisect_right(transcript.cut_ends, start)
        while index < len(transcript.cut) and transcript.cut[index][0] < end:
            cut_start, cut_end = transcript.cut[index]
            pieces.append((start, cut_start))
            start = max(start, cut_end)
            index += 1
        pieces.append((start, end))
    return [
        (start, end) for start, end in pieces if end > start and transcript.overlapped(start, end)
    ]


def _merge(intervals: list[Interval]) -> list[Interval]:
    """The intervals sorted, overlapping ones merged (touching ones stay apart)."""
    if len(intervals) < 2:
        return intervals
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def matrix(table: Mapping[Pattern, int]) -> list[list[int | None]]:
    """The table written out as a coders-by-units matrix (None for missing), as the reference
    implementations take it. Empty when the table has no units."""
    units = [pattern for pattern, count in table.items() for _ in range(count)]
    return [list(values) for values in zip(*units, strict=True)]


# Statistics
#
# From a table alone. The values may be any nominal values (the tables above hold 0 and 1); None
# is a missing value.


def n_units(table: Mapping[Pattern, int]) -> int:
    """How many units the table counts."""
    return sum(table.values())


def prevalence(table: Mapping[Pattern, int], coder: int) -> float | None:
    """The share of the units on which the coder (by index) has a value that they coded 1."""
    present = coded = 0
    for pattern, count in table.items():
        if pattern[coder] is not None:
            present += count
            if pattern[coder] == 1:
                coded += count
    return coded / present if present else None


def percent_agreement(table: Mapping[Pattern, int]) -> float | None:
    """The share of the units with at least two values on which all the values are the same."""
    compared = agreed = 0
    for pattern, count in table.items():
        values = [value for value in pattern if value is not None]
        if len(values) >= 2:
            compared += count
            if values.count(values[0]) == len(values):
                agreed += count
    return agreed / compared if compared else None


def cohen_kappa(table: Mapping[Pattern, int]) -> float | None:
    """Cohen's kappa of two coders, on the units where both have a value: 1 - observed
    disagreement / disagreement expected from each coder's own frequencies. None when nothing
    is compared or no disagreement is expected (both coders gave one and the same value)."""
    n = disagreements = 0
    firsts: dict[int, int] = {}  # how often the first coder gave each value
    seconds: dict[int, int] = {}
    for pattern, count in table.items():
        if len(pattern) != 2:
            raise ValueError("Cohen's kappa compares exactly two coders")
        first, second = pattern
        if first is not None and second is not None:
            n += count
            if first != second:
                disagreements += count
            firsts[first] = firsts.get(first, 0) + count
            seconds[second] = seconds.get(second, 0) + count
    # n² times the expected disagreement rate
    expected = n * n - sum(count * seconds.get(value, 0) for value, count in firsts.items())
    if expected == 0:
        return None
    return 1 - n * disagreements / expected


def krippendorff_alpha(table: Mapping[Pattern, int]) -> float | None:
    """Krippendorff's alpha, nominal, for any number of coders with missing values: 1 - observed
    disagreement / expected disagreement, both from the coincidences of the pairable values
    (units with at least two values). None when no unit is pairable or the pairable values are
    all the same."""
    # The ordered pairs of different values within units, by the units' number of values less 1
    # (a unit's pairs weigh 1 / (m - 1) in the coincidences).
    different: dict[int, int] = {}
    values: dict[int, int] = {}  # how often each value is pairable
    for pattern, count in table.items():
        present = [value for value in pattern if value is not None]
        m = len(present)
        if m >= 2 and count > 0:
            same = 0
            for value in set(present):
                times = present.count(value)
                same += times * times
                values[value] = values.get(value, 0) + count * times
            different[m - 1] = different.get(m - 1, 0) + count * (m * m - same)
    n = sum(values.values())
    # (n - 1) times the expected coincidences of two different values
    expected = n * n - sum(times * times for times in values.values())
    if expected == 0:
        return None
    # Exact: the observed coincidences of different values times `common`, an integer.
    common = lcm(*different)
    observed = sum(pairs * (common // weight) for weight, pairs in different.items())
    return 1 - (n - 1) * observed / (expected * common)


# The report


@dataclass(frozen=True)
class Row:
    """The statistics of one code (or, pooled, of all of them)."""

    code: Hashable
    n_units: int
    prevalence: tuple[float | None, ...]  # for each coder
    percent_agreement: float | None
    cohen_kappa: float | None  # None with other than two coders
    krippendorff_alpha: float | None
    warnings: tuple[str, ...]

    def as_dict(self) -> dict:
        """JSON-ready: the code as given if a JSON scalar, else its `str`."""
        fields = {
            "code": self.code
            if isinstance(self.code, str | int | float | None)
            else str(self.code),
            "n_units": self.n_units,
            "prevalence": list(self.prevalence),
            "percent_agreement": self.percent_agreement,
            "cohen_kappa": self.cohen_kappa,
            "krippendorff_alpha": self.krippendorff_alpha,
            "warnings": list(self.warnings),
        }
        if len(self.prevalence) == 2:
            fields["prevalence_a"], fields["prevalence_b"] = self.prevalence
        return fields


@dataclass(frozen=True)
class Report:
    """The per-code table, and beside it the pooled figures (every unit of every code a unit)
    and the mean of the per-code kappas."""

    unit: str
    rows: tuple[Row, ...]
    pooled: Row
    mean_kappa: float | None

    def as_dict(self) -> dict:
        return {
            "unit": self.unit,
            "rows": [row.as_dict() for row in self.rows],
            "pooled": {**self.pooled.as_dict(), "mean_kappa": self.mean_kappa},
        }


def report(
    tables: Mapping[Hashable, Mapping[Pattern, int]],
    coders: Sequence[Hashable],
    *,
    unit: str = "turn",
) -> Report:
    """The statistics of each code's table, in order of the codes' `str`, and pooled."""
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}: one of {', '.join(UNITS)}")
    rows = tuple(row(code, tables[code], len(coders)) for code in sorted(tables, key=_order))
    pooled: Counter[Pattern] = Counter()
    for table in tables.values():
        pooled.update(table)
    kappas = [each.cohen_kappa for each in rows if each.cohen_kappa is not None]
    return Report(
        unit=unit,
        rows=rows,
        pooled=row(None, pooled, len(coders)),
        mean_kappa=sum(kappas) / len(kappas) if kappas else None,
    )


def row(code: Hashable, table: Mapping[Pattern, int], n_coders: int) -> Row:
    """One code's statistics, with warnings on what makes them hard to read."""
    prevalences = tuple(prevalence(table, coder) for coder in range(n_coders))
    kappa = cohen_kappa(table) if n_coders == 2 else None
    alpha = krippendorff_alpha(table)
    warnings = []
    if any(p is not None and not LOW_PREVALENCE <= p <= 1 - LOW_PREVALENCE for p in prevalences):
        warnings.append("low prevalence")
    if n_coders == 2 and kappa is None:
        warnings.append("kappa undefined")
    if alpha is None:
        warnings.append("alpha undefined")
    return Row(
        code=code,
        n_units=n_units(table),
        prevalence=prevalences,
        percent_agreement=percent_agreement(table),
        cohen_kappa=kappa,
        krippendorff_alpha=alpha,
        warnings=tuple(warnings),
    )


def _order(code: Hashable) -> tuple[str, str]:
    """Codes in order of their `str` (their `repr` breaking ties)."""
    return str(code), repr(code)
