"""Code-and-retrieve: every extract of one code across the study, with its context.

Two steps, so that a code with thousands of extracts stays fast on any page: `code_extracts`
orders and counts the codings without reading any text, then `in_context` reads one page of them,
its context cut by the database (the speaker's turn, at most CONTEXT characters either side of the
extract) so that whole transcripts are never loaded. Neither's query count grows with the number
of extracts."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Greatest, Least, Substr

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
    its transcript, participant, source project and coder."""
    pks = [coding if isinstance(coding, int) else coding.pk for coding in codings]
    integer = IntegerField()
    # The turn the extract starts in, and the one it ends in.
    first_turn = Turn.objects.filter(version=OuterRef("version"), start__lte=OuterRef("start"))
    first_turn = first_turn.order_by("-start")
    last_turn = Turn.objects.filter(version=OuterRef("version"), start__lt=OuterRef("end"))
    last_turn = last_turn.order_by("-start")
    rows = (
        Coding.objects.visible_to(member)
        .filter(pk__in=pks)
        .annotate(
            turn_position=Subquery(first_turn.values("position")[:1]),
            speaker_pseudonym=Subquery(first_turn.values("participant__pseudonym")[:1]),
            turn_start=Coalesce(
                Subquery(first_turn.values("start")[:1]), Value(0), output_field=integer
            ),
            turn_end=Coalesce(
                Subquery(last_turn.values("end")[:1]), F("end"), output_field=integer
            ),
        )
        .annotate(
            context_start=Greatest(
                F("turn_start"), F("start") - CONTEXT, Value(0), output_field=integer
            ),
            context_end=Greatest(
                F("end"),
                Least(F("turn_end"), F("end") + CONTEXT, output_field=integer),
                output_field=integer,
            ),
        )
        .annotate(
            # Substr counts from 1, in characters: code points, like the offsets.
            before=Substr("version__text", F("context_start") + 1, F("start") - F("context_start")),
            extract=Substr("version__text", F("start") + 1, F("end") - F("start")),
            after=Substr("version__text", F("end") + 1, F("context_end") - F("end")),
        )
        .select_related(
            "coder",
            "version__transcript__participant",
            "version__transcript__source_project",
        )
        .defer("version__text")
    )
    by_pk = {row.pk: row for row in rows}
    return [by_pk[pk] for pk in pks if pk in by_pk]
