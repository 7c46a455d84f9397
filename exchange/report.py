"""The report builder (PRODUCT.md §W): illustrative extracts chosen per theme and put in order,
each attributed by pseudonym only; the consent guard (exchange.consent) that keeps out the words
of participants who did not consent to quotation; the verbatim check that flags a chosen extract
whose transcript no longer reads as it did; the theme overview table (the paper's "Table 4");
and the methods scaffold (exchange.methods, `methods_scaffold` here too).

An extract is a coding the member may see (`Coding.objects.visible_to`, on its transcript's
current version) whose code is in the theme or in one of its subthemes. It is stored with its
words as they were when chosen, so that a later correction of the transcript is caught. Everything
is read as the member may see it: during an open round a coder neither sees nor chooses a
co-coder's codings, and extracts chosen from them are hidden from that coder too. Audit events
name extracts, themes and pseudonyms, never transcript words."""

import hashlib
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max, OuterRef, QuerySet, Subquery
from django.db.models.functions import Substr
from django.http import HttpRequest

from coding.models import (
    Coding,
)
from exchange.consent import Quotation, quotation_consent, quotation_of, reason
from exchange.methods import Methods, methods_scaffold
from exchange.models import ReportExtract
from studies.audit import Action, audit
from studies.models import Membership, Participant
from themes.models import Status, Theme
from themes.review import visible_codings
from themes.services import require_coder, themes_for
from transcripts.models import TranscriptState, TranscriptVersion

WORDS_MAX = 20_000  # an extract longer than this is a passage, not a quote


class Stale(ValidationError):
    """The theme's extracts changed since the page showed them: the change is refused."""


# The themes of the report -------------------------------------------------------------------


def report_themes(member: Membership) -> list[Theme]:
    """The themes of the report: the study's themes and subthemes, not discarded and not the
    holding area, in board order as a tree — each theme followed by its subthemes — each with
    `depth` (0 for a theme), `under` (its subthemes here) and `reach`: the primary keys of
    the codes that bring extracts to it, its own codes the member may see and then its
    subthemes', each once. Two queries."""
    themes = [
        theme
        for theme in themes_for(member)
        if not theme.holding and theme.status != Status.DISCARDED
    ]
    by_pk = {theme.pk: theme for theme in themes}
    children: dict[int | None, list[Theme]] = defaultdict(list)
    for theme in themes:
        children[theme.parent_id if theme.parent_id in by_pk else None].append(theme)
    ordered: list[Theme] = []
    seen: set[int] = set()

    def visit(theme: Theme, depth: int) -> list[int]:
        seen.add(theme.pk)
        theme.depth, theme.under = depth, []
        ordered.append(theme)
        reach = [link.code_id for link in theme.visible_codes]
        for child in children[theme.pk]:
            if child.pk not in seen:  # a cycle of parents is no tree
                theme.under.append(child)
                reach += visit(child, depth + 1)
        theme.reach = list(dict.fromkeys(reach))
        return theme.reach

    for theme in children[None] + themes:  # every theme once, even in a (forbidden) cycle
        if theme.pk not in seen:
            visit(theme, 0)
    return ordered


def _in_report(member: Membership, theme: Theme) -> Theme:
    """The theme as the report has it (with `reach`), or why it has no extracts."""
    if theme.study_id != member.study_id:
        raise ValidationError("This theme belongs to another study.")
    if theme.holding:
        raise ValidationError(
            "The holding area is not a theme of the report: put the code in a theme first."
        )
    if theme.status == Status.DISCARDED:
        raise ValidationError(f"“{theme.name}” is discarded: it has no place in the report.")
    found = next((t for t in report_themes(member) if t.pk == theme.pk), None)
    if found is None:
        raise ValidationError(f"“{theme.name}” is not in the report (any more): reload the page.")
    return found


def quotable_codings(member: Membership) -> QuerySet[Coding]:
    """The codings an extract can be: those the member may see, on the current version of a
    locked transcript (one whose anonymisation was reviewed and signed off — an imported project
    can bring codings on text that is still in review)."""
    return visible_codings(member).filter(version__transcript__state=TranscriptState.LOCKED)


def natural(pseudonym: str) -> tuple:
    """P2 before P10."""
    match = re.match(r"^(.*?)(\d+)$", pseudonym)
    if match is None:
        return (pseudonym.casefold(), -1)
    return (match.group(1).casefold(), int(match.group(2)))


