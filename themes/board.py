"""The theme board's workflows: creating themes and subthemes, editing their definition, changing
their status, moving a subtheme, and putting codes into themes (a code may sit in several) or
taking them out.

Each runs in one transaction, writes an audit event (THEME_CHANGE; its details name the change,
themes and codes by uuid, never transcript text) and refuses bad input with a ValidationError
that says why, changing nothing. Every change of a theme — its fields, its status, its place, its
codes, its subthemes — bumps its `revision`, so a form made from the theme as it was is refused
(`Stale`) instead of silently overwriting what someone else did meanwhile. Codes are read only
through `Code.objects.visible_to`: nobody places, moves or removes a code hidden from them.

Every change takes the study's row lock first (`_lock_study`), so changes to one study's themes
run one at a time and in one order: no deadlocks, no duplicate names or positions.

Themes and subthemes: two levels, as the analysis reports them. The holding area
("miscellaneous") sits at the top, takes codes, and has no status, definition or subthemes.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.http import HttpRequest
from django.utils import timezone

from coding.models import Code
from studies.audit import Action, audit
from studies.models import Membership, Study
from themes.models import Status, Theme, ThemeCode
from themes.services import holding_area, require_coder, version_save

NAME_MAX = 200


class Stale(ValidationError):
    """The theme changed since the form was made from it: the change is refused, not merged."""


# Reading and checking --------------------------------------------------------------------------


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError("A theme needs a name.")
    if len(name) > NAME_MAX:
        raise ValidationError(f"A theme's name has at most {NAME_MAX} characters.")
    return name


def _check_name_free(member: Membership, name: str, theme: Theme | None = None) -> None:
    """Names tell themes apart on the board, in menus and in the write-up: one per study,
    whatever the case. The caller holds the study's lock, so two saves cannot both pass."""
    taken = Theme.objects.filter(study_id=member.study_id, name__iexact=name)
    if theme is not None:
        taken = taken.exclude(pk=theme.pk)
    other = taken.first()
    if other is not None:
        what = (
            "the miscellaneous area"
            if other.holding
            else "a discarded theme"
            if other.status == Status.DISCARDED
            else "a theme"
        )
        raise ValidationError(f"There is already {what} called “{other.name}”.")


def _lock_study(member: Membership) -> None:
    """Every change to the study's themes takes the study's row first: changes to the board
    happen one at a time, in one order. (Its audit row points at the study, which takes a
    share lock on that row; a change holding a theme while waiting for the study could
    otherwise deadlock with one holding the study while waiting for the theme.)"""
    Study.objects.select_for_update().filter(pk=member.study_id).first()


def _fresh(member: Membership, theme: Theme, revision: int | None = None) -> Theme:
    """The theme, fresh from the database and locked for this transaction — and, given the
    revision a form was made from, only if nobody has changed it since."""
    fresh = Theme.objects.select_for_update().filter(pk=theme.pk, study_id=member.study_id).first()
    if fresh is None:
        raise ValidationError("This theme is not one of this study's: it may have been removed.")
    if revision is not None and revision != fresh.revision:
        raise Stale(
            f"“{fresh.name}” was changed by someone else after you opened this page, so your "
            "change was not saved. The page now shows the theme as it is: make your change "
            "again if it still applies."
        )
    return fresh


def _bump(*themes: Theme | None) -> None:
    """A change of these themes: a form made from any of them before is now stale."""
    pks = [theme.pk for theme in themes if theme is not None]
    if pks:
        Theme.objects.filter(pk__in=pks).update(
            revision=F("revision") + 1, updated_at=timezone.now()
        )


def _save(theme: Theme, fields: list[str]) -> None:
    theme.revision += 1
    theme.updated_at = timezone.now()
    theme.save(update_fields=[*fields, "revision", "updated_at"])


def _record(
    member: Membership, request: HttpRequest | None, theme: Theme, change: str, **details
) -> None:
    audit(
        Action.THEME_CHANGE,
        request=request,
        actor=member.user,
        study=member.study,
        target=theme,
        details={"change": change, "theme": str(theme.uuid), **details},
    )


def _usable_code(member: Membership, code: Code, *, live: bool = True) -> Code:
    """The code, if the member may see it (and, for placing it, if it is live). A code hidden
    from the member is refused in the same words as one that does not exist."""
    fresh = Code.objects.visible_to(member).filter(pk=code.pk).first()
    if fresh is None:
        raise ValidationError("That code is not in the codebook you can see.")
    if live and fresh.retired_at is not None:
        raise ValidationError(
            f"“{fresh.label}” is retired: it no longer goes into themes (it can still be taken "
            "out of them)."
        )
    return fresh


def _next_position(siblings) -> int:
    last = siblings.aggregate(n=Max("position"))["n"]
    return 0 if last is None else last + 1


