"""The difference list: where two coders' codings of one transcript agree and where they differ.

Coders code blind, each with codes of their own, and before comparing the team maps codes across
coders (A's "creating safety" is B's "safe space"). Under the mapping every coding has a *key*, and
``differences`` lists, in the order of the text, one item per thing to talk over:

- ``AGREEMENT``: one coding each, the same key on exactly the same passage;
- ``BOUNDARY``: the same key on overlapping passages whose bounds differ;
- ``DIFFERENT_CODES``: the same passage under different keys;
- ``ONLY_A``, ``ONLY_B``: a coding the other coder has nothing to set against.

Matching runs in two rounds. Each pairs codings one-to-one, greedily, the highest overlap ratio
(characters in both / characters in either) first and ties by position, so that two passages both
coders coded with slightly different bounds stay two items:

1. Same key. Overlapping codings with the same key pair up: a pair with the same bounds is an
   agreement, any other a boundary item. A coding left unpaired that overlaps, under its key, a
   boundary item's coding of the other coder joins that item (the one whose coding it overlaps
   most): a turn coded whole by A and sentence by sentence by B is one boundary item, not three.
   Agreements never grow; a coding whose only partners under its key are agreed goes on to round 2.
2. Different keys, among the codings round 1 left. Two codings are on the same passage when their
   overlap ratio is at least ``same_passage`` (0.5 unless given), measured coding against coding;
   such pairs are different-codes items. A coding still left then joins the item, among those it
   overlaps on the other coder's side, with which that item's overlap ratio is highest (the first
   in the text on a tie), provided the ratio stays at least ``same_passage`` and the other side
   has no coding of its key: A's two codes on a turn against B's one code is one item, and so is
   A's turn against B's two sentences.

What is left after that is only-A or only-B. Every coding of either coder is in exactly one item,
so a coding matched by key is never also set against another code: when A codes a passage "safety"
and "support" and B codes it "support" only, that is an agreement and an only-A item.

An item's ``overlap`` is the ratio over all its codings: characters covered by both coders / by
either (1.0 for an agreement, 0.0 for one coder only; 1.0 on a boundary item means the same
characters cut differently). Offsets are half-open ``[start, end)`` in Unicode code points, as
everywhere in the project, so an item's ``start`` and ``end`` slice the transcript's text
(``excerpt``), and its segments' ids lead back to the coding rows.

Pure Python (no Django), so it runs and is tested without a database.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction


class Kind(StrEnum):
    """What an item is about, declared in the order of items that start and end at one place."""

    DIFFERENT_CODES = "different codes"
    BOUNDARY = "boundary"
    ONLY_A = "only A"
    ONLY_B = "only B"
    AGREEMENT = "agreement"


@dataclass(frozen=True)
class Segment:
    """One coding by one coder: the passage ``[start, end)`` under that coder's own ``code``.

    ``id`` leads back to the coding's row: ids are unique within one coder's layer and comparable
    with one another (they break ties in the order of the list).
    """

    id: Hashable
    code: Hashable
    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end:
            raise ValueError(f"A coding covers some text: [{self.start}, {self.end}) does not.")


@dataclass(frozen=True)
class Item:
    """One entry of the difference list, about the passage from its segments' first start to
    their last end."""

    kind: Kind
    start: int
    end: int
    a: tuple[Segment, ...]  # coder A's codings in it, in text order (none for ONLY_B)
    b: tuple[Segment, ...]  # coder B's (none for ONLY_A)
    overlap: float  # characters covered by both coders' codings here / by either


# A coder's code to its shared key under the mapping, or None when it has none (``mapping.get``).
KeyFunction = Callable[[Hashable], Hashable | None]

_RANK = {kind: rank for rank, kind in enumerate(Kind)}


def differences(
    a: Iterable[Segment],
    b: Iterable[Segment],
    *,
    key_a: KeyFunction | None = None,
    key_b: KeyFunction | None = None,
    same_passage: float = 0.5,
) -> list[Item]:
    """The difference list of coder A's codings ``a`` and coder B's ``b`` of one transcript.

    ``key_a`` and ``key_b`` give each coder's codes their shared key under the mapping (for
    example ``{"creating safety": "safety"}.get`` and ``{"safe space": "safety"}.get``). A code
    with no key (None, or no key function) is its own key: it matches the other coder's same code
    (a shared codebook) and never a key. Items come in the order of the text: by start, then end,
    then kind (in ``Kind``'s order), then the ids of their segments; the order of ``a`` and ``b``
    does not matter.
    """
    if not 0 <= same_passage <= 1:
        raise ValueError(f"same_passage is an overlap ratio from 0 to 1, not {same_passage}.")
    groups, left = _same_key(_codings("A", a, key_a), _codings("B", b, key_b))
    # The simplest fraction of that float: 0.4 means 2/5, not the float just above it.
    groups += _different_keys(left, Fraction(same_passage).limit_denominator())
    return sorted((group.item() for group in groups), key=_order)


def summary(items: Iterable[Item]) -> dict[Kind, int]:
    """How many items of each kind, every kind listed (in ``Kind``'s order)."""
    counts = Counter(item.kind for item in items)
    return {kind: counts[kind] for kind in Kind}


def excerpt(text: str, item: Item, context: int = 0) -> str:
    """The passage of ``text`` an item is about, with up to ``context`` code points either side
    (counted like the offsets, so context may cut into an emoji sequence or an accented letter)."""
    if context < 0:
        raise ValueError(f"context is a number of characters, not {context}.")
    if item.end > len(text):
        raise ValueError(
            f"[{item.start}, {item.end}) lies beyond a text of {len(text)} characters."
        )
    return text[max(0, item.start - context) : item.end + context]


# Matching ----------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Coding:
    """A segment with its coder ("A" or "B") and its key: ("key", shared key) or ("code", code)."""

    side: str
    key: tuple[str, Hashable]
    segment: Segment

    @property
    def start(self) -> int:
        return self.segment.start

    @property
    def end(self) -> int:
        return self.segment.end

    @property
    def place(self) -> tuple:
        """Its position among one coder's codings."""
        return (self.start, self.end, self.segment.id)

    def order(self) -> tuple:
        """Its position among both coders' codings."""
        return (self.start, self.end, self.side, self.segment.id)


@dataclass
class _Group:
    """The codings of one item in the making."""

    kind: Kind
    a: list[_Coding]
    b: list[_Coding]

    def side(self, side: str) -> list[_Coding]:
        return self.a if side == "A" else self.b

    def item(self) -> Item:
        a = tuple(c.segment for c in sorted(self.a, key=lambda c: c.place))
        b = tuple(c.segment for c in sorted(self.b, key=lambda c: c.place))
        both = a + b
        return Item(
            kind=self.kind,
            start=min(s.start for s in both),
            end=max(s.end for s in both),
            a=a,
            b=b,
            overlap=float(_ratio(self.a, self.b)) if a and b else 0.0,
        )


class _Index:
    """One coder's codings by start, to find those overlapping a range."""

    def __init__(self, codings: Iterable[_Coding]) -> None:
        self._codings = sorted(codings, key=lambda c: c.place)
        self._starts = [c.start for c in self._codings]

    def overlapping(self, start: int, end: int) -> list[_Coding]:
        stop = bisect.bisect_left(self._starts, end)
        return [c for c in self._codings[:stop] if c.end > start]


def _codings(side: str, segments: Iterable[Segment], key: KeyFunction | None) -> list[_Coding]:
    codings, ids = [], set()
    for segment in segments:
        if segment.id in ids:
            raise ValueError(f"Coder {side} has two codings with the id {segment.id!r}.")
        ids.add(segment.id)
        shared = None if key is None else key(segment.code)
        tagged = ("code", segment.code) if shared is None else ("key", shared)
        codings.append(_Coding(side, tagged, segment))
    return sorted(codings, key=lambda c: c.place)


def _same_key(a: list[_Coding], b: list[_Coding]) -> tuple[list[_Group], list[_Coding]]:
    """Round 1: agreements and boundary items, and the codings they leave, in text order."""
    groups: list[_Group] = []
    in_boundary: dict[_Coding, _Group] = {}
    for x, y in _pairs(a, b, lambda x, y, ratio: x.key == y.key):
        agreed = (x.start, x.end) == (y.start, y.end)
        group = _Group(Kind.AGREEMENT if agreed else Kind.BOUNDARY, [x], [y])
        groups.append(group)
        if not agreed:
            in_boundary[x] = in_boundary[y] = group
    paired = {coding for group in groups for coding in (*group.a, *group.b)}
    index = {"A": _Index(a), "B": _Index(b)}
    left = []
    for coding in sorted(a + b, key=_Coding.order):
        if coding in paired:
            continue
        partners = [
            other
            for other in index[_other(coding.side)].overlapping(coding.start, coding.end)
            if other.key == coding.key and other in in_boundary
        ]
        if partners:
            best = min(partners, key=lambda other: (-_common([coding], [other]), other.place))
            in_boundary[best].side(coding.side).append(coding)
        else:
            left.append(coding)
    return groups, left


def _different_keys(left: list[_Coding], threshold: Fraction) -> list[_Group]:
    """Round 2: different-codes items among the codings round 1 left, and only-A and only-B."""
    seeds = _pairs(
        [coding for coding in left if coding.side == "A"],
        [coding for coding in left if coding.side == "B"],
        lambda x, y, ratio: x.key != y.key and ratio >= threshold,
    )
    different = sorted(
        (_Group(Kind.DIFFERENT_CODES, [x], [y]) for x, y in seeds),
        key=lambda group: (group.a[0].place, group.b[0].place),
    )
    seeded = {coding for pair in seeds for coding in pair}
    only = []
    for coding in left:
        if coding in seeded:
            continue
        fits = [
            (ratio, group)
            for group in different
            if (ratio := _joined(coding, group)) is not None and ratio >= threshold
        ]
        if fits:
            group = max(fits, key=lambda fit: fit[0])[1]  # the first of the best
        else:
            group = _Group(Kind.ONLY_A if coding.side == "A" else Kind.ONLY_B, [], [])
            only.append(group)
        group.side(coding.side).append(coding)
    return different + only


def _joined(coding: _Coding, group: _Group) -> Fraction | None:
    """The overlap ratio of a different-codes item with a coding joined to it, or None when the
    coding does not overlap the other coder's side or shares a key with it."""
    own, other = group.side(coding.side), group.side(_other(coding.side))
    if not any(o.start < coding.end and coding.start < o.end for o in other):
        return None
    if any(o.key == coding.key for o in other):
        return None
    return _ratio([*own, coding], other)


def _pairs(
    xs: Sequence[_Coding],
    ys: Sequence[_Coding],
    fits: Callable[[_Coding, _Coding, Fraction], bool],
) -> list[tuple[_Coding, _Coding]]:
    """One-to-one pairs of overlapping codings that fit, taken greedily: the highest overlap ratio
    first, ties by position."""
    index = _Index(ys)
    candidates = []
    for x in xs:
        for y in index.overlapping(x.start, x.end):
            # Two overlapping ranges: their union is the range from the first start to the last end.
            both = min(x.end, y.end) - max(x.start, y.start)
            ratio = Fraction(both, max(x.end, y.end) - min(x.start, y.start))
            if fits(x, y, ratio):
                candidates.append((-ratio, x.place, y.place, x, y))
    candidates.sort(key=lambda candidate: candidate[:3])
    pairs, taken = [], set()
    for *_, x, y in candidates:
        if x not in taken and y not in taken:
            pairs.append((x, y))
            taken.update((x, y))
    return pairs


def _other(side: str) -> str:
    return "B" if side == "A" else "A"


def _order(item: Item) -> tuple:
    ids = tuple(s.id for s in item.a), tuple(s.id for s in item.b)
    return (item.start, item.end, _RANK[item.kind], *ids)


# Characters covered ------------------------------------------------------------------------------


def _cover(codings: Iterable[_Coding]) -> list[tuple[int, int]]:
    """The ranges the codings cover, merged, in order."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted((c.start, c.end) for c in codings):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _common(xs: Iterable[_Coding], ys: Iterable[_Coding]) -> int:
    """How many characters both sets of codings cover."""
    common, xi, yi = 0, 0, 0
    x, y = _cover(xs), _cover(ys)
    while xi < len(x) and yi < len(y):
        common += max(0, min(x[xi][1], y[yi][1]) - max(x[xi][0], y[yi][0]))
        if x[xi][1] < y[yi][1]:
            xi += 1
        else:
            yi += 1
    return common


def _ratio(xs: Sequence[_Coding], ys: Sequence[_Coding]) -> Fraction:
    """Characters covered by both sets of codings / by either (both sets not empty)."""
    both = _common(xs, ys)
    either = sum(end - start for start, end in _cover([*xs, *ys]))
    return Fraction(both, either)