def order_stamp(uuids) -> str:
    """What a page carries of the order it showed a theme's extracts in: a reorder made from an
    older order is refused (409)."""
    joined = ",".join(str(value) for value in uuids)
    return hashlib.sha256(joined.encode()).hexdigest()[:16]


# Chosen extracts and the verbatim check ----------------------------------------------------


def _words() -> Substr:
    return Substr("version__text", F("start") + 1, F("end") - F("start"))


@dataclass
class Chosen:
    """A chosen extract as the report reads it: the row's own fields, what it needs of its
    coding, transcript and participant, and — once read — `current` (the words its coding now
    covers), `current_version` (its transcript's current version) and `problem` (why the
    verbatim check flags it, "" when it does not). Plain values, not model instances: a report
    may hold thousands of them."""

    pk: int
    uuid: uuid.UUID
    theme_id: int
    coding_id: int
    position: int
    words: str
    chosen_at: datetime
    chosen_by: str  # a username
    start: int
    version_id: int
    needs_check: bool
    participant_id: int
    pseudonym: str
    transcript_uuid: uuid.UUID
    transcript_title: str
    current: str
    current_version: int
    problem: str = ""
    quotation: Quotation = Quotation.NOT_CONSENTED  # set by `apply_consent`
    refusal: str = ""

    @property
    def removed(self) -> bool:
        """A correction of the transcript removed the words (the coding stayed behind)."""
        return self.current_version != self.version_id


CHOSEN_FIELDS = (
    "pk", "uuid", "theme_id", "coding_id", "position", "words", "chosen_at",
    "chosen_by__username", "coding__start", "coding__version_id", "coding__needs_check",
    "coding__version__transcript__participant_id",
    "coding__version__transcript__participant__pseudonym",
    "coding__version__transcript__uuid", "coding__version__transcript__title",
    "current", "current_version",
)  # fmt: skip


def chosen_extracts(
    member: Membership, themes: list[Theme] | None = None
) -> dict[int, list[Chosen]]:
    """The chosen extracts the member may see, by theme primary key, in their order (see
    `Chosen`). One query."""
    extracts = ReportExtract.objects.filter(
        theme__study_id=member.study_id,
        coding__in=Coding.objects.visible_to(member),
        coding__version__transcript__state=TranscriptState.LOCKED,
    )
    if themes is not None:
        extracts = extracts.filter(theme__in=[theme.pk for theme in themes])
    current_version = Subquery(
        TranscriptVersion.objects.filter(transcript=OuterRef("coding__version__transcript"))
        .order_by("-number")
        .values("pk")[:1]
    )
    rows = (
        extracts.annotate(
            current=Substr(
                "coding__version__text",
                F("coding__start") + 1,
                F("coding__end") - F("coding__start"),
            ),
            current_version=current_version,
        )
        .order_by("theme_id", "position", "chosen_at", "pk")
        .values_list(*CHOSEN_FIELDS)
    )
    found: dict[int, list[Chosen]] = defaultdict(list)
    for row in rows:
        extract = Chosen(*row)
        extract.problem = verbatim_problem(extract)
        found[extract.theme_id].append(extract)
    return found


def verbatim_problem(extract: Chosen) -> str:
    """Why the extract no longer matches its transcript ("" when it does)."""
    if extract.removed:
        return "A correction of the transcript removed these words."
    if extract.current != extract.words:
        return "The transcript now reads differently here."
    if extract.needs_check:
        return "A correction changed words in this coding, and its coder has not checked it yet."
    return ""


def verbatim_check(*, member: Membership, themes: list[Theme] | None = None) -> list[Chosen]:
    """The chosen extracts (that the member may see) that no longer match their transcript, each
    with its `problem`, in theme and extract order."""
    by_theme = chosen_extracts(member, themes)
    return [extract for rows in by_theme.values() for extract in rows if extract.problem]


# Changing the choice ------------------------------------------------------------------------


def _not_seen() -> ValidationError:
    return ValidationError(
        "This extract is not one you can see (it may have been removed): reload the page."
    )


