"""Code-and-retrieve: every extract of one code across the study, with its context.

Two steps, so that a code with thousands of extracts stays fast on any page: `code_extracts`
orders and counts the codings without reading any text, then `in_context` reads one page of them
with its context (within the speaker's turn, at most CONTEXT characters either side of the
extract), reading each transcript's text once. Neither's query count grows with the number of
extracts."""

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import OuterRef, QuerySet, Subquery

from coding.models import Code, Coding
from studies.models import AttributeDefinition, Membership, Participant, SourceProject
from transcripts.models import TranscriptVersion, Turn

CONTEXT = 200


@dataclass(frozen=True)
class RetrieveFilters:
    participant: Participant | None = None
    attribute: AttributeDefinition | None = None
    value: str = ""  # of `attribute`, in its stored form
    source_project: SourceProject | None = None
    coder: AbstractBaseUser | None = None


def code_extracts(
    *, member: Membership, code: Code, filters: RetrieveFilters | None = None
) -> QuerySet[Coding]:
    """The codings of `code` the member may see (the blind rule applies), on each transcript's
    current version, in transcript and text order. Cheap to count and to page through: the
    context of a page of them is read by `in_context`."""
    filters = filters or RetrieveFilters()
    current_version = (
        TranscriptVersion.objects.filter(transcript=OuterRef("version__transcript"))
        .order_by("-number")
        .values("pk")[:1]
    )
    codings = Coding.objects.visible_to(member).filter(code=code, version=Subquery(current_version))
    if filters.participant is not None:
        codings = codings.filter(version__transcript__participant=filters.participant)
    if filters.source_project is not None:
        codings = codings.filter(version__transcript__source_project=filters.source_project)
    if filters.attribute is not None:
        codings = codings.filter(
            version__transcript__participant__attribute_values__attribute=filters.attribute,
            version__transcript__participant__attribute_values__value=filters.value,
        )
    if filters.coder is not None:
        codings = codings.filter(coder=filters.coder)
    return codings.order_by(
        "version__transcript__participant__created_at",
        "version__transcript__imported_at",
        "version__transcript_id",
        "start",
        "end",
        "pk",
    )


def in_context(*, member: Membership, codings: Iterable[Coding | int]) -> list[Coding]:
    """These codings (or primary keys), in their order, each with `before`, `extract` and `after`:
    its context, the text from `context_start` to `context_end`, which stay within the turns the
    extract touches; `turn_start`/`turn_end` (so a clipped context can say so); the
    `turn_position` and `speaker_pseudonym` (None for the interviewer) of the turn it starts in;
    its transcript, participant, source project and coder.

    Four queries whatever the number: the codings, the texts of their versions (each read once),
    and those versions' turns, found for each extract by binary search."""
    pks = [coding if isinstance(coding, int) else coding.pk for coding in codings]
    found = {
        row.pk: row
        for row in Coding.objects.visible_to(member)
        .filter(pk__in=pks)
        .select_related(
            "coder",
            "version__transcript__participant",
            "version__transcript__source_project",
        )
        .defer("version__text")
    }
    rows = [found[pk] for pk in pks if pk in found]
    versions = {row.version_id for row in rows}
    texts = dict(TranscriptVersion.objects.filter(pk__in=versions).values_list("pk", "text"))
    turns: dict[int, list[tuple[int, int, int, str | None]]] = defaultdict(list)
    for version, *turn in (
        Turn.objects.filter(version__in=versions)
        .order_by("version", "start")
        .values_list("version", "start", "end", "position", "participant__pseudonym")
    ):
        turns[version].append(tuple(turn))
    starts = {version: [turn[0] for turn in rows_] for version, rows_ in turns.items()}
    for row in rows:
        text, version_turns = texts[row.version_id], turns[row.version_id]
        at = starts.get(row.version_id, [])
        first = bisect.bisect_right(at, row.start) - 1  # the turn the extract starts in
        last = bisect.bisect_left(at, row.end) - 1  # and the one it ends in
        row.turn_position = version_turns[first][2] if first >= 0 else None
        row.speaker_pseudonym = version_turns[first][3] if first >= 0 else None
        row.turn_start = version_turns[first][0] if first >= 0 else 0
        row.turn_end = version_turns[last][1] if last >= 0 else row.end
        row.context_start = max(row.turn_start, row.start - CONTEXT, 0)
        row.context_end = max(row.end, min(row.turn_end, row.end + CONTEXT))
        row.before = text[row.context_start : row.start]
        row.extract = text[row.start : row.end]
        row.after = text[row.end : row.context_end]
    return rows
