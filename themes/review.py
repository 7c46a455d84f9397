"""Reviewing themes (PRODUCT.md §T).

Level 1: every extract that reaches a theme through its codes, read together — each with a
little context, a link back into its transcript and the team's review of it (fits the theme or
does not, with a note) — and a code moved out of a theme, into the holding area if it then sits
in no theme, so that nothing is lost.

Level 2: coverage across the dataset — which participants contribute to which theme (the
framework matrix, with an optional summary per cell), the coded passages that belong to no
theme, and the transcripts with little coding.

Codings are read only through `Coding.objects.visible_to` and codes through
`Code.objects.visible_to`: the blind rule holds here as everywhere. Nothing here orders themes by
how often they occur; extracts are counted only when someone asks, and the pages say that
prevalence is not importance. Audit details name what changed, never transcript text or notes.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Length, Substr
from django.http import HttpRequest
from django.utils import timezone

from coding.models import Code, Coding
from studies.audit import Action, audit
from studies.models import Membership, Participant
from themes.models import CellSummary, ExtractReview, Status, Theme, ThemeCode
from themes.services import holding_area, require_coder
from transcripts.models import Transcript, TranscriptState, TranscriptVersion, Turn

NOTE_MAX = 2000
SUMMARY_MAX = 5000
CAVEAT = (
    "Prevalence is not importance: a theme that few participants voice can matter as much as "
    "one that many do."
)


class Stale(ValidationError):
    """The thing changed since the form was made from it: the change is refused, not merged."""


def stamp(row: ExtractReview | CellSummary | None) -> str:
    """What a form carries of the review or summary it was made from ("" for none yet): a save
    made from an older one is refused (409)."""
    return "" if row is None else row.at.isoformat()


# The themes, as a tree ----------------------------------------------------------------------


def theme_tree(study_id: int) -> list[Theme]:
    """The study's themes in board order, each followed by its subthemes (at any depth), each
    with `depth` (0 at the top). One query."""
    themes = list(Theme.objects.filter(study_id=study_id))
    by_pk = {theme.pk: theme for theme in themes}
    children: dict[int | None, list[Theme]] = defaultdict(list)
    for theme in themes:
        children[theme.parent_id if theme.parent_id in by_pk else None].append(theme)
    ordered: list[Theme] = []
    seen: set[int] = set()

    def visit(theme: Theme, depth: int) -> None:
        seen.add(theme.pk)
        theme.depth = depth
        ordered.append(theme)
        for child in children[theme.pk]:
            if child.pk not in seen:
                visit(child, depth + 1)

    for theme in children[None] + themes:  # every theme once, even in a (forbidden) cycle
        if theme.pk not in seen:
            visit(theme, 0)
    return ordered


def subtree(tree: list[Theme], theme: Theme) -> list[Theme]:
    """The theme and the subthemes below it, in tree order (from `theme_tree`)."""
    start = next(i for i, other in enumerate(tree) if other.pk == theme.pk)
    below = [tree[start]]
    for other in tree[start + 1 :]:
        if other.depth <= tree[start].depth:
            break
        below.append(other)
    return below


def in_matrix(theme: Theme) -> bool:
    """The columns of the coverage matrix: themes and subthemes, not discarded, not the holding
    area."""
    return not theme.holding and theme.status != Status.DISCARDED


# Reading extracts ---------------------------------------------------------------------------


def _current_version() -> Subquery:
    return Subquery(
        TranscriptVersion.objects.filter(transcript=OuterRef("version__transcript"))
        .order_by("-number")
        .values("pk")[:1]
    )


def visible_codings(member: Membership) -> QuerySet[Coding]:
    """The codings the member may see on each transcript's current version (a coding whose
    words a correction removed stays on an older version, out of the themes' reach)."""
    return Coding.objects.visible_to(member).filter(version=_current_version())


def theme_links(*, member: Membership, themes: list[Theme]) -> list[ThemeCode]:
    """The codes the member may see in these themes, in the themes' order and then each theme's
    own; each link's `via` is its theme. A code in several of them comes once, with the first."""
    order = {theme.pk: i for i, theme in enumerate(themes)}
    links = sorted(
        ThemeCode.objects.filter(
            theme__in=list(order), code__in=Code.objects.visible_to(member)
        ).select_related("code"),
        key=lambda link: (order[link.theme_id], link.position, link.added_at, link.pk),
    )
    by_pk = {theme.pk: theme for theme in themes}
    seen: set[int] = set()
    unique = []
    for link in links:
        if link.code_id not in seen:
            seen.add(link.code_id)
            link.via = by_pk[link.theme_id]
            unique.append(link)
    return unique


