"""What every transcript parser returns, how a refusal reads, and the helpers they share.

Pure Python (no Django), like the parsers, so they run and are tested without a database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

FORMATS: dict[str, str] = {
    "verbatim": "typed verbatim transcript with speaker labels",
    "teams_vtt": "Microsoft Teams transcript (.vtt)",
    "teams_docx": "Microsoft Teams transcript (.docx)",
    "zoom_vtt": "Zoom transcript (.vtt)",
    "otter": "Otter transcript",
}


@dataclass(frozen=True)
class Turn:
    speaker: str  # the label as the file gives it; "" if the file names nobody
    text: str  # the words, inline annotations ("[laughs]") kept as text
    start: float | None = None  # seconds from the start of the recording, where the source has it
    end: float | None = None


@dataclass
class Parsed:
    format: str  # a key of FORMATS
    turns: list[Turn]
    warnings: list[str] = field(default_factory=list)

    @property
    def speakers(self) -> list[str]:
        """Distinct speaker labels in order of first appearance ("" included when a turn has no
        speaker, so that a mapping covers every turn)."""
        return list(dict.fromkeys(turn.speaker for turn in self.turns))


class ImportRefused(Exception):
    """A file that cannot be imported; str(error) is one line naming the reason (the caller adds
    the file name)."""


class Span(NamedTuple):
    """A turn as a parser first finds it (a cue, an entry, a labelled paragraph), before
    merge_turns; a tuple because an hour of Teams captions makes 1,500 of them."""

    speaker: str
    text: str
    start: float | None = None
    end: float | None = None


class Fit(NamedTuple):
    """One format's reading of a file, with how many lines carried that format's structure
    (labels, entry headers, cues): the evidence that settles a file two formats can read."""

    parsed: Parsed
    evidence: int


# Speaker labels of typed transcripts -------------------------------------------------------------

_STAMP = r"\d{1,2}(?::\d{1,2}){1,2}(?:[.,]\d{1,3})?"
# Capital letters of the Latin, Greek and Cyrillic scripts. Latin Extended-A alternates upper and
# lower case; taking the whole block keeps "Łukasz" and "Šárka" at the cost of a rare false start.
_UPPER = "A-Z\u00c0-\u00d6\u00d8-\u00de\u0100-\u017f\u0391-\u03a9\u0400-\u042f"
_WORD = rf"[{_UPPER}](?:[^\W\d_]|[\u0300-\u036f'\u2019.\-])*"
_PARTICLE = r"(?:de|da|di|du|del|della|der|den|van|von|la|le|bin|ibn|al|el|dos|das)"
_NAME = rf"{_WORD}(?:[ \t]+(?:{_WORD}|{_PARTICLE}(?=[ \t]))){{0,3}}(?:[ \t]+\d{{1,3}})?"
_CODE = r"[A-Z]{1,4}-?\d{1,3}[a-z]?"  # P3, P03, INT1, R-2
_ROLE = (
    r"(?i:interviewer|interviewee|participant|respondent|researcher|moderator|facilitator|speaker)"
    r"(?:[ \t]+(?:\d{1,3}|[A-Za-z]))?"
)
# Words that begin sentences and header lines ("Well: ...", "Note: ...", "Date: ..."), never a
# speaker's name.
_NOT_NAMES = (
    "well|so|yes|no|yeah|yep|okay|ok|right|and|but|or|then|now|also|however|because|basically|"
    "anyway|actually|honestly|sure|oh|um|uhm|uh|hmm|mm|thanks|hello|hi|why|what|how|when|where|"
    "who|which|this|that|there|here|it|fine|good|great|true|false|step|tip|nb|ps|re|fwd|cc|to|"
    "from|note|notes|date|time|location|venue|place|duration|length|title|subject|project|study|"
    "transcript|transcription|recording|audio|file|mode|site|consent|present|attendees|summary|"
    "example|source|update|edit|warning|important|interview|key|total|price|ingredients|method"
)
DEFAULT_SPEAKER_PATTERN: str = (
    rf"[ \t]*(?:[\[(](?P<start>{_STAMP})[\])][ \t]*)?"
    rf"(?!(?i:{_NOT_NAMES})\b)"
    rf"(?P<speaker>(?:{_CODE}|{_ROLE}|{_NAME})(?:[ \t]*\((?![\d:])[^()\n:]{{1,30}}\))?)"
    rf"(?:[ \t]*[\[(](?P<at>{_STAMP})[\])])?"
    r"[ \t]*:(?![\d/])[ \t]*"
)
"""A speaker label at the start of a paragraph, up to and including its colon: "Interviewer:",
"P3:", "I:", "Participant 3:", "Alex:", "Dr Sam Jones:", "Speaker 1 (00:05):". Optional groups
`start` (before the label) and `at` (after it) carry a time stamp."""


def compile_speaker_pattern(pattern: str | None) -> re.Pattern[str]:
    """The study's speaker pattern, or the default one, compiled; ValueError (one line) if it
    is not a regular expression with a group named speaker. The pattern is matched at the start
    of each paragraph and should take in the colon: the turn's text is what follows the match."""
    try:
        compiled = re.compile(pattern or DEFAULT_SPEAKER_PATTERN)
    except re.error as error:
        raise ValueError(f"the speaker pattern is not a regular expression ({error})") from None
    if "speaker" not in compiled.groupindex:
        raise ValueError("the speaker pattern has no group named speaker: (?P<speaker>...)")
    return compiled


# Shared helpers ----------------------------------------------------------------------------------


def seconds(stamp: str) -> float:
    """'1:02:03.5', '0:03', '00:00:03,120' -> seconds."""
    total = 0.0
    for part in stamp.strip().replace(",", ".").split(":"):
        total = total * 60 + float(part)
    return round(total, 3)


def merge_turns(spans: Iterable[Span], joiner: str) -> list[Turn]:
    """Consecutive spans of one speaker as one turn: texts joined, the first start, the last end.
    Spans without words are left out; spans without a speaker are never merged (nobody to merge
    them by)."""
    merged: list[Turn] = []
    texts: list[str] = []
    first: Span | None = None
    last: Span | None = None

    def close() -> None:
        if first is not None and last is not None:
            text = texts[0] if len(texts) == 1 else joiner.join(texts)
            merged.append(Turn(first.speaker, text, first.start, last.end))

    for span in spans:
        if not span.text:
            continue
        if first is not None and span.speaker and span.speaker == first.speaker:
            texts.append(span.text)
            last = span
            continue
        close()
        first = last = span
        texts = [span.text]
    close()
    return merged


def lines_of(text: str) -> list[str]:
    """Lines of decoded text, robust to a stray BOM or Windows/old Mac line ends."""
    if "\ufeff" in text:
        text = text.replace("\ufeff", "")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


def dropped_lines_warning(lines: list[str], before: str) -> str:
    """'dropped 3 lines before the first speaker label ("Interview with P3", ...)'."""
    preview = lines[0] if len(lines[0]) <= 60 else lines[0][:57] + "..."
    more = ", ..." if len(lines) > 1 else ""
    noun = "line" if len(lines) == 1 else "lines"
    return f'dropped {len(lines)} {noun} before {before} ("{preview}"{more})'
