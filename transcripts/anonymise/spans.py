"""Editing a transcript's text and carrying ranges over to the new text.

Ranges (speaker turns, codings, anonymisation markers, extracts) are half-open ``[start, end)`` in
Unicode code points (ARCHITECTURE.md, invariant 3). An edit replaces ``old_text[start:end]`` by a
replacement; an ``OffsetMap`` built from the edits (or from a diff of two texts) tells where a range
of the old text lies in the new text and whether its own text changed, so that a person reviews it
rather than seeing it silently moved.

Pure Python (no Django), so it runs and is tested without a database.

Error messages name edits and ranges by position only, never by their text: the text may hold a
real name that must not reach a log or an error page (SECURITY.md).
"""

from __future__ import annotations

import bisect
import difflib
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# Up to this many characters (old and new together, after trimming their common ends) a changed
# block is diffed character by character, whose cost grows with the product of the lengths. A
# longer block is first diffed by lines, then sentences, then words (_LEVELS), and each changed
# block of those by characters; one still longer after words becomes a single edit, reviewed whole.
_CHARACTER_DIFF_LIMIT = 4_000


@dataclass(frozen=True)
class Edit:
    start: int  # replace old_text[start:end] ...
    end: int
    replacement: str  # ... by this (may be "" for a deletion, or an insertion when start == end)

    @property
    def delta(self) -> int:
        """How much longer the text is after this edit (negative when shorter)."""
        return len(self.replacement) - (self.end - self.start)


@dataclass(frozen=True)
class Mapped:
    start: int
    end: int
    touched: bool  # its own text changed (an edit overlaps its inside): a person should review it


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """The text with every edit applied, each at its position in the original text.

    Edits must not overlap (ValueError naming the two edits otherwise); any order accepted. Two
    insertions at the same position overlap (their order would be a guess); an insertion at the
    start or end of a replaced region does not (it goes before or after the replacement).
    """
    ordered = _checked(text, edits)
    pieces: list[str] = []
    position = 0
    for edit in ordered:
        pieces.append(text[position : edit.start])
        pieces.append(edit.replacement)
        position = edit.end
    pieces.append(text[position:])
    return "".join(pieces)


class OffsetMap:
    """Where ranges of an old text lie in the new text made from it by some edits.

    Edits that change nothing (the replacement equals the text it replaces, an empty insertion)
    are dropped: they touch no range.
    """

    def __init__(self, old_length: int, edits: Sequence[Edit]) -> None:
        """Use from_edits or from_texts; ``edits`` here are sorted, checked and effective."""
        self._old_length = old_length
        self._edits = list(edits)
        self._starts = [edit.start for edit in self._edits]
        self._ends = [edit.end for edit in self._edits]
        # _shift[k]: how far the text after the first k edits has moved (their deltas summed).
        self._shift = [0]
        self._new_starts: list[int] = []  # where each edit's replacement begins in the new text
        for edit in self._edits:
            self._new_starts.append(edit.start + self._shift[-1])
            self._shift.append(self._shift[-1] + edit.delta)
        self._new_length = old_length + self._shift[-1]

    @classmethod
    def from_edits(cls, old_text: str, edits: Sequence[Edit]) -> OffsetMap:
        """The map of these edits to old_text (checked as apply_edits checks them)."""
        ordered = _checked(old_text, edits)
        effective = [e for e in ordered if old_text[e.start : e.end] != e.replacement]
        return cls(len(old_text), effective)

    @classmethod
    def from_texts(cls, old_text: str, new_text: str) -> OffsetMap:
        """The map of an arbitrary correction: the edits a diff finds from old_text to new_text.

        difflib.SequenceMatcher (autojunk=False) on characters, after trimming the common
        beginning and end; a long text is diffed by lines first (blank lines and lines repeated
        more than once in a hundred are not used as anchors), then by sentences and words within
        changed blocks, then characters, to stay fast on 100,000-character transcripts.

        An insertion or deletion next to text it repeats could sit at several places ("a.\n\nB
        a." less its last turn is also "a." less "a.\n\nB "); it is slid to the place whose edges
        fall best between turns, lines, sentences and words, where a person would have made it,
        so that it does not touch a neighbouring turn or coding. The edits are still one valid
        diff, not necessarily the ones a person made.
        """
        edits = _diff(old_text, new_text, 0, _LEVELS)
        return cls(len(old_text), _slid_to_boundaries(old_text, new_text, edits))

    @property
    def edits(self) -> list[Edit]:
        """The effective edits, in text order."""
        return list(self._edits)

    @property
    def old_length(self) -> int:
        return self._old_length

    @property
    def new_length(self) -> int:
        return self._new_length

    def map_range(self, start: int, end: int) -> Mapped | None:
        """Where [start, end) of the old text is in the new text.

        - wholly before or after every edit: shifted, touched=False (its text is unchanged);
        - an edit strictly inside the range: start and end mapped, touched=True;
        - the range inside one replaced region: mapped to the whole replacement, touched=True;
        - the range partly overlapping an edit: its edge inside the edit moves to the edge of the
          replacement, so the range covers the whole replacement (or loses the deleted part),
          touched=True;
        - an edit that only meets the range's boundary (ends at start, or starts at end) does not
          touch it; an insertion exactly at a boundary stays outside the range;
        - a range whose text is entirely deleted maps to None.

        The result always satisfies 0 <= start < end <= new_length. ValueError for a range that
        is not 0 <= start < end <= old_length.
        """
        if not 0 <= start < end <= self._old_length:
            raise ValueError(
                f"range [{start}, {end}) is not within the text (length {self._old_length}) "
                "with start before end"
            )
        new_start = self._map_start(start)
        new_end = self._map_end(end)
        if new_start >= new_end:
            return None
        # The first edit that ends after start overlaps the inside iff it begins before end (an
        # insertion counts only strictly inside: at start it ends at start, at end it begins there).
        first = bisect.bisect_right(self._ends, start)
        touched = first < len(self._edits) and self._starts[first] < end
        return Mapped(new_start, new_end, touched)

    def map_ranges(self, ranges: Sequence[tuple[int, int]]) -> list[Mapped | None]:
        """map_range for many ranges, in their order: O(m log n) for m ranges and n edits (each
        range is two binary searches in the edits, sorted once when the map was made)."""
        return [self.map_range(start, end) for start, end in ranges]

    def _map_start(self, position: int) -> int:
        # Edits ending at or before the position are behind it (an insertion at it included, so it
        # stays outside a range starting here); the next edit contains it if it begins before it.
        k = bisect.bisect_right(self._ends, position)
        if k < len(self._edits) and self._starts[k] < position:
            return self._new_starts[k]
        return position + self._shift[k]

    def _map_end(self, position: int) -> int:
        # Edits beginning before the position are behind it (an insertion at it excluded, so it
        # stays outside a range ending here); the last of them contains it if it ends after it.
        k = bisect.bisect_left(self._starts, position)
        if k > 0 and self._ends[k - 1] > position:
            last = self._edits[k - 1]
            return self._new_starts[k - 1] + len(last.replacement)
        return position + self._shift[k]


