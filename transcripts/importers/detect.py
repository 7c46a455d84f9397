"""Which format a transcript is in, told from its content, and its turns in that format."""

from __future__ import annotations

from transcripts.importers.base import (
    FORMATS,
    Fit,
    ImportRefused,
    Parsed,
    compile_speaker_pattern,
    lines_of,
)
from transcripts.importers.timestamped import read_timestamped
from transcripts.importers.verbatim import read_verbatim
from transcripts.importers.vtt import read_vtt

# When two formats read a file differently, the one whose structure holds this many times more
# of its lines wins (a Teams export whose speakers twice say "Alex: ..." is still a Teams export).
_DOMINANCE = 3
_TRIED = "; ".join(FORMATS.values())


def parse_text(text: str, *, speaker_pattern: str | None = None) -> Parsed:
    """Text already decoded (str, newlines normalised to \\n, no BOM): a .vtt or a .txt."""
    return _parse(lines_of(text), speaker_pattern)


def parse_paragraphs(paragraphs: list[str], *, speaker_pattern: str | None = None) -> Parsed:
    """The paragraphs of a .docx, in order (a paragraph may contain "\\n" for a line break)."""
    lines: list[str] = []
    for paragraph in paragraphs:
        lines.extend(lines_of(paragraph))
    return _parse(lines, speaker_pattern)


def _parse(lines: list[str], speaker_pattern: str | None) -> Parsed:
    first = next((line.strip() for line in lines if line.strip()), "")
    if not first:
        raise ImportRefused("contains no speech: the file is empty")
    try:
        pattern = compile_speaker_pattern(speaker_pattern)
    except ValueError as error:
        raise ImportRefused(str(error)) from None
    if first.startswith("WEBVTT"):
        fit = read_vtt(lines, has_header=True)
        if fit is None:
            raise ImportRefused("contains no speech: the WebVTT file has no cue with words")
        return fit.parsed

    fits: list[Fit] = []
    for fit in (read_verbatim(lines, pattern), read_timestamped(lines)):
        if fit is not None:
            fits.append(fit)
    if any("-->" in line for line in lines):
        fit = read_vtt(lines, has_header=False)
        if fit is not None:
            fits.append(fit)
    if not fits:
        raise ImportRefused(f"matches no known transcript format (tried: {_TRIED})")
    fits.sort(key=lambda fit: fit.evidence, reverse=True)
    best = fits[0]
    for other in fits[1:]:
        if _same_turns(best.parsed, other.parsed):
            continue
        if best.evidence >= _DOMINANCE * other.evidence:
            best.parsed.warnings.append(
                f'a few lines also fit another format ("{FORMATS[other.parsed.format]}"); '
                f'read as "{FORMATS[best.parsed.format]}"'
            )
            continue
        raise ImportRefused(
            f'is ambiguous: it reads both as "{FORMATS[best.parsed.format]}" and as '
            f'"{FORMATS[other.parsed.format]}", with different turns'
        )
    return best.parsed


def _same_turns(one: Parsed, other: Parsed) -> bool:
    return [(turn.speaker, turn.text) for turn in one.turns] == [
        (turn.speaker, turn.text) for turn in other.turns
    ]
