"""The lead author's review of the themes and of the map: comments in threads on a theme or on
the map (no theme), resolved when dealt with, and the lead's verdict — approved, or changes
asked for. Coders, leads and custodians comment; only leads and custodians give a verdict;
viewers read. Every change is audited (REVIEW), without the comment's words.

Threads are one level deep: a reply to a reply joins the thread of the comment it answers, and
always belongs to the same theme (or the map) as the thread."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from studies.audit import Action, audit
from studies.models import Membership, Role
from themes.models import ReviewComment, ReviewVerdict, Theme, Verdict

MAX_COMMENT = 5000
MAX_NOTE = 2000


def _where(theme: Theme | None) -> str:
    return f"“{theme.name}”" if theme is not None else "the map"


def _require_commenter(member: Membership) -> None:
    if not member.has_role(Role.CODER):
        raise PermissionDenied("Commenting is for coders, leads and custodians; a viewer reads.")


def _check_theme(member: Membership, theme: Theme | None) -> None:
    if theme is not None and theme.study_id != member.study_id:
        raise ValidationError("This theme belongs to another study.")


def _text(text: str, *, limit: int, what: str) -> str:
    text = (text or "").strip()
    if len(text) > limit:
        raise ValidationError(
            f"A {what} has at most {limit:,} characters; this one has {len(text):,}."
        )
    return text


@transaction.atomic
def comment_add(
    *,
    member: Membership,
    text: str,
    theme: Theme | None = None,
    reply_to: ReviewComment | None = None,
    request: HttpRequest | None = None,
) -> ReviewComment:
    """A new comment on a theme or on the map (no theme), or a reply in a thread (it takes the
    thread's theme; naming another is refused)."""
    _require_commenter(member)
    _check_theme(member, theme)
    text = _text(text, limit=MAX_COMMENT, what="comment")
    if not text:
        raise ValidationError("A comment needs some words.")
    if reply_to is not None:
        if reply_to.study_id != member.study_id:
            raise ValidationError("This comment belongs to another study.")
        root = ReviewComment.objects.select_for_update().get(pk=reply_to.reply_to_id or reply_to.pk)
        if theme is not None and theme.pk != root.theme_id:
            raise ValidationError(
                "A reply belongs to the same theme (or the map) as the comment it answers."
            )
        if root.resolved_at is not None:
            raise ValidationError("This thread is resolved: start a new comment instead.")
        theme, reply_to = root.theme, root
    comment = ReviewComment.objects.create(
        study_id=member.study_id, theme=theme, reply_to=reply_to, author=member.user, text=text
    )
    audit(
        Action.REVIEW,
        request=request,
        actor=member.user,
        study=member.study,
        target=comment,
        details={
            "change": "reply" if reply_to is not None else "comment",
            "comment": str(comment.uuid),
            "thread": str(reply_to.uuid) if reply_to is not None else None,
            "on": str(theme.uuid) if theme is not None else "map",
            "theme": theme.name if theme is not None else None,
        },
    )
    return comment


@transaction.atomic
def comment_resolve(
    *, member: Membership, comment: ReviewComment, request: HttpRequest | None = None
) -> ReviewComment:
    """Mark a thread as dealt with (resolving a reply resolves its thread). It stays on record."""
    _require_commenter(member)
    if comment.study_id != member.study_id:
        raise ValidationError("This comment belongs to another study.")
    root_pk = comment.reply_to_id or comment.pk
    now = timezone.now()
    done = ReviewComment.objects.filter(pk=root_pk, resolved_at__isnull=True).update(
        resolved_at=now, resolved_by=member.user
    )
    root = ReviewComment.objects.select_related("theme", "resolved_by").get(pk=root_pk)
    if not done:  # resolved meanwhile, by someone else or by an earlier click
        raise ValidationError(
            f"This thread was already resolved by {root.resolved_by.get_username()}."
        )
    audit(
        Action.REVIEW,
        request=request,
        actor=member.user,
        study=member.study,
        target=root,
        details={
            "change": "resolved",
            "comment": str(root.uuid),
            "on": str(root.theme.uuid) if root.theme is not None else "map",
            "theme": root.theme.name if root.theme is not None else None,
        },
    )
    return root


@transaction.atomic
def verdict_record(
    *,
    member: Membership,
    verdict: str,
    theme: Theme | None = None,
    note: str = "",
    request: HttpRequest | None = None,
) -> ReviewVerdict:
    """The lead's verdict on a theme or on the map (no theme): approved, or changes asked for
    (with a note saying which). The latest verdict stands; the earlier ones stay on record."""
    if not member.is_lead:
        raise PermissionDenied("Approving or asking for changes is for leads and custodians.")
    _check_theme(member, theme)
    if verdict not in Verdict.values:
        raise ValidationError(f"“{verdict}” is not a verdict: approve, or ask for changes.")
    if theme is not None and theme.holding:
        raise ValidationError("The holding area is not a theme: it is neither approved nor not.")
    note = _text(note, limit=MAX_NOTE, what="note")
    if verdict == Verdict.CHANGES and not note:
        raise ValidationError(f"Say which changes {_where(theme)} needs.")
    recorded = ReviewVerdict.objects.create(
        study_id=member.study_id, theme=theme, verdict=verdict, note=note, by=member.user
    )
    audit(
        Action.REVIEW,
        request=request,
        actor=member.user,
        study=member.study,
        target=recorded,
        details={
            "change": "verdict",
            "verdict": verdict,
            "on": str(theme.uuid) if theme is not None else "map",
            "theme": theme.name if theme is not None else None,
        },
    )
    return recorded


# Reading ----------------------------------------------------------------------------------


def _threads(member: Membership, *, open_only: bool) -> QuerySet:
    roots = ReviewComment.objects.filter(study_id=member.study_id, reply_to__isnull=True)
    if open_only:
        roots = roots.filter(resolved_at__isnull=True)
    return roots.select_related("author", "resolved_by").prefetch_related(
        Prefetch(
            "replies", queryset=ReviewComment.objects.select_related("author"), to_attr="thread"
        )
    )


def threads_for(
    member: Membership, theme: Theme | None = None, *, open_only: bool = True
) -> list[ReviewComment]:
    """The threads on a theme, or on the map (no theme), oldest first: each first comment with
    its replies in `thread`. Open ones only, unless asked. Two queries."""
    return list(_threads(member, open_only=open_only).filter(theme=theme))


def open_threads(member: Membership) -> dict[int | None, list[ReviewComment]]:
    """Every open thread of the study, by theme id (None: the map). Two queries."""
    found: dict[int | None, list[ReviewComment]] = {}
    for root in _threads(member, open_only=True):
        found.setdefault(root.theme_id, []).append(root)
    return found


def latest_verdicts(member: Membership) -> dict[int | None, ReviewVerdict]:
    """The verdict that stands for each theme that has one, and for the map (None). One query."""
    found: dict[int | None, ReviewVerdict] = {}
    for verdict in ReviewVerdict.objects.filter(study_id=member.study_id).select_related("by"):
        found.setdefault(verdict.theme_id, verdict)  # newest first
    return found


def themes_in_order(member: Membership) -> list[tuple[Theme, int]]:
    """The themes a review covers (not the holding area), each followed by its subthemes, as
    (theme, depth). One query."""
    themes = list(Theme.objects.filter(study_id=member.study_id, holding=False))
    known = {theme.pk for theme in themes}
    children: dict[int | None, list[Theme]] = {}
    for theme in themes:
        children.setdefault(theme.parent_id if theme.parent_id in known else None, []).append(theme)
    ordered: list[tuple[Theme, int]] = []
    seen: set[int] = set()

    def visit(theme: Theme, depth: int) -> None:
        seen.add(theme.pk)
        ordered.append((theme, depth))
        for child in children.get(theme.pk, []):
            if child.pk not in seen:
                visit(child, depth + 1)

    for theme in children.get(None, []) + themes:  # every theme once, even in a cycle
        if theme.pk not in seen:
            visit(theme, 0)
    return ordered