def extract_choose(
    *,
    member: Membership,
    theme: Theme,
    coding: Coding,
    request: HttpRequest | None = None,
) -> ReportExtract:
    """Choose a coding as an illustrative extract of the theme, last in its order, with its
    words as they are now. Refused — and nothing stored — for a viewer, a coding the member may
    not see, one whose code is not in the theme or its subthemes, and a participant who may not
    be quoted (the consent guard, which reads the vault: that read is audited whatever the
    answer)."""
    require_coder(member)
    theme = _in_report(member, theme)
    found = (
        quotable_codings(member)
        .filter(pk=coding.pk)
        .select_related("version__transcript__participant", "code")
        .defer("version__text")
        .first()
    )
    if found is None:
        seen = (
            Coding.objects.visible_to(member)
            .filter(pk=coding.pk)
            .values_list("version__transcript__state", flat=True)
            .first()
        )
        if seen is None:
            raise _not_seen()
        if seen != TranscriptState.LOCKED:
            raise ValidationError(
                "This extract's transcript is not locked yet (its anonymisation is not signed "
                "off): its words cannot be quoted."
            )
        raise ValidationError(
            "A correction of the transcript removed this extract's words: choose one from "
            "the transcript as it now reads."
        )
    if found.code_id not in theme.reach:
        raise ValidationError(
            f"This extract's code (“{found.code.label}”) is not in “{theme.name}” or its "
            "subthemes: choose it under a theme its code is in."
        )
    participant = found.version.transcript.participant
    consent = quotation_consent(
        study=member.study, participants=[participant.pk], request=request, actor=member.user
    )
    quotation = quotation_of(consent, participant.pk)
    if not quotation.allowed:
        raise ValidationError(reason(participant.pseudonym, quotation))
    return _store(member, theme, found, participant, request)


@transaction.atomic
def _store(
    member: Membership,
    theme: Theme,
    coding: Coding,
    participant: Participant,
    request: HttpRequest | None,
) -> ReportExtract:
    # Two people choosing for one theme at once queue here, so that positions stay distinct.
    Theme.objects.select_for_update().filter(pk=theme.pk).first()
    already = ValidationError(f"This extract is already among the quotes of “{theme.name}”.")
    if ReportExtract.objects.filter(theme=theme, coding=coding).exists():
        raise already
    words = quotable_codings(member).filter(pk=coding.pk).values_list(_words(), flat=True).first()
    if words is None:
        raise _not_seen()
    if len(words) > WORDS_MAX:
        raise ValidationError(
            f"This extract has {len(words):,} characters: a quote has at most {WORDS_MAX:,}. "
            "Code a shorter passage and choose that."
        )
    last = ReportExtract.objects.filter(theme=theme).aggregate(n=Max("position"))["n"]
    try:
        with transaction.atomic():
            extract = ReportExtract.objects.create(
                theme=theme,
                coding=coding,
                position=0 if last is None else last + 1,
                words=words,
                chosen_by=member.user,
            )
    except IntegrityError:  # exchange_extract_once: chosen at the same moment by someone else
        raise already from None
    audit(
        Action.REPORT,
        request=request,
        actor=member.user,
        study=member.study,
        target=theme,
        details={
            "extract": "chosen",
            "uuid": str(extract.uuid),
            "theme": str(theme.uuid),
            "coding": str(coding.uuid),
            "participant": participant.pseudonym,
        },
    )
    return extract


def visible_extract(member: Membership, extract_uuid) -> ReportExtract | None:
    """A chosen extract of the study whose coding the member may see."""
    return (
        ReportExtract.objects.filter(
            theme__study_id=member.study_id,
            uuid=extract_uuid,
            coding__in=Coding.objects.visible_to(member),
        )
        .select_related("theme")
        .first()
    )


def _extract_details(extract: ReportExtract, change: str) -> dict:
    return {"extract": change, "uuid": str(extract.uuid), "theme": str(extract.theme.uuid)}


@transaction.atomic
def extract_remove(
    *, member: Membership, extract: ReportExtract, request: HttpRequest | None = None
) -> None:
    """Take an extract out of the report (its coding stays as it is)."""
    require_coder(member)
    if visible_extract(member, extract.uuid) is None:
        raise ValidationError(
            "This extract is no longer among the report's quotes (someone may have taken it out)."
        )
    ReportExtract.objects.filter(pk=extract.pk).delete()
    audit(
        Action.REPORT,
        request=request,
        actor=member.user,
        study=member.study,
        target=extract.theme,
        details=_extract_details(extract, "removed"),
    )


