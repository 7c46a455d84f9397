"""Transcripts where each entry opens with a speaker and a time: Microsoft Teams' .docx export
("Alex Smith   0:03", or the older "0:0:3.120 --> 0:0:7.480" then the name) and Otter's .txt and
.docx ("Alex Smith  0:03", "Transcribed by https://otter.ai" at the end)."""

from __future__ import annotations

import re
from collections import Counter

from transcripts.importers.base import Fit, Parsed, Turn, dropped_lines_warning, merge_turns, seconds

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


def _entries(lines: list[str]) -> tuple[list[tuple[int, str, float]], list[int]]:
    """Entry header lines (index, speaker, start) and arrow lines (index)."""
    entries: list[tuple[int, str, float]] = []
    arrows: list[int] = []
    for index, line in enumerate(lines):
        if not line or not line[-1].isdigit():
            continue
        if "-->" in line:
            if _ARROW.match(line):
                arrows.append(index)
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
    turns, first_entry, evidence = reading

    warnings: list[str] = []
    dropped = [line for line in stripped[:first_entry] if line]
    teams = layout_is_teams or system > 0 or any(_DURATION.match(line) for line in dropped)
    if teams and otter:
        warnings.append("the file has both Teams and Otter markers; read as a Teams transcript")
    elif not teams and not otter:
        warnings.append("no Teams or Otter marker; read as Otter layout")
    if dropped:
        warnings.append(dropped_lines_warning(dropped, "the first speaker"))
    unnamed = sum(1 for turn in turns if turn.text and not turn.speaker)
    if unnamed:
        noun = "entry names" if unnamed == 1 else "entries name"
        warnings.append(f"{unnamed} {noun} no speaker; left as turns without a speaker")
    if system:
        noun = "line" if system == 1 else "lines"
        warnings.append(f'dropped {system} "started/stopped transcription" {noun}')
    fmt = "teams_docx" if teams else "otter"
    return Fit(Parsed(fmt, merge_turns(turns, "\n"), warnings), evidence)


def _entry_layout(
    lines: list[str], entries: list[tuple[int, str, float]]
) -> tuple[list[Turn], int, int] | None:
    """'Alex Smith   0:03' then the words, in that paragraph or the ones after."""
    if len(entries) < 2:
        return None
    turns: list[Turn] = []
    for position, (index, speaker, start) in enumerate(entries):
        stop = entries[position + 1][0] if position + 1 < len(entries) else len(lines)
        text = "\n".join(line for line in lines[index + 1 : stop] if line)
        turns.append(Turn(speaker, text, start))
    if not _plausible(turns):
        return None
    return turns, entries[0][0], len(entries)


def _old_teams(lines: list[str], arrows: list[int]) -> tuple[list[Turn], int, int] | None:
    """'0:0:3.120 --> 0:0:7.480', then the speaker's name, then the words."""
    if len(arrows) < 2:
        return None
    turns: list[Turn] = []
    for position, index in enumerate(arrows):
        stop = arrows[position + 1] if position + 1 < len(arrows) else len(lines)
        timing = _ARROW.match(lines[index])
        assert timing is not None
        body = [line for line in lines[index + 1 : stop] if line]
        speaker, words = (body[0], body[1:]) if len(body) > 1 else ("", body)
        turns.append(Turn(speaker, "\n".join(words), seconds(timing["start"]), seconds(timing["end"])))
    named = {turn.speaker for turn in turns if turn.speaker}
    # a cue of one line is the name alone when that name speaks elsewhere; otherwise words
    turns = [
        Turn("", "", turn.start, turn.end) if not turn.speaker and turn.text in named else turn
        for turn in turns
    ]
    if not _plausible(turns):
        return None
    return turns, arrows[0], len(arrows)



def _plausible(turns: list[Turn]) -> bool:
    """Most entries have words and some speaker has more than one: not a playlist of track times."""
    with_words = sum(1 for turn in turns if turn.text)
    counts = Counter(turn.speaker for turn in turns if turn.speaker)
    return 2 * with_words >= len(turns) and any(count > 1 for count in counts.values())
