"""Suggestions for aligning two coders' codes: which of A's codes may mean what one of B's means.

Coders in a blind round each make their own codes, so before their layers are compared the team
maps codes across coders (A's "creating safety" is B's "safe space"). ``suggest`` ranks every pair
of an A code and a B code by two signals, and a person confirms the mapping.

**Label similarity** (0 to 1). A label is normalised: Unicode-folded (accents dropped, case
folded), apostrophes dropped ("client's" is "clients"), every run of characters other than letters and digits made a space, a few English
function words dropped ("the", "of", "and" …, kept when nothing else is left), and each word cut to
a simple stem — plurals ("boundaries" → "boundary", "matches" → "match", "clients" → "client"),
"-ing" and "-ed" ("creating" → "creat", "named" → "nam") and a final "e" ("create" → "creat"),
so that "Creating safety", "creating-safety" and "create safety" are the same label. The
similarity is the mean of two measures on the stems: the Jaccard index of the two sets of stems
(order-free: "safe space" and "space, safe" agree) and ``difflib``'s ratio of the stems joined by
spaces (close spellings: "listening" and "listen" agree). Equal normalised labels score 1.

**Co-coverage** (0 to 1). A code covers the characters of its codings (merged per transcript).
The co-coverage of two codes is the Jaccard index of what they cover: characters both codes cover,
summed across transcripts, over characters either covers. It is high only when the two codes mark
mostly the same text, so a broad code laid over everything does not match every narrow one.
``shared_passages`` counts the passages both cover: the maximal stretches of text covered by both.

**Score** (0 to 1). Label similarity only counts above ``LABEL_FLOOR`` (0.5): most pairs of short
labels share a few letters, which says nothing. Rescaled from the floor to 1, it is the *label
evidence*; the score is ``1 - (1 - label evidence) * (1 - co-coverage)``: either signal alone can
carry a pair (identical labels score 1 even on a first transcript coded by only one coder), and
both together rank a pair above either alone. A pair with any signal (score above 0) is
suggested; the rest are left out. Ties are ranked by co-coverage, then shared passages, then the
codes' ids (A's, then B's), so the order never depends on the input's.

Cost: a sweep over each transcript's covered ranges finds the overlapping pairs (no loop over pairs
of codings), and labels are compared with ``difflib``'s cheap upper bounds first; 300 by 300 codes
and thousands of codings take a fraction of a second.

Pure Python (no Django), so it runs and is tested without a database.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

LABEL_FLOOR = 0.5
DEFAULT_LIMIT = 50

# fmt: off
STOPWORDS = frozenset({
    "a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "of", "on", "or", "the",
    "to", "with", "without", "about",
})
# fmt: on
_NOT_WORD = re.compile(r"[\W_]+")
_APOSTROPHE = re.compile(r"['\u2019]")  # "client's" is one word, "clients" (then "client")


@dataclass(frozen=True)
class Suggestion:
    """A's code ``a`` and B's code ``b`` may mean the same. The numbers are from 0 to 1, except
    ``shared_passages``, a count."""

    a: Hashable
    b: Hashable
    score: float
    label_similarity: float
    co_coverage: float
    shared_passages: int


# Labels ------------------------------------------------------------------------------------------


def _stem(word: str) -> str:
    """A crude English stem: enough for "boundaries"/"boundary", "creating"/"create"."""
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 4 and word.endswith(("sses", "ches", "shes", "xes", "zes")):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
    elif len(word) > 4 and word.endswith("ed"):
        word = word[:-2]
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def normalise(label: str) -> tuple[str, ...]:
    """A label's stems, in order."""
    decomposed = unicodedata.normalize("NFKD", label)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    plain = _APOSTROPHE.sub("", plain)
    words = [word for word in _NOT_WORD.split(plain) if word]
    content = [word for word in words if word not in STOPWORDS] or words
    return tuple(_stem(word) for word in content)


@dataclass(frozen=True)
class _Label:
    stems: frozenset[str]
    text: str


def _label(label: str) -> _Label:
    stems = normalise(label)
    if not stems:  # no letter or digit at all: the label as written
        stems = (" ".join(label.casefold().split()),)
    return _Label(frozenset(stems), " ".join(stems))


def _jaccard(x: frozenset, y: frozenset) -> float:
    if not x and not y:
        return 1.0
    both = len(x & y)
    return both / (len(x) + len(y) - both)


def _similarity(x: _Label, y: _Label) -> float:
    if x.text == y.text:
        return 1.0
    ratio = difflib.SequenceMatcher(None, x.text, y.text, autojunk=False).ratio()
    return (_jaccard(x.stems, y.stems) + ratio) / 2


def label_similarity(x: str, y: str) -> float:
    """How alike two labels are, from 0 to 1 (1 for the same normalised label)."""
    return _similarity(_label(x), _label(y))


def _label_evidence(similarity: float) -> float:
    return max(0.0, (similarity - LABEL_FLOOR) / (1 - LABEL_FLOOR))


# Coverage ----------------------------------------------------------------------------------------