def _check_parent(member: Membership, theme: Theme | None, parent: Theme) -> Theme:
    """A theme may sit under `parent`: a theme of the study, at the top, not the holding area,
    not discarded, not itself; and a theme with subthemes of its own stays at the top."""
    parent = Theme.objects.select_for_update().filter(pk=parent.pk).first()
    if parent is None or parent.study_id != member.study_id:
        raise ValidationError("The chosen theme is not one of this study's.")
    if parent.holding:
        raise ValidationError("The miscellaneous area holds codes, not subthemes.")
    if parent.parent_id is not None:
        raise ValidationError(
            f"“{parent.name}” is itself a subtheme: themes have subthemes, and no deeper levels."
        )
    if parent.status == Status.DISCARDED:
        raise ValidationError(
            f"“{parent.name}” is discarded: bring it back before giving it subthemes."
        )
    if theme is not None:
        if parent.pk == theme.pk:
            raise ValidationError("A theme cannot be its own subtheme.")
        if theme.subthemes.exists():
            raise ValidationError(
                f"“{theme.name}” has subthemes of its own: move them first, since themes have "
                "subthemes and no deeper levels."
            )
    return parent


# Themes -----------------------------------------------------------------------------------------


@transaction.atomic
def theme_create(
    *,
    member: Membership,
    name: str,
    parent: Theme | None = None,
    request: HttpRequest | None = None,
) -> Theme:
    """A new candidate theme, at the end of the board — or a subtheme, at the end of its
    parent's."""
    require_coder(member)
    name = _clean_name(name)
    _lock_study(member)
    if parent is not None:
        parent = _check_parent(member, None, parent)
    _check_name_free(member, name)
    siblings = Theme.objects.filter(study_id=member.study_id, parent=parent)
    if parent is None:
        siblings = siblings.filter(holding=False)
    theme = Theme.objects.create(
        study_id=member.study_id,
        name=name,
        parent=parent,
        position=_next_position(siblings),
        created_by=member.user,
    )
    _bump(parent)
    _record(
        member,
        request,
        theme,
        "created",
        name=name,
        **({"parent": str(parent.uuid)} if parent else {}),
    )
    return theme


@transaction.atomic
def theme_edit(
    *,
    member: Membership,
    theme: Theme,
    name: str,
    central_concept: str,
    definition: str,
    boundaries: str,
    revision: int | None = None,
    request: HttpRequest | None = None,
) -> Theme:
    """Save a theme's name, central organising concept, definition (its scope) and boundaries
    (where it ends, what it is not). Saving what is already there changes nothing."""
    require_coder(member)
    name = _clean_name(name)
    _lock_study(member)
    theme = _fresh(member, theme, revision)
    if theme.holding:
        raise ValidationError(
            "The miscellaneous area is not a theme: it keeps codes that fit no theme yet, and "
            "has no definition of its own to edit."
        )
    values = {
        "name": name,
        "central_concept": (central_concept or "").strip(),
        "definition": (definition or "").strip(),
        "boundaries": (boundaries or "").strip(),
    }
    changed = [field for field, value in values.items() if getattr(theme, field) != value]
    if not changed:
        return theme
    if "name" in changed:
        _check_name_free(member, name, theme)
    details = {"fields": changed}
    if "name" in changed:
        details["name"] = {"from": theme.name, "to": name}
    for field in changed:
        setattr(theme, field, values[field])
    _save(theme, changed)
    _record(member, request, theme, "edited", **details)
    return theme


@transaction.atomic
def theme_status(
    *,
    member: Membership,
    theme: Theme,
    status: str,
    reason: str = "",
    revision: int | None = None,
    request: HttpRequest | None = None,
) -> Theme:
    """Move a theme to any other status: candidate, developing, reviewed, final — or discarded,
    which needs a reason. Every status change also saves a version of the theme set."""
    require_coder(member)
    if status not in Status.values:
        raise ValidationError(
            "A theme's status is one of: "
            + ", ".join(label.lower() for label in Status.labels)
            + "."
        )
    reason = (reason or "").strip()
    _lock_study(member)  # first, as version_save will: the same order as every other change
    theme = _fresh(member, theme, revision)
    if theme.holding:
        raise ValidationError(
            "The miscellaneous area has no status: it is where codes wait, not a theme."
        )
    old, new = Status(theme.status), Status(status)
    if old == new:
        raise ValidationError(f"“{theme.name}” is already {new.label.lower()}.")
    if new == Status.DISCARDED and not reason:
        raise ValidationError(
            f"Say why “{theme.name}” is discarded: the reason stays with the theme."
        )
    theme.status = new
    theme.discard_reason = reason if new == Status.DISCARDED else ""
    _save(theme, ["status", "discard_reason"])
    details = {"status": {"from": old.value, "to": new.value}}
    if reason:
        details["reason"] = reason
    _record(member, request, theme, "status", **details)
    version_save(
        member=member, reason=f"“{theme.name}”: {old.label} → {new.label}", request=request
    )
    return theme