def theme_extracts(
    *, member: Membership, links: list[ThemeCode], participant: Participant | None = None
) -> QuerySet[Coding]:
    """The codings the member may see of these codes (from `theme_links`), code by code in the
    links' order, then in transcript and text order. Cheap to count and to page through: a page
    gets its context from `coding.retrieve.in_context`."""
    if not links:
        return Coding.objects.none()
    codings = visible_codings(member).filter(code__in=[link.code_id for link in links])
    if participant is not None:
        codings = codings.filter(version__transcript__participant=participant)
    by_code = Case(
        *(When(code_id=link.code_id, then=Value(i)) for i, link in enumerate(links)),
        output_field=IntegerField(),
    )
    return codings.order_by(
        by_code,
        "version__transcript__participant__created_at",
        "version__transcript__imported_at",
        "version__transcript_id",
        "start",
        "end",
        "pk",
    )


def reviews_of(*, themes: Iterable[Theme], codings: Iterable[Coding]) -> dict[tuple, ExtractReview]:
    """The reviews of these extracts under these themes, by (theme pk, coding pk)."""
    return {
        (review.theme_id, review.coding_id): review
        for review in ExtractReview.objects.filter(
            theme__in=[theme.pk for theme in themes], coding__in=[c.pk for c in codings]
        ).select_related("by")
    }


# Level 1: changing things -------------------------------------------------------------------


def _reaches(member: Membership, theme: Theme, coding: Coding) -> bool:
    return visible_codings(member).filter(pk=coding.pk, code__theme_codes__theme=theme).exists()


@transaction.atomic
def extract_review_save(
    *,
    member: Membership,
    theme: Theme,
    coding: Coding,
    fits: bool,
    note: str = "",
    seen: str | None = None,
    request: HttpRequest | None = None,
) -> ExtractReview:
    """Record whether an extract fits the theme its code brings it to, with a note: one review
    per theme and extract, the latest standing. `seen` is the stamp of the review the form was
    made from ("" for none): a review saved meanwhile by someone else is not overwritten."""
    require_coder(member)
    if theme.study_id != member.study_id:
        raise ValidationError("This theme belongs to another study.")
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise ValidationError(f"A note on an extract has at most {NOTE_MAX} characters.")
    if not _reaches(member, theme, coding):
        raise ValidationError(
            f"This extract no longer reaches “{theme.name}” through its codes: reload the page."
        )
    review = (
        ExtractReview.objects.select_for_update()
        .select_related("by")
        .filter(theme=theme, coding=coding)
        .first()
    )
    if seen is not None and seen != stamp(review):
        raise _stale_review(theme, review)
    if review is None:
        review = ExtractReview(theme=theme, coding=coding)
    review.fits, review.note, review.by, review.at = fits, note, member.user, timezone.now()
    try:
        with transaction.atomic():
            review.save()
    except IntegrityError:  # reviewed at the same moment by someone else
        raise _stale_review(
            theme, ExtractReview.objects.filter(theme=theme, coding=coding).first()
        ) from None
    audit(
        Action.THEME_CHANGE,
        request=request,
        actor=member.user,
        study=member.study,
        target=theme,
        details={
            "extract_review": {
                "coding": str(coding.uuid),
                "fits": fits,
                "with_note": bool(note),
            }
        },
    )
    return review


def _stale_review(theme: Theme, review: ExtractReview | None) -> Stale:
    who = f" by {review.by.get_username()}" if review is not None else ""
    return Stale(
        f"This extract's review under “{theme.name}” was changed{who} after you opened the page, "
        "so yours was not saved. It now shows the review as it is: review it again if yours "
        "still applies."
    )


def _fresh_theme(member: Membership, theme: Theme, revision: int | None) -> Theme:
    fresh = Theme.objects.select_for_update().filter(pk=theme.pk, study_id=member.study_id).first()
    if fresh is None:
        raise ValidationError("This theme is not one of this study's (any more).")
    if revision is not None and revision != fresh.revision:
        raise Stale(
            f"“{fresh.name}” was changed after you opened this page, so your change was not "
            "saved. The page now shows the theme as it is: make your change again if it still "
            "applies."
        )
    return fresh


def _bump(theme: Theme) -> None:
    Theme.objects.filter(pk=theme.pk).update(revision=F("revision") + 1, updated_at=timezone.now())
    theme.refresh_from_db(fields=["revision", "updated_at"])