@transaction.atomic
def extract_refresh(
    *, member: Membership, extract: ReportExtract, request: HttpRequest | None = None
) -> ReportExtract:
    """Take the words of a flagged extract as its transcript now reads: someone has checked the
    corrected words and they still make the point."""
    require_coder(member)
    if visible_extract(member, extract.uuid) is None:
        raise ValidationError(
            "This extract is no longer among the report's quotes (someone may have taken it out)."
        )
    row = chosen_extracts(member, [extract.theme])
    fresh = next((e for e in row.get(extract.theme_id, []) if e.pk == extract.pk), None)
    if fresh is None:
        raise _not_seen()
    if fresh.removed:
        raise ValidationError(
            "A correction removed this extract's words from the transcript: take it out, and "
            "choose a passage of the transcript as it now reads."
        )
    if fresh.current == fresh.words:
        raise ValidationError("This extract's words already match the transcript.")
    if len(fresh.current) > WORDS_MAX:
        raise ValidationError(f"A quote has at most {WORDS_MAX:,} characters.")
    ReportExtract.objects.filter(pk=extract.pk).update(words=fresh.current)
    extract.words = fresh.current
    audit(
        Action.REPORT,
        request=request,
        actor=member.user,
        study=member.study,
        target=extract.theme,
        details=_extract_details(extract, "words taken from the corrected transcript"),
    )
    return extract


def _uuid(value) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise ValidationError(
            "This form is damaged (an extract in it is not one): reload the page."
        ) from None


@transaction.atomic
def extracts_reorder(
    *,
    member: Membership,
    theme: Theme,
    order: list,
    seen: str | None = None,
    request: HttpRequest | None = None,
) -> list[str]:
    """Put the theme's extracts that the member sees in this order (their UUIDs, every one of
    them once). Extracts hidden from the member keep their places. `seen` is the `order_stamp`
    of the order the page showed: if the extracts were reordered, chosen or taken out since,
    nothing changes (Stale). Returns the new order."""
    require_coder(member)
    if theme.study_id != member.study_id:
        raise ValidationError("This theme belongs to another study.")
    Theme.objects.select_for_update().filter(pk=theme.pk).first()
    rows = list(
        ReportExtract.objects.filter(theme=theme)
        .order_by("position", "chosen_at", "pk")
        .values_list("pk", "uuid", "coding_id")
    )
    visible = set(
        Coding.objects.visible_to(member)
        .filter(pk__in=[coding for _pk, _uuid, coding in rows])
        .values_list("pk", flat=True)
    )
    shown = [str(value) for _pk, value, coding in rows if coding in visible]
    order = [_uuid(value) for value in order]
    stale = Stale(
        f"The quotes of “{theme.name}” were changed by someone else after you opened the page, "
        "so they were not reordered. The page now shows them as they are: reorder them again if "
        "you still want to."
    )
    if seen is not None and seen != order_stamp(shown):
        raise stale
    if len(set(order)) != len(order) or sorted(order) != sorted(shown):
        raise stale
    if order == shown:
        return order
    slots = iter(order)
    full = [next(slots) if coding in visible else str(value) for _pk, value, coding in rows]
    position = {value: at for at, value in enumerate(full)}
    extracts = [ReportExtract(pk=pk, position=position[str(value)]) for pk, value, _coding in rows]
    ReportExtract.objects.bulk_update(extracts, ["position"])
    audit(
        Action.REPORT,
        request=request,
        actor=member.user,
        study=member.study,
        target=theme,
        details={"extracts": "reordered", "theme": str(theme.uuid), "count": len(order)},
    )
    return order


# Candidates ---------------------------------------------------------------------------------


@dataclass
class Candidates:
    """A theme's candidate extracts: how many there are, and one page of them (each with
    `words` and `quotation`)."""

    total: int
    codings: list[Coding]
    offset: int = 0


def _transcript_order(codings: QuerySet) -> QuerySet:
    return codings.order_by(
        "version__transcript__participant__created_at",
        "version__transcript__imported_at",
        "version__transcript_id",
        "start",
        "end",
        "pk",
    )