def _covers(
    spans: Iterable[tuple[Hashable, Hashable, int, int]], codes: set
) -> dict[Hashable, dict[Hashable, list[tuple[int, int]]]]:
    """Each transcript's covered ranges per code, merged (touching ranges join), in order."""
    ranges: dict[Hashable, dict[Hashable, list[tuple[int, int]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for code, transcript, start, end in spans:
        if not 0 <= start < end:
            raise ValueError(f"A coding covers some text: [{start}, {end}) does not.")
        if code in codes:
            ranges[transcript][code].append((start, end))
    merged: dict[Hashable, dict[Hashable, list[tuple[int, int]]]] = {}
    for transcript, by_code in ranges.items():
        merged[transcript] = {}
        for code, pieces in by_code.items():
            out: list[tuple[int, int]] = []
            for start, end in sorted(pieces):
                if out and start <= out[-1][1]:
                    out[-1] = (out[-1][0], max(out[-1][1], end))
                else:
                    out.append((start, end))
            merged[transcript][code] = out
    return merged


def _sizes(covers: dict) -> dict[Hashable, int]:
    sizes: dict[Hashable, int] = defaultdict(int)
    for by_code in covers.values():
        for code, ranges in by_code.items():
            sizes[code] += sum(end - start for start, end in ranges)
    return sizes


def _overlaps(covers_a: dict, covers_b: dict) -> dict[tuple, list[int]]:
    """For each pair of an A code and a B code covering some text in common: [characters both
    cover, passages both cover]. One sweep per transcript over the boundaries of the ranges."""
    found: dict[tuple, list[int]] = {}
    for transcript in covers_a.keys() & covers_b.keys():
        # At each boundary: the codes whose range starts (+1) or ends (-1) there, per side.
        events: dict[int, list[tuple[int, int, Hashable]]] = defaultdict(list)
        for side, covers in ((0, covers_a[transcript]), (1, covers_b[transcript])):
            for code, ranges in covers.items():
                for start, end in ranges:
                    events[start].append((side, 1, code))
                    events[end].append((side, -1, code))
        active: tuple[set, set] = (set(), set())
        previous_end: dict[tuple, int] = {}  # where each pair's last shared stretch ended
        boundaries = sorted(events)
        for here, following in zip(boundaries, [*boundaries[1:], None], strict=True):
            for side, change, code in events[here]:
                (active[side].add if change > 0 else active[side].discard)(code)
            if following is None or not active[0] or not active[1]:
                continue
            length = following - here
            for a in active[0]:
                for b in active[1]:
                    if a == b:
                        continue
                    pair = (a, b)
                    counts = found.setdefault(pair, [0, 0])
                    counts[0] += length
                    if previous_end.get(pair) != here:
                        counts[1] += 1
                    previous_end[pair] = following
    return found


# Ranking -----------------------------------------------------------------------------------------


def suggest(
    codes_a: Iterable[tuple[Hashable, str]],
    codes_b: Iterable[tuple[Hashable, str]],
    spans_a: Iterable[tuple[Hashable, Hashable, int, int]],
    spans_b: Iterable[tuple[Hashable, Hashable, int, int]],
    *,
    limit: int | None = DEFAULT_LIMIT,
    exclude: Iterable[tuple[Hashable, Hashable]] = (),
) -> list[Suggestion]:
    """Pairs of an A code and a B code that may mean the same, best first (see the module).

    ``codes_a`` and ``codes_b`` are each coder's codes as (id, label); ids are unique, orderable
    (they break ties) and a code never pairs with itself. ``spans_a`` and ``spans_b`` are each
    coder's codings as (code id, transcript key, start, end), offsets half-open; a coding of a code
    not listed is ignored. Pairs in ``exclude`` (already aligned, as (a, b)) are left out; at most
    ``limit`` suggestions come back (all of them for None).
    """
    if limit is not None and limit < 0:
        raise ValueError(f"limit is a number of suggestions, not {limit}.")
    labels_a = {code: _label(label) for code, label in codes_a}
    labels_b = {code: _label(label) for code, label in codes_b}
    covers_a = _covers(spans_a, set(labels_a))
    covers_b = _covers(spans_b, set(labels_b))
    sizes_a, sizes_b = _sizes(covers_a), _sizes(covers_b)
    overlaps = _overlaps(covers_a, covers_b)
    excluded = set(exclude)

    # Label similarity for every pair whose label could count: the cheap upper bounds of
    # difflib's ratio first, with B's label indexed once (SequenceMatcher caches its second
    # sequence).
    similar: dict[tuple, float] = {}
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    for b, lb in labels_b.items():
        matcher.set_seq2(lb.text)
        for a, la in labels_a.items():
            if a == b:
                continue
            if la.text == lb.text:
                similar[(a, b)] = 1.0
                continue
            jaccard = _jaccard(la.stems, lb.stems)
            needed = 2 * LABEL_FLOOR - jaccard  # the ratio above which the label counts
            matcher.set_seq1(la.text)
            if matcher.real_quick_ratio() <= needed or matcher.quick_ratio() <= needed:
                continue
            similarity = (jaccard + matcher.ratio()) / 2
            if similarity > LABEL_FLOOR:
                similar[(a, b)] = similarity

    # A pair's label counts only when it is in ``similar``; otherwise its score is its
    # co-coverage, and its exact label similarity is worked out only if it is returned.
    ranked = []
    for pair in similar.keys() | overlaps.keys():
        if pair in excluded:
            continue
        a, b = pair
        both, passages = overlaps.get(pair, (0, 0))
        co_coverage = both / (sizes_a[a] + sizes_b[b] - both) if both else 0.0
        score = 1 - (1 - _label_evidence(similar.get(pair, 0.0))) * (1 - co_coverage)
        if score > 0:
            ranked.append((-score, -co_coverage, -passages, a, b))
    ranked.sort()
    if limit is not None:
        ranked = ranked[:limit]
    return [
        Suggestion(
            a=a,
            b=b,
            score=-score,
            label_similarity=similar.get((a, b)) or _similarity(labels_a[a], labels_b[b]),
            co_coverage=-co_coverage,
            shared_passages=-passages,
        )
        for score, co_coverage, passages, a, b in ranked
    ]