def _checked(text: str, edits: Sequence[Edit]) -> list[Edit]:
    """The edits in text order, after checking each lies within the text and no two overlap."""
    for index, edit in enumerate(edits):
        if not 0 <= edit.start <= edit.end <= len(text):
            raise ValueError(
                f"edit #{index} [{edit.start}, {edit.end}) is not within the text "
                f"(length {len(text)}) with start at or before end"
            )
    order = sorted(range(len(edits)), key=lambda i: (edits[i].start, edits[i].end))
    for before, after in itertools.pairwise(order):
        a, b = edits[before], edits[after]
        both_insertions_here = a.start == a.end == b.start == b.end
        if b.start < a.end or both_insertions_here:
            raise ValueError(
                f"edits overlap: edit #{before} [{a.start}, {a.end}) and "
                f"edit #{after} [{b.start}, {b.end})"
            )
    return [edits[i] for i in order]


def _diff(old: str, new: str, offset: int, levels: Sequence[_Level]) -> list[Edit]:
    """The edits turning old into new, their positions counted from offset (where old begins in
    the full old text): common ends trimmed, then characters compared if the rest is short, else
    the first level's pieces compared and each changed block diffed with the levels below."""
    prefix = _common_prefix(old, new)
    suffix = _common_suffix(old[prefix:], new[prefix:])
    old_middle = old[prefix : len(old) - suffix]
    new_middle = new[prefix : len(new) - suffix]
    start = offset + prefix
    if not old_middle or not new_middle:
        return (
            [Edit(start, start + len(old_middle), new_middle)] if old_middle or new_middle else []
        )

    if len(old_middle) + len(new_middle) <= _CHARACTER_DIFF_LIMIT:
        matcher = difflib.SequenceMatcher(None, old_middle, new_middle, autojunk=False)
        return [
            Edit(start + i1, start + i2, new_middle[j1:j2])
            for tag, i1, i2, j1, j2 in matcher.get_opcodes()
            if tag != "equal"
        ]
    if not levels:
        # Too long to compare by characters and nothing left to split it by: reviewed whole.
        return [Edit(start, start + len(old_middle), new_middle)]

    split, is_filler = levels[0]
    old_pieces, new_pieces = split(old_middle), split(new_middle)
    old_at, new_at = _offsets(old_pieces), _offsets(new_pieces)
    # Filler pieces (blank lines) are frequent and say nothing about alignment: not used as
    # anchors (which would make the comparison slow), only to extend matches found around them.
    matcher = difflib.SequenceMatcher(is_filler, old_pieces, new_pieces, autojunk=True)
    edits: list[Edit] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            old_block = old_middle[old_at[i1] : old_at[i2]]
            new_block = new_middle[new_at[j1] : new_at[j2]]
            edits.extend(_diff(old_block, new_block, start + old_at[i1], levels[1:]))
    return edits