def candidates(
    *,
    member: Membership,
    themes: list[Theme],
    chosen: dict[int, list[Chosen]],
    consent: dict[int, Quotation],
    limit: int,
    windows: dict[int, tuple[int, int]] | None = None,
) -> dict[int, Candidates]:
    """For each theme (from `report_themes`), the codings the member may see that its codes
    bring to it and that are not chosen for it yet: code by code in the theme's order, then in
    transcript and text order; the first `limit` of them, or for a theme in `windows` its
    (offset, limit). Two queries, however many themes and extracts (the first reads primary keys
    only)."""
    windows = windows or {}
    codes = {code for theme in themes for code in theme.reach}
    by_code: dict[int, list[int]] = defaultdict(list)
    if codes:
        for pk, code in _transcript_order(
            quotable_codings(member).filter(code__in=codes)
        ).values_list("pk", "code_id"):
            by_code[code].append(pk)
    pages: dict[int, tuple[int, list[int]]] = {}
    for theme in themes:
        taken = {extract.coding_id for extract in chosen.get(theme.pk, [])}
        pks = [pk for code in theme.reach for pk in by_code[code] if pk not in taken]
        start, size = windows.get(theme.pk, (0, limit))
        pages[theme.pk] = (len(pks), pks[max(0, start) : max(0, start) + size])
    wanted = {pk for _total, page in pages.values() for pk in page}
    rows = {}
    if wanted:
        rows = {
            coding.pk: coding
            for coding in quotable_codings(member)
            .filter(pk__in=wanted)
            .select_related("code", "coder", "version__transcript__participant")
            .defer("version__text")
            .annotate(words=_words())
        }
    for coding in rows.values():
        participant = coding.version.transcript.participant
        coding.pseudonym = participant.pseudonym
        coding.quotation = quotation_of(consent, participant.pk)
        coding.refusal = (
            "" if coding.quotation.allowed else reason(participant.pseudonym, coding.quotation)
        )
    return {
        theme.pk: Candidates(
            total=pages[theme.pk][0],
            codings=[rows[pk] for pk in pages[theme.pk][1] if pk in rows],
            offset=max(0, windows.get(theme.pk, (0, limit))[0]),
        )
        for theme in themes
    }


# Table 4 ------------------------------------------------------------------------------------


@dataclass
class Table4Row:
    theme: Theme
    subthemes: list[Theme]  # every subtheme below it, in tree order
    definition: str
    participants: list[str]  # pseudonyms, P2 before P10


def _below(theme: Theme) -> list[Theme]:
    found = []
    for child in theme.under:
        found += [child, *_below(child)]
    return found


def table4(member: Membership, themes: list[Theme] | None = None) -> list[Table4Row]:
    """The theme overview table: one row per theme (not per subtheme), with its subthemes, its
    definition and the participants whose extracts (that the member may see) reach it or its
    subthemes. One query besides the themes'."""
    themes = report_themes(member) if themes is None else themes
    tops = [theme for theme in themes if theme.depth == 0]
    codes = {code for theme in tops for code in theme.reach}
    who: dict[int, set[str]] = defaultdict(set)
    if codes:
        for code, pseudonym in (
            quotable_codings(member)
            .filter(code__in=codes)
            .values_list("code_id", "version__transcript__participant__pseudonym")
            .distinct()
            .order_by()
        ):
            who[code].add(pseudonym)
    return [
        Table4Row(
            theme=theme,
            subthemes=_below(theme),
            definition=theme.definition.strip(),
            participants=sorted(
                {pseudonym for code in theme.reach for pseudonym in who[code]}, key=natural
            ),
        )
        for theme in tops
    ]


# The whole report ---------------------------------------------------------------------------


def apply_consent(extracts: list[Chosen], consent: dict[int, Quotation]) -> None:
    """Give each chosen extract its `quotation` (may its participant be quoted now?) and, when
    not, the `refusal` that says why."""
    for extract in extracts:
        extract.quotation = quotation_of(consent, extract.participant_id)
        extract.refusal = (
            "" if extract.quotation.allowed else reason(extract.pseudonym, extract.quotation)
        )


@dataclass
class Report:
    """The report as the member may see it: the themes in tree order, each with `extracts`
    (chosen, in order, each with `quotation` and `problem`), Table 4 and the methods."""

    themes: list[Theme]
    table: list[Table4Row]
    methods: Methods
    consent: dict[int, Quotation]

    @property
    def extracts(self) -> list[Chosen]:
        return [extract for theme in self.themes for extract in theme.extracts]

    @property
    def flagged(self) -> list[Chosen]:
        return [e for e in self.extracts if e.problem and e.quotation.allowed]

    @property
    def withheld(self) -> list[Chosen]:
        return [e for e in self.extracts if not e.quotation.allowed]


def report_for(member: Membership, *, request: HttpRequest | None = None, actor=None) -> Report:
    """Everything the report shows, read once: the consent guard is asked once for the whole
    study (one audited vault read)."""
    themes = report_themes(member)
    chosen = chosen_extracts(member, themes)
    if actor is None and request is None:
        actor = member.user  # with a request, the audit takes its user (no query)
    consent = quotation_consent(study=member.study, request=request, actor=actor)
    for theme in themes:
        theme.extracts = chosen.get(theme.pk, [])
        apply_consent(theme.extracts, consent)
    return Report(
        themes=themes,
        table=table4(member, themes),
        methods=methods_scaffold(member),
        consent=consent,
    )
