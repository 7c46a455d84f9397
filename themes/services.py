"""What every part of the themes app shares: reading themes as a member may see them (codes
through the blind rule), the holding area, and versions of the theme set — an immutable snapshot,
saved by hand and on every status change."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Prefetch
from django.http import HttpRequest

from coding.models import Code
from studies.audit import Action, audit
from studies.models import Membership, Role, Study
from themes.models import Theme, ThemeCode, ThemeSetVersion

HOLDING = "Miscellaneous"


def require_coder(member: Membership) -> None:
    if not member.has_role(Role.CODER):
        raise ValidationError(
            "Building themes is for coders, leads and custodians; a viewer reads."
        )


def themes_for(member: Membership) -> list[Theme]:
    """The study's themes (subthemes and the holding area included), each with `visible_codes`:
    its codes that the member may see, in their order."""
    visible = Code.objects.visible_to(member)
    return list(
        Theme.objects.filter(study_id=member.study_id).prefetch_related(
            Prefetch(
                "theme_codes",
                queryset=ThemeCode.objects.filter(code__in=visible).select_related("code"),
                to_attr="visible_codes",
            )
        )
    )


def holding_area(member: Membership) -> Theme:
    """The study's "miscellaneous" area for codes that fit no theme yet, made when first needed."""
    theme = Theme.objects.filter(study_id=member.study_id, holding=True).first()
    if theme is not None:
        return theme
    try:
        with transaction.atomic():
            return Theme.objects.create(
                study_id=member.study_id, name=HOLDING, holding=True, created_by=member.user,
                definition="Codes that fit no theme yet: nothing is thrown away.",
            )  # fmt: skip
    except IntegrityError:  # made at the same moment by someone else
        return Theme.objects.get(study_id=member.study_id, holding=True)


def snapshot(study: Study) -> dict:
    """The theme set as data: every theme with its fields and codes (uuids and labels). Read past
    the blind rule, since a version records the whole set; pages show it through it."""
    themes = Theme.objects.filter(study=study).prefetch_related(
        Prefetch("theme_codes", queryset=ThemeCode.objects.select_related("code"))
    )
    parents = {theme.pk: str(theme.uuid) for theme in themes}
    return {
        "themes": [
            {
                "uuid": str(theme.uuid),
                "name": theme.name,
                "status": theme.status,
                "parent": parents.get(theme.parent_id),
                "holding": theme.holding,
                "central_concept": theme.central_concept,
                "definition": theme.definition,
                "boundaries": theme.boundaries,
                "discard_reason": theme.discard_reason,
                "codes": [
                    {"uuid": str(link.code.uuid), "label": link.code.label}
                    for link in theme.theme_codes.all()
                ],
            }
            for theme in themes
        ]
    }


@transaction.atomic
def version_save(
    *, member: Membership, reason: str, request: HttpRequest | None = None
) -> ThemeSetVersion:
    """An immutable snapshot of the theme set, numbered in the study."""
    require_coder(member)
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError("Say what this version marks (e.g. “after the second review”).")
    if len(reason) > 300:
        raise ValidationError("A version's description has at most 300 characters.")
    Study.objects.select_for_update().filter(pk=member.study_id).first()
    last = ThemeSetVersion.objects.filter(study_id=member.study_id).aggregate(n=Max("number"))
    version = ThemeSetVersion.objects.create(
        study_id=member.study_id,
        number=(last["n"] or 0) + 1,
        reason=reason,
        snapshot=snapshot(member.study),
        created_by=member.user,
    )
    audit(
        Action.THEME_VERSION,
        request=request,
        actor=member.user,
        study=member.study,
        target=version,
        details={"number": version.number, "reason": reason},
    )
    return version