def _slid_to_boundaries(old: str, new: str, edits: list[Edit]) -> list[Edit]:
    """The diff's edits with each pure insertion or deletion moved, within the unchanged text
    around it, to where its edges score best (_edge_score), the later place on a tie."""
    slid: list[Edit] = []
    shift = 0  # how far the new text has moved against the old before the current edit
    for index, edit in enumerate(edits):
        following = edits[index + 1] if index + 1 < len(edits) else None
        lowest = slid[-1].end if slid else 0
        highest = following.start if following else len(old)
        if edit.start == edit.end and edit.replacement:
            # an insertion: it never lands where a neighbouring insertion is
            if slid and slid[-1].start == slid[-1].end:
                lowest += 1
            if following and following.start == following.end:
                highest -= 1
            slid.append(_slid_insertion(new, edit, shift, lowest, highest))
        elif edit.start < edit.end and not edit.replacement:
            slid.append(_slid_deletion(old, edit, lowest, highest))
        else:
            slid.append(edit)
        shift += edit.delta
    return slid


def _slid_insertion(new: str, edit: Edit, shift: int, lowest: int, highest: int) -> Edit:
    # In the new text the insertion is new[at : at + size]; one place to the right, it is the
    # same text if the character it moves over equals its first one.
    size = len(edit.replacement)
    at = edit.start + shift
    position = edit.start
    while position > lowest and new[at - 1] == new[at + size - 1]:
        at, position = at - 1, position - 1
    best, best_score = (position, at), _edge_score(new, at) + _edge_score(new, at + size)
    while position < highest and new[at] == new[at + size]:
        at, position = at + 1, position + 1
        score = _edge_score(new, at) + _edge_score(new, at + size)
        if score >= best_score:
            best, best_score = (position, at), score
    position, at = best
    return Edit(position, position, new[at : at + size])


def _slid_deletion(old: str, edit: Edit, lowest: int, highest: int) -> Edit:
    start, end = edit.start, edit.end
    while start > lowest and old[start - 1] == old[end - 1]:
        start, end = start - 1, end - 1
    best, best_score = (start, end), _edge_score(old, start) + _edge_score(old, end)
    while end < highest and old[start] == old[end]:
        start, end = start + 1, end + 1
        score = _edge_score(old, start) + _edge_score(old, end)
        if score >= best_score:
            best, best_score = (start, end), score
    return Edit(best[0], best[1], "")


def _edge_score(text: str, position: int) -> int:
    """How good a place the position (between text[position - 1] and text[position]) is for an
    edit's edge: the text's ends, then a blank line (between turns), a line break, a sentence's
    end, whitespace, punctuation, and last the inside of a word."""
    if position <= 0 or position >= len(text):
        return 6
    before, after = text[position - 1], text[position]
    if text[position - 2 : position] == "\n\n" or text[position : position + 2] == "\n\n":
        return 5
    if before == "\n" or after == "\n":
        return 4
    if before in ".!?" and after.isspace():
        return 3
    if before.isspace() or after.isspace():
        return 2
    if not before.isalnum() or not after.isalnum():
        return 1
    return 0


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _sentences(text: str) -> list[str]:
    """Pieces ending at a full stop, question or exclamation mark followed by whitespace."""
    return [piece for piece in _SENTENCE_END.split(text) if piece]


def _words(text: str) -> list[str]:
    """Each word with the whitespace before it (and any whitespace at the end on its own)."""
    return _WORD.findall(text)


def _is_blank(piece: str) -> bool:
    return not piece.strip()


_SENTENCE_END = re.compile(r"(?<=[.!?])(?=\s)")
_WORD = re.compile(r"\s*\S+|\s+")
# How a long text is split before characters are compared: lines, sentences within a changed
# block of lines, then words; each level with the pieces that are filler at that level.
_Level = tuple[Callable[[str], list[str]], Callable[[str], bool]]
_LEVELS: tuple[_Level, ...] = ((_lines, _is_blank), (_sentences, _is_blank), (_words, _is_blank))


def _offsets(pieces: list[str]) -> list[int]:
    """Where each piece begins, and the end of the last."""
    offsets = [0]
    for piece in pieces:
        offsets.append(offsets[-1] + len(piece))
    return offsets


def _common_prefix(a: str, b: str) -> int:
    """The length of the longest common prefix, found by halving (C-speed comparisons)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix(a: str, b: str) -> int:
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[len(a) - middle :] == b[len(b) - middle :]:
            low = middle
        else:
            high = middle - 1
    return low
