"""Where a source's selections land: how its offsets are counted, and the speaker labels taken out
of its text.

The standard counts Unicode code points from 0, end exclusive. Tools do not all agree (NOTES.md):
NVivo counts UTF-16 code units (different after the first emoji) and, on Windows, counts the CR
of each CRLF; ATLAS.ti writes CRLF files but counts a line break as one character. So `decide`
tries each reading of a source's offsets and keeps the one under which the selections land where
a person would have made them: on the words their `name` quotes, where it quotes them, and on word
boundaries. It says what it decided and why, moves every selection into the stored text (LF line
ends, no byte-order mark), cuts one that runs a little past the end with a warning, and reports
one that lies outside the text under every reading as an error.

`split_turns` then finds the speaker labels ("Interviewer:", "P3:") at the start of paragraphs,
as the plain-text importer does, takes them out of the text (they become each turn's speaker)
and carries the selections over that edit; a text without labels becomes one turn per paragraph.

Pure Python, no Django. Messages name selections and positions, never the text they select.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from transcripts.anonymise.spans import Edit, OffsetMap, apply_edits
from transcripts.importers.base import seconds

# An end this many characters past the text's end is cut at the end (a final line break counted
# differently); further out, the offsets do not belong to this text.
END_SLACK = 2
_CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")
_SPACE = re.compile(r"\s+")
_TRUNCATED = ("…", "...")


@dataclass(frozen=True)
class Reading:
    key: str
    label: str
    utf16: bool  # offsets count UTF-16 code units, not code points
    crlf_one: bool  # a CRLF line end counts as one character (and so does a lone CR)
    bom: bool  # the byte-order mark counts as the first character


# In order of preference when the evidence is even: the standard first.
_BASE = (
    Reading("code_points", "Unicode code points (the standard's counting)", False, False, False),
    Reading(
        "crlf_one",
        "code points, a CRLF line end counted once (as ATLAS.ti counts)",
        False,
        True,
        False,
    ),
    Reading("utf16", "UTF-16 code units (as NVivo counts)", True, False, False),
    Reading("utf16_crlf_one", "UTF-16 code units, a CRLF line end counted once", True, True, False),
)
_WITH_BOM = tuple(
    Reading(f"{r.key}_bom", f"{r.label}, the byte-order mark counted", r.utf16, r.crlf_one, True)
    for r in _BASE
)
READINGS = {reading.key: reading for reading in (*_BASE, *_WITH_BOM)}


@dataclass(frozen=True)
class Quoted:
    """A selection as the file gives it: its offsets, the words its name quotes (may be empty or
    not a quotation at all), and how to name it in a message."""

    start: int
    end: int
    quote: str = ""
    label: str = ""


@dataclass
class Decision:
    """How one source's offsets were read, and each selection's span in `text` (None when it
    was dropped: empty, or an error)."""

    text: str  # the stored text: no BOM, LF line ends, control characters made spaces
    reading: Reading
    evidence: str
    spans: list[tuple[int, int] | None]
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def clean_text(text: str) -> tuple[str, bool, int]:
    """(text without a leading byte-order mark, whether it had one, how many control characters
    were made spaces). Length-preserving apart from the mark: offsets stay valid."""
    bom = text.startswith("\ufeff")
    if bom:
        text = text[1:]
    text, replaced = _CONTROLS.subn(" ", text)
    return text, bom, replaced


class _Counting:
    """One raw text and the ways of counting positions in it, each moved to the stored text."""

    def __init__(self, raw: str) -> None:
        self.raw = raw
        # The CR of each CRLF goes; a lone CR becomes LF (same length).
        self.dropped = [m.start() for m in re.finditer("\r\n", raw)]
        self.text = raw.replace("\r\n", "\n").replace("\r", "\n")
        self._astral_raw = [i for i, c in enumerate(raw) if ord(c) > 0xFFFF]
        self._astral_lf = [i for i, c in enumerate(self.text) if ord(c) > 0xFFFF]
        self._ends_raw = [a + k + 2 for k, a in enumerate(self._astral_raw)]
        self._ends_lf = [a + k + 2 for k, a in enumerate(self._astral_lf)]

    @property
    def has_crlf(self) -> bool:
        return bool(self.dropped)

    @property
    def has_astral(self) -> bool:
        return bool(self._astral_raw)

    def position(self, offset: int, reading: Reading) -> tuple[int, bool]:
        """Where `offset`, counted the reading's way, is in the stored text, and whether it fell
        inside a character (between the two UTF-16 units of an emoji)."""
        if reading.bom:
            offset -= 1
        if offset < 0:
            return offset, False
        inside = False
        if reading.utf16:
            astral = self._astral_lf if reading.crlf_one else self._astral_raw
            ends = self._ends_lf if reading.crlf_one else self._ends_raw
            k = bisect.bisect_right(ends, offset)
            inside = k < len(astral) and offset == astral[k] + k + 1
            offset -= k
        if not reading.crlf_one:
            offset -= bisect.bisect_left(self.dropped, offset)
        return offset, inside


def _is_word(character: str) -> bool:
    return character.isalnum() or character == "_"


def _on_boundary(text: str, position: int) -> bool:
    if position <= 0 or position >= len(text):
        return True
    return not (_is_word(text[position - 1]) and _is_word(text[position]))


def _squeezed(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def quote_matches(selected: str, quote: str) -> bool:
    """Whether the selection's name quotes its words: equal once whitespace is squeezed, or the
    beginning of them when the name is cut short with an ellipsis."""
    quote = _squeezed(quote)
    if not quote:
        return False
    selected = _squeezed(selected)
    if quote == selected:
        return True
    for mark in _TRUNCATED:
        if quote.endswith(mark):
            head = quote[: -len(mark)].rstrip()
            return bool(head) and selected.startswith(head)
    return False


@dataclass
class _Score:
    reading: Reading
    spans: list[tuple[int, int, bool, bool]]  # start, end, outside, inside a character
    outside: int = 0
    inside: int = 0
    cut: int = 0
    quoted: int = 0
    matched: int = 0
    boundaries: int = 0

    def key(self, rank: int) -> tuple:
        return (-(self.outside + self.inside + self.cut), self.matched, self.boundaries, -rank)


def _score(counting: _Counting, reading: Reading, selections: Sequence[Quoted]) -> _Score:
    text, length = counting.text, len(counting.text)
    score = _Score(reading, [])
    for selection in selections:
        start, start_inside = counting.position(selection.start, reading)
        end, end_inside = counting.position(selection.end, reading)
        outside = (
            start < 0
            or end < start
            or start > length
            or (start == length and end > start)
            or end > length + END_SLACK
        )
        inside = start_inside or end_inside
        score.spans.append((start, end, outside, inside))
        score.outside += outside
        score.inside += inside
        score.cut += not outside and end > length
        if outside:
            continue
        end = min(end, length)
        if selection.quote.strip():
            score.quoted += 1
            score.matched += quote_matches(text[start:end], selection.quote)
        score.boundaries += _on_boundary(text, start) and _on_boundary(text, end)
    return score


def _readings(counting: _Counting, bom: bool) -> list[Reading]:
    """The readings that can differ for this text."""
    readings = [
        reading
        for reading in _BASE
        if (not reading.crlf_one or counting.has_crlf)
        and (not reading.utf16 or counting.has_astral)
    ]
    if bom:
        readings += [READINGS[f"{reading.key}_bom"] for reading in readings]
    return readings


def _counts(score: _Score, total: int, quotes: bool) -> str:
    parts = []
    if quotes:
        parts.append(f"{score.matched} of {score.quoted} quoted selections match their words")
    parts.append(f"{score.boundaries} of {total} on word boundaries")
    if score.outside:
        parts.append(f"{score.outside} outside the text")
    if score.inside:
        parts.append(f"{score.inside} inside a character")
    return ", ".join(parts)


def decide(raw: str, selections: Sequence[Quoted], *, bom: bool = False) -> Decision:
    """Read the selections' offsets against `raw` (the source's text as decoded, BOM already
    removed and noted in `bom`) the way that lands them best; their spans in the stored text."""
    counting = _Counting(raw)
    readings = _readings(counting, bom)
    scores = [_score(counting, reading, selections) for reading in readings]
    ranked = sorted(enumerate(scores), key=lambda item: item[1].key(item[0]), reverse=True)
    best = ranked[0][1]
    total = len(selections)
    # Names are quotations only if some reading finds the words they name.
    quotes = any(score.matched for score in scores)
    differing = [
        score
        for _rank, score in ranked[1:]
        if [span[:2] for span in score.spans] != [span[:2] for span in best.spans]
    ]
    if not selections:
        evidence = "no selections to place"
    elif not differing:
        evidence = (
            "every way of counting places the selections alike"
            + ("" if len(readings) > 1 else " (no CRLF line ends, no characters beyond U+FFFF)")
            + f": {_counts(best, total, quotes)}"
        )
    else:
        # Compared with the standard's counting where that was not chosen, else with the next best.
        standard = next((s for s in differing if s.reading.key == "code_points"), differing[0])
        evidence = (
            f"{_counts(best, total, quotes)}; read as {standard.reading.label}: "
            f"{_counts(standard, total, quotes)}"
        )
    decision = Decision(text=counting.text, reading=best.reading, evidence=evidence, spans=[])
    length = len(counting.text)
    for selection, (start, end, outside, inside) in zip(selections, best.spans, strict=True):
        name = selection.label or f"[{selection.start}, {selection.end})"
        if outside:
            decision.errors.append(
                f"the selection {name} ({selection.start}–{selection.end}) lies outside its text "
                f"of {length} characters"
            )
            decision.spans.append(None)
            continue
        if inside:
            decision.warnings.append(
                f"the selection {name} begins or ends inside a character; widened to include it"
            )
        if end > length:
            decision.warnings.append(
                f"the selection {name} ends {end - length} character"
                f"{'s' if end - length != 1 else ''} past the end of its text; cut at the end"
            )
            end = length
        if start >= end:
            decision.warnings.append(f"the selection {name} is empty; left out")
            decision.spans.append(None)
            continue
        decision.spans.append((start, end))
    return decision


# Speaker turns -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TurnSpan:
    speaker: str  # the label as the text gives it; "" for a paragraph without one
    start: int
    end: int
    started_at: float | None = None


@dataclass
class Layout:
    """The text as stored (speaker labels taken out), its turns, and the map that carries spans of
    the text before to the text after."""

    text: str
    turns: list[TurnSpan]
    offsets: OffsetMap
    labelled: bool
    warnings: list[str] = field(default_factory=list)

    def move(self, start: int, end: int) -> tuple[int, int] | None:
        """Where [start, end) of the text before lies in the stored text; None when it held only
        a speaker label."""
        mapped = self.offsets.map_range(start, end)
        return None if mapped is None else (mapped.start, mapped.end)


@dataclass(frozen=True)
class _Label:
    start: int  # where the line starts
    end: int  # where the words after the label start
    speaker: str
    started_at: float | None


def _labels(text: str, pattern: re.Pattern[str]) -> list[_Label]:
    has_times = "start" in pattern.groupindex or "at" in pattern.groupindex
    labels = []
    position = 0
    for line in text.split("\n"):
        match = pattern.match(line) if line.strip() else None
        if match and (match.groupdict().get("speaker") or "").strip():
            end = match.end()
            rest = line[end:]
            if rest.lstrip(" \t").startswith(":"):  # a study's pattern that stops before the colon
                end += len(rest) - len(rest.lstrip(" \t")) + 1
                rest = line[end:]
            end += len(rest) - len(rest.lstrip(" \t"))
            stamp = None
            if has_times and (at := match.groupdict().get("start") or match.groupdict().get("at")):
                try:
                    stamp = seconds(at)
                except ValueError:
                    stamp = None
            labels.append(_Label(position, position + end, match["speaker"].strip(), stamp))
        position += len(line) + 1
    return labels


def _speaker_labels(text: str, pattern: re.Pattern[str]) -> list[_Label]:
    """The labels that look like speakers, as the plain-text importer judges them: at least two,
    one recurs, and recurring labels open at least half of the labelled paragraphs. Labels used
    once before the first recurring one are a title block ("Date: 12 May"), not speakers."""
    labels = _labels(text, pattern)
    counts = Counter(label.speaker.casefold() for label in labels)
    recurring = sum(count for count in counts.values() if count > 1)
    if len(labels) < 2 or not recurring or 2 * recurring < len(labels):
        return []
    first = next(i for i, label in enumerate(labels) if counts[label.speaker.casefold()] > 1)
    return labels[first:]


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _paragraphs(text: str) -> list[tuple[int, int]]:
    """Blocks separated by blank lines (by line ends when the text has no blank line)."""
    separator = (
        re.compile(r"\n[ \t]*\n\s*") if re.search(r"\n[ \t]*\n", text) else re.compile(r"\n+")
    )
    spans, position = [], 0
    for match in separator.finditer(text):
        spans.append((position, match.start()))
        position = match.end()
    spans.append((position, len(text)))
    return [span for span in (_trimmed(text, *span) for span in spans) if span[0] < span[1]]


def split_turns(text: str, pattern: re.Pattern[str]) -> Layout:
    """The turns of a source's text (LF line ends): speaker labels at the start of paragraphs
    become the turns' speakers and leave the text; without labels, each paragraph is a turn of
    the source's participant. A text that is blank has no turns."""
    labels = _speaker_labels(text, pattern)
    if not labels:
        turns = [TurnSpan("", start, end) for start, end in _paragraphs(text)]
        return Layout(text, turns, OffsetMap.from_edits(text, []), labelled=False)
    edits = [Edit(label.start, label.end, "") for label in labels]
    stored = apply_edits(text, edits)
    offsets = OffsetMap.from_edits(text, edits)
    warnings = []
    turns = []
    shift = 0
    for index, label in enumerate(labels):
        shift += label.end - label.start
        start = label.end - shift
        stop = labels[index + 1].start - shift if index + 1 < len(labels) else len(stored)
        start, stop = _trimmed(stored, start, stop)
        if start < stop:
            turns.append(TurnSpan(label.speaker, start, stop, label.started_at))
    preface = _trimmed(stored, 0, labels[0].start)
    if preface[0] < preface[1] and turns:
        first = turns[0]
        turns[0] = TurnSpan(first.speaker, preface[0], first.end, first.started_at)
        warnings.append(
            "the text before its first speaker label is kept, at the start of the first turn"
        )
    return Layout(stored, turns, offsets, labelled=True, warnings=warnings)
