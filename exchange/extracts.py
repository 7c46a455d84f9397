"""Coded extracts as a table: every coding the exporting member may see (the blind rule applies,
through `Coding.objects.visible_to`), one row each, with its transcript, participant and their
attributes, source project, code, coder, position and words — written as CSV (streamed) or .xlsx
(openpyxl's write-only mode).

A fixed number of queries whatever the number of codings: the study's attributes, their values,
the texts of the versions coded (each read once), those versions' turns, and the codings
themselves, read in chunks as the file is written. Offsets are code points of the version's
text, the end exclusive (REFI-QDA counts the same way)."""

import bisect
import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from django.db.models import Case, F, Value, When
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from coding.models import Code, Coding
from studies.exports import safe_cell
from studies.models import AttributeDefinition, AttributeValue, Membership
from transcripts.models import Speaker, TranscriptVersion, Turn

FIXED_BEFORE = ["transcript", "transcript uuid", "version", "participant"]
FIXED_AFTER = [
    "source project",
    "code",
    "code uuid",
    "parent code",
    "coder",
    "start",
    "end",
    "turn",
    "speaker",
    "text",
]
CHUNK = 2_000  # codings read from the database at a time
CSV_ROWS_PER_CHUNK = 500  # rows of CSV sent at a time
XLSX_CELL_LIMIT = 32_767  # the most characters a spreadsheet cell holds
XLSX_CUT = " […]"


@dataclass(frozen=True)
class ExtractTable:
    """The header, and the rows as a one-pass iterator (the codings are read as it is consumed)."""

    header: list[str]
    rows: Iterator[list]


def visible_codings(member: Membership):
    """The codings in the export: every one the member may see, in the study's transcript order,
    then text order."""
    return Coding.objects.visible_to(member).order_by(
        "version__transcript__participant__created_at",
        "version__transcript__imported_at",
        "version__transcript_id",
        "version__number",
        "start",
        "end",
        "code__label",
        "pk",
    )


def extract_count(*, member: Membership) -> int:
    return Coding.objects.visible_to(member).count()


def extract_table(*, member: Membership) -> ExtractTable:
    """The table of every coding the member may see. Four queries here (attributes, their
    values, the coded versions' texts, their turns); the fifth, the codings, runs when the rows
    are first read, and reads them CHUNK at a time."""
    attributes = list(AttributeDefinition.objects.filter(study_id=member.study_id))
    values: dict[int, dict[int, str]] = defaultdict(dict)
    for participant, attribute, value in AttributeValue.objects.filter(
        participant__study_id=member.study_id
    ).values_list("participant_id", "attribute_id", "value"):
        values[participant][attribute] = value
    codings = visible_codings(member)
    coded_versions = codings.order_by().values("version_id")
    texts = dict(TranscriptVersion.objects.filter(pk__in=coded_versions).values_list("pk", "text"))
    turns: dict[int, list[tuple[int, int, str, str | None]]] = defaultdict(list)
    for version, *turn in (
        Turn.objects.filter(version__in=coded_versions)
        .order_by("version", "start")
        .values_list("version", "start", "position", "speaker", "participant__pseudonym")
    ):
        turns[version].append(tuple(turn))
    starts = {version: [turn[0] for turn in its] for version, its in turns.items()}
    header = [
        *FIXED_BEFORE,
        *(attribute.name for attribute in attributes),
        *FIXED_AFTER,
    ]
    rows = _rows(member, codings, attributes, values, texts, turns, starts)
    return ExtractTable(header=header, rows=rows)


def _rows(member, codings, attributes, values, texts, turns, starts) -> Iterator[list]:
    # A parent code an open round hides from the member is left blank, like the code itself
    # would be: its label must not leak through a visible child.
    codings = (
        codings.select_related(
            "coder",
            "code",
            "version__transcript__participant",
            "version__transcript__source_project",
        )
        .only(
            # What the row shows: reading no more halves the time spent making model instances.
            "start",
            "end",
            "coder__username",
            "code__label",
            "code__uuid",
            "version__number",
            "version__transcript__title",
            "version__transcript__uuid",
            "version__transcript__participant__pseudonym",
            "version__transcript__source_project__name",
        )
        .annotate(
            parent_label=Case(
                When(
                    code__parent__in=Code.objects.visible_to(member).values("pk"),
                    then=F("code__parent__label"),
                ),
                default=Value(""),
            )
        )
    )
    for coding in codings.iterator(chunk_size=CHUNK):
        version = coding.version
        transcript = version.transcript
        participant = transcript.participant
        text = texts[version.pk]
        at = starts.get(version.pk, [])
        index = bisect.bisect_right(at, coding.start) - 1  # the turn the extract starts in
        turn_number, speaker = None, ""
        if index >= 0:
            _start, turn_number, kind, pseudonym = turns[version.pk][index]
            speaker = "Interviewer" if kind == Speaker.INTERVIEWER else (pseudonym or "")
        yield [
            transcript.title,
            str(transcript.uuid),
            version.number,
            participant.pseudonym,
            *(values[participant.pk].get(attribute.pk, "") for attribute in attributes),
            transcript.source_project.name,
            coding.code.label,
            str(coding.code.uuid),
            coding.parent_label or "",
            coding.coder.get_username(),
            coding.start,
            coding.end,
            turn_number,
            speaker,
            text[coding.start : coding.end],
        ]


# Formats ---------------------------------------------------------------------------------------


class _Line:
    """A file-like sink for csv.writer that hands back what was written since last asked."""

    def __init__(self):
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)

    def take(self) -> bytes:
        data = "".join(self.parts).encode("utf-8")
        self.parts.clear()
        return data


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence]) -> Iterator[bytes]:
    """The table as UTF-8 CSV (with a BOM, so that Excel reads it as UTF-8), a few hundred rows
    at a time, every cell formula-safe."""
    sink = _Line()
    writer = csv.writer(sink)
    writer.writerow([safe_cell(name) for name in header])
    yield "\ufeff".encode() + sink.take()
    for count, row in enumerate(rows, start=1):
        writer.writerow([safe_cell(cell) for cell in row])
        if count % CSV_ROWS_PER_CHUNK == 0:
            yield sink.take()
    last = sink.take()
    if last:
        yield last


def _xlsx_cell(value):
    """Numbers stay numbers; text is text — never a formula (quoted like the CSV), without the
    control characters a spreadsheet cannot hold (each becomes U+FFFD, so offsets still count
    true), and cut to what a cell holds."""
    if value is None or isinstance(value, int):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", safe_cell(value))
    if len(text) > XLSX_CELL_LIMIT:
        text = text[: XLSX_CELL_LIMIT - len(XLSX_CUT)] + XLSX_CUT
    return text


def write_xlsx(header: Sequence[str], rows: Iterable[Sequence], out: BinaryIO) -> int:
    """The table as one worksheet of an .xlsx workbook written to `out`; the number of rows."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Extracts")
    sheet.freeze_panes = "A2"
    sheet.append([_xlsx_cell(name) for name in header])
    count = 0
    for row in rows:
        sheet.append([_xlsx_cell(cell) for cell in row])
        count += 1
    workbook.save(out)
    return count


def xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(header, rows, buffer)
    return buffer.getvalue()
