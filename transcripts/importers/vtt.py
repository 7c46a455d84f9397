"""WebVTT transcripts from Microsoft Teams (voice tags) and Zoom ("Name: text" in numbered cues)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from transcripts.importers.base import Fit, Parsed, Span, merge_turns

_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:[.,]\d+)?)"  # hours, minutes, seconds
_TIMING = re.compile(rf"[ \t]*{_TIME}[ \t]*-->[ \t]*{_TIME}(?:[ \t].*)?$")
# Zoom numbers its cues; Teams names them "<guid>/<n>-<m>".
_CUE_ID = re.compile(r"\d+$|[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}(?:/\d+-\d+)?$")
_VOICE = re.compile(r"<v(?:\.[^\s<>]*)?(?:[ \t]+(?P<name>[^<>]*))?>")
# The usual Teams cue, one voice and no markup or entities inside: read without the general path.
_ONE_VOICE = re.compile(r"<v[ \t]+(?P<name>[^<>&]*)>(?P<text>[^<>&]*)(?:</v>)?$")
# Markup to strip: <i>, </v>, <c.colorE5E5E5>, <lang en>, and karaoke time stamps <00:00:01.000>.
_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<\d{1,2}:\d{2}(?::\d{2})?(?:\.\d{1,3})?>")
# Zoom puts the speaker before the first ": " of each cue. Zoom names are whatever people typed
# (phone numbers included), so only length and the absence of sentence punctuation are checked.
_ZOOM_PREFIX = re.compile(r"(?P<speaker>[^:<>?!\n]{1,80}?):[ \t]+(?P<text>.+)$", re.S)
_SKIPPED_BLOCKS = frozenset({"NOTE", "STYLE", "REGION"})


@dataclass
class _Cue:
    start: float
    end: float
    lines: list[str] = field(default_factory=list)


def _seconds(hours: str | None, minutes: str, secs: str) -> float:
    if "," in secs:
        secs = secs.replace(",", ".")
    return round((int(hours) * 3600 if hours else 0) + int(minutes) * 60 + float(secs), 3)


def _cue(timing: re.Match[str]) -> _Cue:
    h1, m1, s1, h2, m2, s2 = timing.groups()
    return _Cue(_seconds(h1, m1, s1), _seconds(h2, m2, s2))


def _clean(text: str) -> str:
    if "<" in text:
        text = _TAG.sub("", text)
    if "&" in text:
        text = html.unescape(text)
    return " ".join(text.split())  # str.split() splits on every Unicode space, &nbsp; included


def _voices(raw: str) -> list[tuple[str, str]]:
    """(speaker, words) of each voice span of a cue; words before any voice tag have no speaker."""
    simple = _ONE_VOICE.match(raw)
    if simple:
        text = " ".join(simple["text"].split())
        return [(" ".join(simple["name"].split()), text)] if text else []
    spans: list[tuple[str, str]] = []
    position, speaker = 0, ""
    for voice in _VOICE.finditer(raw):
        if voice.start() > position and (before := _clean(raw[position : voice.start()])):
            spans.append((speaker, before))
        speaker = _clean(voice["name"] or "")
        position = voice.end()
    if text := _clean(raw[position:]):
        spans.append((speaker, text))
    return spans


def _cues(lines: list[str], *, has_header: bool) -> tuple[list[_Cue], int]:
    """The cues, and how many text lines stood outside any cue."""
    cues: list[_Cue] = []
    stray = 0
    skipping = has_header  # the header block, then NOTE, STYLE and REGION blocks
    block_start = True
    count = len(lines)
    index = -1
    while index + 1 < count:
        index += 1
        line = lines[index].strip()
        if not line:
            skipping, block_start = False, True
            continue
        at_block_start, block_start = block_start, False
        if skipping:
            continue
        if at_block_start and line.split(None, 1)[0] in _SKIPPED_BLOCKS:
            skipping = True
            continue
        if "-->" in line and (timing := _TIMING.match(line)):
            cues.append(_cue(timing))
            continue
        # a cue identifier ("12", Teams' "<guid>/12-0") directly above a timing line
        if (
            index + 1 < count
            and "-->" in lines[index + 1]
            and (at_block_start or _CUE_ID.match(line))
            and (timing := _TIMING.match(lines[index + 1]))
        ):
            cues.append(_cue(timing))
            index += 1
            continue
        if cues:
            cues[-1].lines.append(line)
        else:
            stray += 1
    return cues, stray


def read_vtt(lines: list[str], *, has_header: bool) -> Fit | None:
    """A Teams or Zoom reading of a WebVTT file; None when it has no cue with text. Without the
    WEBVTT header (a pasted or mislabelled file) it must also name its speakers to count."""
    cues, stray = _cues(lines, has_header=has_header)
    warnings: list[str] = []
    raws = [" ".join(cue.lines) for cue in cues]
    voiced = any("<v" in raw and _VOICE.search(raw) for raw in raws)
    spans: list[Span] = []
    unnamed = 0
    if voiced:
        for cue, raw in zip(cues, raws, strict=True):
            for speaker, text in _voices(raw):
                spans.append(Span(speaker, text, cue.start, cue.end))
                unnamed += not speaker
        fmt = "teams_vtt"
    else:
        texts = [(cue, _clean(raw)) for cue, raw in zip(cues, raws, strict=True)]
        prefixed = [
            (cue, match)
            for cue, text in texts
            if (match := _ZOOM_PREFIX.match(text)) and len(match["speaker"].split()) <= 6
        ]
        names = [match["speaker"].strip() for _cue, match in prefixed]
        recurring = len(set(names)) < len(names) or len(names) == 1
        if texts and prefixed and 2 * len(prefixed) >= len(texts) and recurring:
            fmt = "zoom_vtt"
            by_cue = {id(cue): match for cue, match in prefixed}
            for cue, text in texts:
                match = by_cue.get(id(cue))
                if match:
                    spans.append(
                        Span(match["speaker"].strip(), match["text"].strip(), cue.start, cue.end)
                    )
                elif text:
                    spans.append(Span("", text, cue.start, cue.end))
                    unnamed += 1
        else:
            if not has_header:
                return None
            fmt = "teams_vtt"
            spans = [Span("", text, cue.start, cue.end) for cue, text in texts if text]
            if spans:
                warnings.append("the file names no speakers: every cue is a turn without a speaker")
            unnamed = 0
    if not spans:
        return None
    if unnamed:
        noun = "cue names" if unnamed == 1 else "cues name"
        warnings.append(f"{unnamed} {noun} no speaker; left as turns without a speaker")
    if stray:
        noun = "line" if stray == 1 else "lines"
        warnings.append(f"dropped {stray} text {noun} outside any cue")
    return Fit(Parsed(fmt, merge_turns(spans, " "), warnings), len(cues))
