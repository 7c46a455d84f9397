"""Typed verbatim transcripts: paragraphs that begin with a speaker label ("Interviewer:", "P3:")."""

from __future__ import annotations

import re
from collections import Counter

from transcripts.importers.base import (
    Fit,
    Parsed,
    Span,
    dropped_lines_warning,
    merge_turns,
    seconds,
)

# A header line of a typed transcript: "Date: 12 March", "Interview date:", "Recording length:".
_HEADER_WORD = re.compile(
    r"\b(?:date|time|duration|length|location|venue|place|recording|audio|file(?:name)?|"
    r"transcri\w*|project|study|title|subject|mode|setting|site|id|pseudonym|consent|notes?|key)\b",
    re.IGNORECASE,
)
# Caption timing ("00:00:03.120 --> 00:00:07.480"): a typed transcript has none, a .vtt that lost
# its WEBVTT line has one per cue.
_TIMING = re.compile(r"\d[ \t]*-->[ \t]*\d")
_HEADER_SEARCH_LINES = 15  # a title block is at the top, never further down
_HEADER_LINE_MAX = 120


def _is_header_line(line: str) -> bool:
    head, colon, _rest = line.partition(":")
    return bool(colon) and len(head.split()) <= 4 and _HEADER_WORD.search(head) is not None


_Label = tuple[int, str, str, float | None]  # line, speaker, text after the label, start


def _labels(lines: list[str], pattern: re.Pattern[str]) -> list[_Label]:
    has_times = "start" in pattern.groupindex or "at" in pattern.groupindex
    labels: list[_Label] = []
    for index, line in enumerate(lines):
        match = pattern.match(line) if line else None
        if not match:
            continue
        speaker = (match["speaker"] or "").strip()
        if not speaker:
            continue
        rest = line[match.end() :].strip()
        if rest.startswith(":"):  # a study's pattern that stops before the colon
            rest = rest[1:].lstrip()
        start = None
        if has_times and (stamp := match.groupdict().get("start") or match.groupdict().get("at")):
            try:
                start = seconds(stamp)
            except ValueError:  # a study's pattern whose start group took something else
                start = None
        labels.append((index, speaker, rest, start))
    return labels


def _header_end(lines: list[str], labels: list[_Label]) -> int:
    """How many of the lines form a title block ending in a header line ("Date: ..."): those
    go even when they look like labels ("Interviewer: Sam Jones"). The block ends at the latest
    where a label comes a second time: the conversation has begun."""
    counts = Counter(speaker for _index, speaker, _rest, _start in labels)
    speaker_at = {index: speaker for index, speaker, _rest, _start in labels}
    end, seen = 0, 0
    block: set[str] = set()
    for index, line in enumerate(lines):
        if not line:
            continue
        seen += 1
        if seen > _HEADER_SEARCH_LINES or len(line) > _HEADER_LINE_MAX:
            break
        speaker = speaker_at.get(index)
        if speaker in block:
            break
        if speaker is not None:
            block.add(speaker)
        # "Study nurse:" may be a speaker: a header word in a label that recurs is not a header
        if _is_header_line(line) and (speaker is None or counts[speaker] == 1):
            end = index + 1
    return end


def read_verbatim(lines: list[str], pattern: re.Pattern[str]) -> Fit | None:
    """The turns of a typed transcript; None unless the labels look like speakers (one recurs,
    and recurring labels open at least half of the labelled paragraphs)."""
    stripped = [line.strip() for line in lines]
    labels = _labels(stripped, pattern)
    header = _header_end(stripped, labels)
    labels = [label for label in labels if label[0] >= header]
    counts = Counter(speaker for _index, speaker, _rest, _start in labels)
    recurring = sum(count for count in counts.values() if count > 1)
    if len(labels) < 2 or not recurring or 2 * recurring < len(labels):
        return None
    timings = sum(1 for line in stripped if "-->" in line and _TIMING.search(line))
    if 4 * timings > len(labels):
        return None

    spans: list[Span] = []
    first_label = labels[0][0]
    for position, (index, speaker, rest, start) in enumerate(labels):
        stop = labels[position + 1][0] if position + 1 < len(labels) else len(stripped)
        parts = [rest] if rest else []
        parts.extend(line for line in stripped[index + 1 : stop] if line)
        spans.append(Span(speaker, "\n".join(parts), start))

    warnings: list[str] = []
    dropped = [line for line in stripped[:first_label] if line]
    if dropped:
        warnings.append(dropped_lines_warning(dropped, "the first speaker label"))
    once = [speaker for speaker, count in counts.items() if count == 1]
    if once:
        shown = ", ".join(f'"{speaker}"' for speaker in once[:5]) + (
            ", ..." if len(once) > 5 else ""
        )
        warnings.append(f"labels used only once, check they are speakers: {shown}")
    if len(counts) == 1:
        warnings.append(f'only one speaker label found ("{labels[0][1]}")')
    return Fit(Parsed("verbatim", merge_turns(spans, "\n"), warnings), len(labels))
