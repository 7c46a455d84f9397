"""From an uploaded file's bytes to speaker turns: the safety checks, then the format's parser."""

from transcripts.importers.base import Parsed
from transcripts.importers.detect import parse_paragraphs, parse_text
from transcripts.importers.files import (
    MAX_UPLOAD_BYTES,
    check_extension,
    decode_text,
    docx_paragraphs,
    sniff,
)


def read_transcript(
    data: bytes,
    filename: str,
    *,
    speaker_pattern: str | None = None,
    max_bytes: int = MAX_UPLOAD_BYTES,
) -> Parsed:
    """The file's turns, or ImportRefused with the reason (the format is told by the content; the
    extension only has to agree with it)."""
    kind = sniff(data, max_bytes=max_bytes)
    check_extension(filename, kind)
    if kind == "docx":
        return parse_paragraphs(docx_paragraphs(data), speaker_pattern=speaker_pattern)
    text, warnings = decode_text(data)
    parsed = parse_text(text, speaker_pattern=speaker_pattern)
    parsed.warnings[:0] = warnings
    return parsed
