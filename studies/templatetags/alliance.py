from datetime import timedelta

from django import template
from django.utils.translation import ngettext

register = template.Library()


@register.filter
def minutes(duration: timedelta | None) -> str:
    """A duration in whole minutes, for people: "15 minutes"."""
    if duration is None:
        return ""
    count = max(1, round(duration.total_seconds() / 60))
    return ngettext("%(count)d minute", "%(count)d minutes", count) % {"count": count}
