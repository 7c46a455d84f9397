"""Optimistic concurrency for forms: a form carries the revision of the object it was made from,
and a change made meanwhile by someone else refuses it (the view answers 409)."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest


def posted_revision(request: HttpRequest) -> int | None:
    """The revision the posted form was made from (None from a client that sends none)."""
    sent = request.POST.get("revision", "").strip()
    if not sent:
        return None
    if not sent.isdigit():
        raise ValidationError(
            "This form is damaged (its revision is not a number): reload the page."
        )
    return int(sent)
