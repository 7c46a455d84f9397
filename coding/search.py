"""Search in what a member may read: the current text of the study's locked transcripts (turn by
turn), the memos they may see and the journal entries they may see.

`_matching` is the one place in the code base that branches on the database for search: on
PostgreSQL it uses full-text search (stemmed, ranked, with a highlighted headline) and also
accepts a plain substring match, so that part of a word still finds something; on SQLite (the
embedded default) it is the plain substring filter alone. Both return the same rows for a
query that is a whole word, which is what the tests pin down on each backend.

Memos and journal entries are read only through their `visible_to` querysets, so search never
shows a private entry of someone else, nor a memo hidden by an open blind round.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery, TextField, Value
from django.db.models.functions import Concat, Substr
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from coding.models import JournalEntry, Memo
from studies.models import Membership
from transcripts.models import Transcript, TranscriptVersion, Turn

MIN_QUERY = 2
MAX_QUERY = 200
PASSAGES_PER_PAGE = 25
# Memos and journal entries are shown beside the passages, the first few only: past that the
# query is too broad to be read as a list anyway.
OTHERS_SHOWN = 20
# Text-search configuration: the studies are conducted and transcribed in English.
CONFIG = "english"
# PostgreSQL marks the words it matched with these; they become <mark> once the rest is escaped.
# Private-use characters, so that no transcript text can forge a mark.
MARK_START, MARK_STOP = "\ue000", "\ue001"
CONTEXT_CHARS = 90


@dataclass(frozen=True)
class Hit:
    """One result: what it is, where it links, and a short highlighted excerpt."""

    kind: str  # "passage", "memo" or "journal"
    title: str
    detail: str
    url: str
    snippet: SafeString


@dataclass(frozen=True)
class Results:
    query: str
    passages: Page
    memos: list[Hit]
    more_memos: bool
    entries: list[Hit]
    more_entries: bool

    @property
    def empty(self) -> bool:
        return not (self.passages.object_list or self.memos or self.entries)


def full_text_search() -> bool:
    """Whether the database has full-text search (PostgreSQL); otherwise a plain filter."""
    return connection.vendor == "postgresql"


def _matching(rows: QuerySet, query: str, *order: str) -> QuerySet:
    """The rows whose annotation `haystack` matches the query, best first, each with a
    `headline` (PostgreSQL: the matched words marked; SQLite: empty)."""
    if full_text_search():
        from django.contrib.postgres.search import (
            SearchHeadline,
            SearchQuery,
            SearchRank,
            SearchVector,
        )

        terms = SearchQuery(query, config=CONFIG, search_type="websearch")
        return (
            rows.annotate(document=SearchVector("haystack", config=CONFIG))
            .filter(Q(document=terms) | Q(haystack__icontains=query))
            .annotate(
                rank=SearchRank(F("document"), terms),
                headline=SearchHeadline(
                    "haystack",
                    terms,
                    config=CONFIG,
                    start_sel=MARK_START,
                    stop_sel=MARK_STOP,
                    max_words=40,
                    min_words=15,
                ),
            )
            .order_by("-rank", *order)
        )
    return rows.filter(haystack__icontains=query).annotate(headline=Value("")).order_by(*order)


def highlight(text: str, query: str, headline: str = "") -> SafeString:
    """A short excerpt of `text` with the query marked: PostgreSQL's headline when it marked
    something, otherwise the text around the first place the query occurs as typed."""
    if MARK_START in headline:
        marked = escape(headline).replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>")
        return mark_safe(marked)  # noqa: S308 — escaped above, then only our own marks added
    text = text.replace(MARK_START, "").replace(MARK_STOP, "")
    pattern = re.compile(re.escape(query), re.IGNORECASE)
    found = pattern.search(text)
    middle = found.start() if found else 0
    start = max(0, middle - CONTEXT_CHARS)
    end = min(len(text), middle + len(query) + CONTEXT_CHARS if found else 2 * CONTEXT_CHARS)
    window = text[start:end]
    pieces, last = [], 0
    for match in pattern.finditer(window):
        pieces.append(format_html("{}<mark>{}</mark>", window[last : match.start()], match[0]))
        last = match.end()
    pieces.append(escape(window[last:]))
    return mark_safe(  # noqa: S308 — every piece was escaped by format_html or escape
        ("…" if start > 0 else "") + "".join(pieces) + ("…" if end < len(text) else "")
    )


def _turn_at(version: str, start: str) -> Subquery:
    """The position of the turn of version `version` in which offset `start` falls (the last
    turn that begins at or before it)."""
    return Subquery(
        Turn.objects.filter(version=OuterRef(version), start__lte=OuterRef(start))
        .order_by("-start")
        .values("position")[:1]
    )


def turn_url(study_slug: str, transcript_uuid, position: int | None) -> str:
    url = reverse("coding-transcript", args=[study_slug, transcript_uuid])
    return f"{url}#turn-{position}" if position else url


def _passages(member: Membership, query: str, page: int | str) -> Page:
    newer = TranscriptVersion.objects.filter(
        transcript=OuterRef("version__transcript"), number__gt=OuterRef("version__number")
    )
    turns = (
        Turn.objects.filter(
            version__transcript__study_id=member.study_id,
            version__transcript__state=Transcript.State.LOCKED,
        )
        .exclude(Exists(newer))
        .annotate(haystack=Substr("version__text", F("start") + 1, F("end") - F("start")))
    )
    rows = _matching(turns, query, "version__transcript__title", "version__transcript", "position")
    rows = rows.values(
        "position",
        "haystack",
        "headline",
        "participant__pseudonym",
        "version__transcript__uuid",
        "version__transcript__title",
    )
    passages = Paginator(rows, PASSAGES_PER_PAGE).get_page(page)
    slug = member.study.slug
    passages.object_list = [
        Hit(
            kind="passage",
            title=row["version__transcript__title"],
            detail=f"turn {row['position']} · {row['participant__pseudonym'] or 'Interviewer'}",
            url=turn_url(slug, row["version__transcript__uuid"], row["position"]),
            snippet=highlight(row["haystack"], query, row["headline"]),
        )
        for row in passages.object_list
    ]
    return passages


def _memos(member: Membership, query: str) -> list[Hit]:
    memos = Memo.objects.visible_to(member).annotate(
        haystack=F("text"), turn=_turn_at("coding__version", "coding__start")
    )
    rows = _matching(memos, query, "-created_at").values(
        "uuid",
        "haystack",
        "headline",
        "turn",
        "author__username",
        "coding__uuid",
        "coding__code__label",
        "coding__version__transcript__uuid",
        "coding__version__transcript__title",
        "code__uuid",
        "code__label",
        "transcript__uuid",
        "transcript__title",
    )[: OTHERS_SHOWN + 1]
    slug = member.study.slug
    hits = []
    for row in rows:
        if row["coding__uuid"]:
            title = f"Memo on a coding “{row['coding__code__label']}”"
            url = turn_url(slug, row["coding__version__transcript__uuid"], row["turn"])
            where = row["coding__version__transcript__title"]
        elif row["code__uuid"]:
            title = f"Memo on the code “{row['code__label']}”"
            url = reverse("coding-memos", args=[slug, "code", row["code__uuid"]])
            where = "codebook"
        else:
            title = f"Memo on {row['transcript__title']}"
            url = reverse("coding-memos", args=[slug, "transcript", row["transcript__uuid"]])
            where = row["transcript__title"]
        hits.append(
            Hit(
                kind="memo",
                title=title,
                detail=f"by {row['author__username']} · {where}",
                url=url,
                snippet=highlight(row["haystack"], query, row["headline"]),
            )
        )
    return hits


def _entries(member: Membership, query: str) -> list[Hit]:
    entries = JournalEntry.objects.visible_to(member).annotate(
        haystack=Concat("title", Value("\n"), "text", output_field=TextField()),
        turn=Subquery(
            Turn.objects.filter(
                version__transcript=OuterRef("transcript"), start__lte=OuterRef("start")
            )
            .order_by("-version__number", "-start")
            .values("position")[:1]
        ),
    )
    rows = _matching(entries, query, "-created_at").values(
        "uuid",
        "title",
        "shared",
        "haystack",
        "headline",
        "turn",
        "author__username",
        "transcript__title",
    )[: OTHERS_SHOWN + 1]
    slug = member.study.slug
    return [
        Hit(
            kind="journal",
            title=row["title"],
            detail=" · ".join(
                part
                for part in (
                    f"by {row['author__username']}",
                    "shared" if row["shared"] else "private",
                    row["transcript__title"] and f"on {row['transcript__title']}",
                    row["turn"] and f"turn {row['turn']}",
                )
                if part
            ),
            url=reverse("coding-journal-entry", args=[slug, row["uuid"]]),
            snippet=highlight(row["haystack"], query, row["headline"]),
        )
        for row in rows
    ]


def search(*, member: Membership, query: str, page: int | str = 1) -> Results:
    """What matches the query among what the member may read. A query is at least
    MIN_QUERY characters once trimmed, and at most MAX_QUERY."""
    query = " ".join(query.split())
    if len(query) < MIN_QUERY:
        raise ValidationError(f"Type at least {MIN_QUERY} characters to search.")
    if len(query) > MAX_QUERY:
        raise ValidationError(f"A search is at most {MAX_QUERY} characters long.")
    memos, entries = _memos(member, query), _entries(member, query)
    return Results(
        query=query,
        passages=_passages(member, query, page),
        memos=memos[:OTHERS_SHOWN],
        more_memos=len(memos) > OTHERS_SHOWN,
        entries=entries[:OTHERS_SHOWN],
        more_entries=len(entries) > OTHERS_SHOWN,
    )