@transaction.atomic
def theme_move(
    *,
    member: Membership,
    theme: Theme,
    parent: Theme | None,
    request: HttpRequest | None = None,
) -> Theme:
    """Make a theme a subtheme of `parent`, or (parent None) a theme of its own at the top. It
    goes to the end of its new siblings."""
    require_coder(member)
    _lock_study(member)
    theme = _fresh(member, theme)
    if theme.holding:
        raise ValidationError("The miscellaneous area stays where it is.")
    if parent is not None:
        parent = _check_parent(member, theme, parent)
    if theme.parent_id == (parent.pk if parent else None):
        return theme
    previous = theme.parent
    siblings = Theme.objects.filter(study_id=member.study_id, parent=parent, holding=False)
    theme.parent = parent
    theme.position = _next_position(siblings)
    _save(theme, ["parent", "position"])
    _bump(previous, parent)
    _record(
        member,
        request,
        theme,
        "moved",
        parent={
            "from": str(previous.uuid) if previous else None,
            "to": str(parent.uuid) if parent else None,
        },
    )
    return theme


# Codes in themes --------------------------------------------------------------------------------


def holding_for_drop(member: Membership) -> Theme:
    """The holding area, made now if it does not exist yet — with the study locked first, like
    every change here, so two first drops at once cannot deadlock. Call it inside the
    transaction of the change it is for, so a refused change leaves no area behind."""
    require_coder(member)
    _lock_study(member)
    return holding_area(member)


def _target(member: Membership, theme: Theme) -> Theme:
    theme = _fresh(member, theme)
    if theme.status == Status.DISCARDED:
        raise ValidationError(
            f"“{theme.name}” is discarded: it takes no more codes. Bring it back first, or "
            "choose another theme."
        )
    return theme


def _add(member: Membership, code: Code, theme: Theme, position: int | None) -> ThemeCode | None:
    """Put the code into the theme, at `position` (or at the end): the new link, or None if the
    code was there already."""
    links = ThemeCode.objects.filter(theme=theme)
    if links.filter(code=code).exists():
        return None
    if position is None or position < 0:
        position = _next_position(links)
    else:
        links.filter(position__gte=position).update(position=F("position") + 1)
    try:
        with transaction.atomic():
            return ThemeCode.objects.create(
                theme=theme, code=code, position=position, added_by=member.user
            )
    except IntegrityError:  # themes_code_once_per_theme: placed at the same moment elsewhere
        return None


@transaction.atomic
def code_place(
    *,
    member: Membership,
    code: Code,
    theme: Theme,
    position: int | None = None,
    request: HttpRequest | None = None,
) -> ThemeCode:
    """Put a live code the member can see into a theme (or the holding area). A code may sit in
    several themes; placing it where it already is changes nothing."""
    require_coder(member)
    code = _usable_code(member, code)
    _lock_study(member)
    theme = _target(member, theme)
    link = _add(member, code, theme, position)
    if link is None:
        return ThemeCode.objects.get(theme=theme, code=code)
    _bump(theme)
    _record(member, request, theme, "code placed", code=str(code.uuid))
    return link


@transaction.atomic
def code_remove(
    *,
    member: Membership,
    code: Code,
    theme: Theme,
    request: HttpRequest | None = None,
) -> None:
    """Take a code out of a theme; the code itself, and any other theme it sits in, stay."""
    require_coder(member)
    code = _usable_code(member, code, live=False)
    _lock_study(member)
    theme = _fresh(member, theme)
    removed, _ = ThemeCode.objects.filter(theme=theme, code=code).delete()
    if not removed:
        raise ValidationError(f"“{code.label}” is not in “{theme.name}”.")
    _bump(theme)
    _record(member, request, theme, "code removed", code=str(code.uuid))


@transaction.atomic
def code_move(
    *,
    member: Membership,
    code: Code,
    source: Theme,
    target: Theme,
    request: HttpRequest | None = None,
) -> ThemeCode:
    """Take a code out of one theme and put it into another, at once (a drag from theme to
    theme). If it already sits in the target, it just leaves the source."""
    require_coder(member)
    code = _usable_code(member, code, live=False)
    if source.pk == target.pk:
        raise ValidationError("Choose another theme to move the code to.")
    _lock_study(member)
    source, target = _fresh(member, source), _fresh(member, target)
    if target.status == Status.DISCARDED:
        raise ValidationError(
            f"“{target.name}” is discarded: it takes no more codes. Bring it back first, or "
            "choose another theme."
        )
    if not ThemeCode.objects.filter(theme=source, code=code).exists():
        raise ValidationError(f"“{code.label}” is not in “{source.name}”.")
    if (
        code.retired_at is not None
        and not ThemeCode.objects.filter(theme=target, code=code).exists()
    ):
        raise ValidationError(
            f"“{code.label}” is retired: it no longer goes into themes (it can still be taken "
            "out of them)."
        )
    ThemeCode.objects.filter(theme=source, code=code).delete()
    _add(member, code, target, None)
    _bump(source, target)
    _record(
        member,
        request,
        target,
        "code moved",
        code=str(code.uuid),
        source=str(source.uuid),
    )
    return ThemeCode.objects.get(theme=target, code=code)
