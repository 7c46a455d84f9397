from django.utils.functional import SimpleLazyObject

from studies.models import Membership


def my_studies(request):
    """The studies the user belongs to, for the study switcher; queried only when shown."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {
        "my_studies": SimpleLazyObject(
            lambda: list(
                Membership.objects.active()
                .filter(user=request.user)
                .select_related("study")
                .order_by("study__title")
            )
        )
    }