@transaction.atomic
def theme_code_move_out(
    *,
    member: Membership,
    theme: Theme,
    code: Code,
    revision: int | None = None,
    request: HttpRequest | None = None,
) -> Theme | None:
    """Take a code out of a theme (its codings stay). A code then in no live theme — none but
    discarded ones or the holding area — goes to the holding area, so nothing is lost: which is
    returned (None when the code still sits in another theme)."""
    require_coder(member)
    theme = _fresh_theme(member, theme, revision)
    if theme.holding:
        raise ValidationError(
            "The holding area keeps the codes that fit no theme yet: to move a code out of it, "
            "put it in a theme."
        )
    if not Code.objects.visible_to(member).filter(pk=code.pk).exists():
        raise ValidationError("This code is not in the codebook you can see.")
    link = ThemeCode.objects.filter(theme=theme, code=code).first()
    if link is None:
        raise ValidationError(f"“{code.label}” is not in “{theme.name}” (any more).")
    link.delete()
    elsewhere = (
        ThemeCode.objects.filter(code=code, theme__holding=False)
        .exclude(theme__status=Status.DISCARDED)
        .exists()
    )
    holding = None
    if not elsewhere and not ThemeCode.objects.filter(code=code, theme__holding=True).exists():
        holding = holding_area(member)
        last = ThemeCode.objects.filter(theme=holding).aggregate(n=Max("position"))["n"]
        ThemeCode.objects.create(
            theme=holding, code=code, position=(last or 0) + 1, added_by=member.user
        )
        _bump(holding)
    _bump(theme)
    audit(
        Action.THEME_CHANGE,
        request=request,
        actor=member.user,
        study=member.study,
        target=theme,
        details={
            "code_moved_out": {
                "code": str(code.uuid),
                "label": code.label,
                "to_holding_area": holding is not None,
            }
        },
    )
    return holding


# Level 2: coverage --------------------------------------------------------------------------


@dataclass
class Cell:
    """One participant by one theme: how many of the participant's extracts the member may see
    there (0: the participant does not contribute, as far as the member sees), and the
    framework-matrix summary."""

    participant: Participant
    theme: Theme
    extracts: int = 0
    summary: CellSummary | None = None
    errors: list[str] = field(default_factory=list)
    text: str | None = None  # a summary as sent, refused

    @property
    def marked(self) -> bool:
        return self.extracts > 0

    @property
    def stamp(self) -> str:
        return stamp(self.summary)

    @property
    def shown_text(self) -> str:
        if self.text is not None:
            return self.text
        return self.summary.text if self.summary else ""


@dataclass
class Matrix:
    participants: list[Participant]
    themes: list[Theme]  # in tree order, with `depth`
    rows: list[tuple[Participant, list[Cell]]]


def coverage_matrix(*, member: Membership, summaries: bool = False) -> Matrix:
    """Participants (with at least one transcript) by themes (not discarded, not the holding
    area), each cell counting the participant's extracts of the theme's own codes that the member
    may see; with the framework-matrix summaries if asked. Four queries at most, whatever the
    numbers of participants, themes and extracts."""
    participants = list(
        Participant.objects.filter(
            study_id=member.study_id,
            pk__in=Transcript.objects.filter(study_id=member.study_id).values("participant"),
        )
    )
    themes = [theme for theme in theme_tree(member.study_id) if in_matrix(theme)]
    extracts = {
        (row["participant"], row["theme"]): row["n"]
        for row in visible_codings(member)
        .filter(code__theme_codes__isnull=False)
        .values(
            participant=F("version__transcript__participant"),
            theme=F("code__theme_codes__theme"),
        )
        .annotate(n=Count("pk", distinct=True))
        .order_by()
    }
    written = {}
    if summaries:
        written = {
            (summary.participant_id, summary.theme_id): summary
            for summary in CellSummary.objects.filter(
                theme__study_id=member.study_id
            ).select_related("by")
        }
    rows = [
        (
            participant,
            [
                Cell(
                    participant=participant,
                    theme=theme,
                    extracts=extracts.get((participant.pk, theme.pk), 0),
                    summary=written.get((participant.pk, theme.pk)),
                )
                for theme in themes
            ],
        )
        for participant in participants
    ]
    return Matrix(participants=participants, themes=themes, rows=rows)


def coverage_cell(*, member: Membership, theme: Theme, participant: Participant) -> Cell:
    """One cell of the framework matrix, as `coverage_matrix` would show it."""
    extracts = (
        visible_codings(member)
        .filter(code__theme_codes__theme=theme, version__transcript__participant=participant)
        .values("pk")
        .distinct()
        .count()
    )
    summary = (
        CellSummary.objects.filter(theme=theme, participant=participant)
        .select_related("by")
        .first()
    )
    return Cell(participant=participant, theme=theme, extracts=extracts, summary=summary)


