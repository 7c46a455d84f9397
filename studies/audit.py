"""The one way to write the audit log."""

from django.db import models
from django.http import HttpRequest

from studies.models import AuditEvent, Study

Action = AuditEvent.Action


def audit(
    action: AuditEvent.Action,
    *,
    request: HttpRequest | None = None,
    actor=None,
    study: Study | None = None,
    target: models.Model | None = None,
    details: dict | None = None,
) -> AuditEvent:
    """Record that someone did something. The actor and address come from the request when
    there is one (a command passes the actor instead)."""
    if request is not None and actor is None and request.user.is_authenticated:
        actor = request.user
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        study=study,
        target_type=target._meta.label_lower if target is not None else "",
        target=str(target)[:200] if target is not None else "",
        address=request.META.get("REMOTE_ADDR") if request is not None else None,
        details=details or {},
    )
