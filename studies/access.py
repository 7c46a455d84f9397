"""The access gate: the first call of every study-scoped view."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from studies.models import Membership, Role, Study


def study_access(
    request: HttpRequest, slug: str, role: Role = Role.VIEWER, *, hidden: bool = False
) -> tuple[Study, Membership]:
    """The study and the requester's membership of it.

    Someone who is not an active member must not learn that the study exists: 404. A member
    whose role ranks below `role` gets 403, or 404 where even the page's existence is not theirs
    to know (`hidden`: the identity vault). The membership is also left on the request as
    `request.membership` for the templates (and for the test that proves every view calls this).
    """
    if not request.user.is_authenticated:
        raise Http404
    membership = (
        Membership.objects.active()
        .select_related("study")
        .filter(study__slug=slug, user=request.user)
        .first()
    )
    if membership is None:
        raise Http404
    request.membership = membership
    if not membership.has_role(role):
        if hidden:
            raise Http404
        raise PermissionDenied(f"This needs the {role.label.lower()} role in this study.")
    return membership.study, membership