@transaction.atomic
def cell_summary_save(
    *,
    member: Membership,
    theme: Theme,
    participant: Participant,
    text: str,
    seen: str | None = None,
    request: HttpRequest | None = None,
) -> CellSummary | None:
    """Write (or, with an empty text, remove) the framework-matrix summary of what a
    participant contributes to a theme. `seen` is the stamp of the summary the form was made
    from ("" for none): a summary saved meanwhile by someone else is not overwritten."""
    require_coder(member)
    if theme.study_id != member.study_id or participant.study_id != member.study_id:
        raise ValidationError("This cell is not in this study's framework matrix.")
    if not in_matrix(theme):
        which = "the holding area" if theme.holding else f"“{theme.name}” (discarded)"
        raise ValidationError(f"The framework matrix has no column for {which}.")
    text = text.strip()
    if len(text) > SUMMARY_MAX:
        raise ValidationError(f"A cell's summary has at most {SUMMARY_MAX} characters.")
    summary = (
        CellSummary.objects.select_for_update()
        .select_related("by")
        .filter(theme=theme, participant=participant)
        .first()
    )
    if seen is not None and seen != stamp(summary):
        who = f" by {summary.by.get_username()}" if summary is not None else ""
        raise Stale(
            f"The summary of {participant.pseudonym} × “{theme.name}” was changed{who} after you "
            "opened the page, so yours was not saved. The cell now shows it as it is."
        )
    if not text:
        if summary is None:
            return None
        summary.delete()
        change = "removed"
        summary = None
    else:
        if summary is None:
            summary = CellSummary(theme=theme, participant=participant)
        summary.text, summary.by, summary.at = text, member.user, timezone.now()
        try:
            with transaction.atomic():
                summary.save()
        except IntegrityError:  # written at the same moment by someone else
            raise Stale(
                f"The summary of {participant.pseudonym} × “{theme.name}” was just written by "
                "someone else, so yours was not saved. Reload the page."
            ) from None
        change = "saved"
    audit(
        Action.THEME_CHANGE,
        request=request,
        actor=member.user,
        study=member.study,
        target=theme,
        details={"cell_summary": {"participant": participant.pseudonym, "change": change}},
    )
    return summary


def uncovered(*, member: Membership) -> QuerySet[Coding]:
    """The codings the member may see whose code is in no live theme (in none, or only in the
    holding area or discarded themes), in transcript and text order, each with its `words` (cut
    by the database) and the `turn_position` it starts in; `in_holding` says whether the code
    waits in the holding area."""
    live = ThemeCode.objects.filter(code=OuterRef("code"), theme__holding=False).exclude(
        theme__status=Status.DISCARDED
    )
    turn = (
        Turn.objects.filter(version=OuterRef("version"), start__lte=OuterRef("start"))
        .order_by("-start")
        .values("position")[:1]
    )
    return (
        visible_codings(member)
        .filter(~Exists(live))
        .select_related("code", "coder", "version__transcript__participant")
        .defer("version__text")
        .annotate(
            words=Substr("version__text", F("start") + 1, F("end") - F("start")),
            turn_position=Subquery(turn),
            in_holding=Exists(ThemeCode.objects.filter(code=OuterRef("code"), theme__holding=True)),
        )
        .order_by(
            "version__transcript__participant__created_at",
            "version__transcript__imported_at",
            "version__transcript_id",
            "start",
            "end",
            "pk",
        )
    )


def covered_length(ranges: Iterable[tuple[int, int]]) -> int:
    """How many code points the half-open ranges cover together (overlaps counted once)."""
    total, reach = 0, None
    for start, end in sorted(ranges):
        if reach is None or start > reach:
            total += end - start
            reach = end
        elif end > reach:
            total += end - reach
            reach = end
    return total


def thin_transcripts(*, member: Membership) -> list[Transcript]:
    """The locked transcripts, least coded first: each with `length` (of its current text),
    `covered` (code points under at least one coding the member may see) and `share` (0 to 1).
    Two queries; no transcript text is read."""
    length = Subquery(
        TranscriptVersion.objects.filter(transcript=OuterRef("pk"))
        .order_by("-number")
        .annotate(n=Length("text"))
        .values("n")[:1]
    )
    transcripts = list(
        Transcript.objects.filter(study_id=member.study_id, state=TranscriptState.LOCKED)
        .select_related("participant")
        .annotate(length=length)
    )
    ranges: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for transcript, start, end in visible_codings(member).values_list(
        "version__transcript", "start", "end"
    ):
        ranges[transcript].append((start, end))
    for transcript in transcripts:
        transcript.covered = covered_length(ranges[transcript.pk])
        transcript.share = transcript.covered / transcript.length if transcript.length else 0.0
        transcript.percent = round(100 * transcript.share, 1)
    transcripts.sort(key=lambda t: (t.share, t.title.lower(), t.pk))
    return transcripts
