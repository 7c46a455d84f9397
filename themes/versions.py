"""Reading the versions of the theme set (saving one is `themes.services.version_save`).

A version records the whole set, every coder's codes included; a member sees it through the
blind rule: codes that `Code.objects.visible_to(member)` hides right now are left out of every
version, and so out of every comparison, as if they were not there."""

from dataclasses import dataclass

from coding.models import Code
from studies.models import Membership
from themes.compare import Comparison, compare
from themes.models import ThemeSetVersion
from themes.services import snapshot

CURRENT = "current"  # in a comparison: the theme set as it is now


def versions_for(member: Membership) -> list[ThemeSetVersion]:
    """The study's versions, newest first, without their snapshots (a list does not need them)."""
    return list(
        ThemeSetVersion.objects.filter(study_id=member.study_id)
        .select_related("created_by")
        .defer("snapshot")
    )


def version_get(member: Membership, **lookup) -> ThemeSetVersion:
    """One of the study's versions (by `uuid=` or `number=`); DoesNotExist for any other."""
    return ThemeSetVersion.objects.select_related("created_by").get(
        study_id=member.study_id, **lookup
    )


def visible_codes(member: Membership) -> set[str]:
    """The uuids of the codes the member may see now."""
    return {str(uuid) for uuid in Code.objects.visible_to(member).values_list("uuid", flat=True)}


def as_seen_by(data: dict, visible: set[str]) -> dict:
    """A snapshot without the codes hidden from the member (a new dict; the stored one is
    never touched)."""
    return {
        **data,
        "themes": [
            {**theme, "codes": [c for c in theme.get("codes") or () if str(c["uuid"]) in visible]}
            for theme in data.get("themes") or ()
        ],
    }


@dataclass(frozen=True)
class ThemeView:
    """A theme of a snapshot as a page shows it: `depth` 0 at the top, 1 for a subtheme…"""

    uuid: str
    name: str
    status: str
    holding: bool
    central_concept: str
    definition: str
    boundaries: str
    discard_reason: str
    codes: tuple[dict, ...]
    depth: int
    parent: str  # the parent's name, or ""


def outline(data: dict) -> list[ThemeView]:
    """The themes of a snapshot in reading order: each top-level theme followed by its
    subthemes (a subtheme whose parent is missing stands at the top; the holding area last)."""
    themes = list(data.get("themes") or ())
    names = {str(theme["uuid"]): theme.get("name") or "" for theme in themes}
    children: dict[str | None, list[dict]] = {}
    for theme in themes:
        parent = theme.get("parent")
        children.setdefault(parent if parent in names else None, []).append(theme)
    found: list[ThemeView] = []
    seen: set[str] = set()

    def visit(theme: dict, depth: int) -> None:
        uuid = str(theme["uuid"])
        seen.add(uuid)
        found.append(
            ThemeView(
                uuid=uuid,
                name=theme.get("name") or "",
                status=theme.get("status") or "",
                holding=bool(theme.get("holding")),
                central_concept=theme.get("central_concept") or "",
                definition=theme.get("definition") or "",
                boundaries=theme.get("boundaries") or "",
                discard_reason=theme.get("discard_reason") or "",
                codes=tuple(theme.get("codes") or ()),
                depth=depth,
                parent=names.get(theme.get("parent"), "") if depth else "",
            )
        )
        for child in children.get(uuid, []):
            if str(child["uuid"]) not in seen:
                visit(child, depth + 1)

    top = sorted(children.get(None, []), key=lambda theme: bool(theme.get("holding")))
    for theme in top + themes:  # every theme once, even in a (forbidden) cycle
        if str(theme["uuid"]) not in seen:
            visit(theme, 0)
    return found


def snapshot_of(member: Membership, which: str | int) -> dict:
    """The stored snapshot of a version (by number), or the theme set now (CURRENT), whole."""
    if which == CURRENT:
        return snapshot(member.study)
    return version_get(member, number=which).snapshot


def version_compare(
    member: Membership, old: dict, new: dict, *, visible: set[str] | None = None
) -> Comparison:
    """What changed from one snapshot to the other, as the member may see it."""
    visible = visible_codes(member) if visible is None else visible
    return compare(as_seen_by(old, visible), as_seen_by(new, visible))
