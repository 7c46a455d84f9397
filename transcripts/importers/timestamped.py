"""Transcripts where each entry opens with a speaker and a time: Microsoft Teams' .docx export
("Alex Smith   0:03", or the older "0:0:3.120 --> 0:0:7.480" then the name) and Otter's .txt and
.docx ("Alex Smith  0:03", "Transcribed by https://otter.ai" at the end)."""

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

# The name, two or more spaces (or a tab), then m:ss or h:mm:ss, and nothing else.
_ENTRY = re.compile(
    r"(?P<speaker>\S(?:.{0,78}\S)?)(?:[ \u00a0]{2,}|[ \u00a0]*\t[ \t\u00a0]*)"
    r"(?P<time>\d{1,2}(?::\d{2}){1,2})$"
)
_ARROW_TIME = r"(?:\d{1,2}:)?\d{1,2}:\d{1,2}(?:[.,]\d{1,3})?"
_ARROW = re.compile(rf"(?P<start>{_ARROW_TIME})[ \t]*-->[ \t]*(?P<end>{_ARROW_TIME})$")
_SYSTEM = re.compile(r".{1,100}?\s(?:started|stopped) transcription\.?$", re.IGNORECASE)
_DURATION = re.compile(r"(?=\d)(?:\d{1,3}h ?)?(?:\d{1,2}m ?)?(?:\d{1,2}s)?$")
_OTTER_FOOTER = re.compile(r"transcribed by (?:https?://)?(?:www\.)?otter\.ai\S*$", re.IGNORECASE)


def _entries(
    lines: list[str],
) -> tuple[list[tuple[int, str, float]], list[tuple[int, float, float]]]:
    """Entry header lines (index, speaker, start) and time-range lines (index, start, end)."""
    entries: list[tuple[int, str, float]] = []
    arrows: list[tuple[int, float, float]] = []
    for index, line in enumerate(lines):
        if not line or not line[-1].isdigit():
            continue
        if "-->" in line:
            if arrow := _ARROW.match(line):
                arrows.append((index, seconds(arrow["start"]), seconds(arrow["end"])))
            continue
        match = _ENTRY.match(line)
        if match:
            entries.append((index, match["speaker"], seconds(match["time"])))
    return entries, arrows


def read_timestamped(lines: list[str]) -> Fit | None:
    """The Teams .docx or Otter reading of the lines; None unless at least two entries open with
    a speaker, a speaker recurs, and most entries have words."""
    stripped = []
    system = 0
    otter = False
    for line in lines:
        line = line.strip()
        if line and line[-1] in "nN." and _SYSTEM.match(line):
            system += 1
            line = ""
        elif line[:11].lower() == "transcribed" and _OTTER_FOOTER.match(line):
            otter = True
            line = ""
        stripped.append(line)
    entries, arrows = _entries(stripped)
    if len(arrows) > len(entries):
        reading = _old_teams(stripped, arrows)
        layout_is_teams = True
    else:
        reading = _entry_layout(stripped, entries)
        layout_is_teams = False
    if reading is None:
        return None
    spans, first_entry, evidence = reading

    warnings: list[str] = []
    dropped = [line for line in stripped[:first_entry] if line]
    teams = layout_is_teams or system > 0 or any(_DURATION.match(line) for line in dropped)
    if teams and otter:
        warnings.append("the file has both Teams and Otter markers; read as a Teams transcript")
    elif not teams and not otter:
        warnings.append("no Teams or Otter marker; read as Otter layout")
    if dropped:
        warnings.append(dropped_lines_warning(dropped, "the first speaker"))
    unnamed = sum(1 for span in spans if span.text and not span.speaker)
    if unnamed:
        noun = "entry names" if unnamed == 1 else "entries name"
        warnings.append(f"{unnamed} {noun} no speaker; left as turns without a speaker")
    if system:
        noun = "line" if system == 1 else "lines"
        warnings.append(f'dropped {system} "started/stopped transcription" {noun}')
    fmt = "teams_docx" if teams else "otter"
    return Fit(Parsed(fmt, merge_turns(spans, "\n"), warnings), evidence)


def _entry_layout(
    lines: list[str], entries: list[tuple[int, str, float]]
) -> tuple[list[Span], int, int] | None:
    """'Alex Smith   0:03' then the words, in that paragraph or the ones after."""
    if len(entries) < 2:
        return None
    spans: list[Span] = []
    for position, (index, speaker, start) in enumerate(entries):
        stop = entries[position + 1][0] if position + 1 < len(entries) else len(lines)
        text = "\n".join(line for line in lines[index + 1 : stop] if line)
        spans.append(Span(speaker, text, start))
    if not _plausible(spans):
        return None
    return spans, entries[0][0], len(entries)


def _old_teams(
    lines: list[str], arrows: list[tuple[int, float, float]]
) -> tuple[list[Span], int, int] | None:
    """'0:0:3.120 --> 0:0:7.480', then the speaker's name, then the words."""
    if len(arrows) < 2:
        return None
    spans: list[Span] = []
    for position, (index, start, end) in enumerate(arrows):
        stop = arrows[position + 1][0] if position + 1 < len(arrows) else len(lines)
        body = [line for line in lines[index + 1 : stop] if line]
        speaker, words = (body[0], body[1:]) if len(body) > 1 else ("", body)
        spans.append(Span(speaker, "\n".join(words), start, end))
    named = {span.speaker for span in spans if span.speaker}
    # a cue of one line is the name alone when that name speaks elsewhere; otherwise words
    spans = [
        Span("", "", span.start, span.end) if not span.speaker and span.text in named else span
        for span in spans
    ]
    if not _plausible(spans):
        return None
    return spans, arrows[0][0], len(arrows)


def _plausible(spans: list[Span]) -> bool:
    """Most entries have words and some speaker has more than one: not a playlist of track times."""
    with_words = sum(1 for span in spans if span.text)
    counts = Counter(span.speaker for span in spans if span.speaker)
    return 2 * with_words >= len(spans) and any(count > 1 for count in counts.values())
