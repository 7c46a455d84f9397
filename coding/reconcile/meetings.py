"""Team meetings and the decision log: when the team met, who came, the minutes, and which
reconciliation decisions were taken there.

Coders, leads and custodians record meetings; a viewer reads them. Attendees are members of the
study, and a meeting takes only decisions of the study's own reconciliations that are not
already recorded in another meeting. Each workflow runs in one transaction and leaves an audit
event that names the meeting, its date, attendees and decisions — never the minutes' words. Bad
input is refused with a ValidationError keyed by the form field at fault, and nothing changes.

Decisions are read through `decisions_visible_to`: a decision exists only once a round is
unblinded, but should a reconciliation be taken on a transcript of a round that is still open,
its decisions stay hidden from whoever that round blinds (as its codings are).
"""

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import dateformat, timezone

from coding.models import Code, Coding, Decision, Meeting, blinding
from studies.audit import Action, audit
from studies.models import Membership, Role

TITLE_MAX = 200
MINUTES_MAX_CHARS = 50_000


class Stale(ValidationError):
    """The meeting changed since the form was made from it: the change is refused, not merged."""


# Reading ------------------------------------------------------------------------------------


def decisions_visible_to(member: Membership) -> QuerySet:
    """The study's decisions this member may see: all of them, except those of a reconciliation
    whose coding round is still open, on a transcript that round hides from the member."""
    transcripts, _others, _see_none = blinding(member)
    return Decision.objects.filter(reconciliation__study_id=member.study_id).exclude(
        Q(reconciliation__coding_round__closed_at__isnull=True)
        & Q(reconciliation__coding_round__isnull=False)
        & Q(version__transcript__in=transcripts)
    )


def decision_label(decision: Decision) -> str:
    """How a decision is named in a list of choices: its outcome, kind, transcript, passage
    offsets (joined by an en dash) and date. Needs the decision's version and transcript."""
    when = dateformat.format(timezone.localtime(decision.decided_at), "j M Y")
    transcript = decision.version.transcript.title
    return (
        f"{decision.get_outcome_display()} — {decision.kind}, {transcript} "
        f"[{decision.start}–{decision.end}], {when}"
    )


def _uuids(values: Iterable) -> list[uuid.UUID]:
    found = []
    for value in values:
        try:
            found.append(uuid.UUID(str(value)))
        except ValueError:
            continue  # a malformed entry names no coding
    return found


def code_labels(member: Membership, decisions: Sequence[Decision]) -> None:
    """Set `labels_a` and `labels_b` on each decision: the labels of the codings it names that
    still exist and that the member may see (the blind rule), in one query for all of them."""
    wanted = _uuids(
        value for decision in decisions for value in [*decision.codings_a, *decision.codings_b]
    )
    labels = dict(
        Coding.objects.visible_to(member)
        .filter(uuid__in=wanted, code__in=Code.objects.visible_to(member))
        .values_list("uuid", "code__label")
    )
    for decision in decisions:
        for side in ("a", "b"):
            named = _uuids(getattr(decision, f"codings_{side}"))
            found = dict.fromkeys(labels[u] for u in named if u in labels)
            setattr(decision, f"labels_{side}", list(found))


# Writing ------------------------------------------------------------------------------------


def meeting_fingerprint(meeting: Meeting) -> str:
    """A digest of the meeting as recorded: a form carries it, so that a save made from a page
    opened before someone else's change is refused rather than overwriting that change."""
    parts = [
        meeting.held_on.isoformat(),
        meeting.title,
        meeting.minutes,
        ",".join(str(pk) for pk in sorted(meeting.attendees.values_list("pk", flat=True))),
        ",".join(str(pk) for pk in sorted(meeting.decisions.values_list("pk", flat=True))),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _require_recorder(member: Membership) -> None:
    if not member.has_role(Role.CODER):
        raise ValidationError(
            "Meetings are recorded by coders, leads and custodians; a viewer reads."
        )


def _clean(
    member: Membership,
    meeting: Meeting | None,
    *,
    held_on,
    title: str,
    attendees: Iterable[AbstractBaseUser],
    minutes: str,
    decisions: Iterable[Decision],
) -> tuple[date, str, list, str, list[Decision]]:
    errors: dict[str, list[str]] = {}
    if not isinstance(held_on, date):
        errors.setdefault("held_on", []).append("Give the date the meeting was held.")
    elif held_on > timezone.localdate():
        errors.setdefault("held_on", []).append(
            f"The date {held_on:%d %b %Y} is after today: record a meeting once it is held."
        )

    title = " ".join((title or "").split())
    if not title:
        errors.setdefault("title", []).append("A meeting needs a title.")
    elif len(title) > TITLE_MAX:
        errors.setdefault("title", []).append(
            f"A meeting's title has at most {TITLE_MAX} characters; this one has {len(title)}."
        )

    minutes = (minutes or "").strip()
    if len(minutes) > MINUTES_MAX_CHARS:
        errors.setdefault("minutes", []).append(
            f"The minutes have at most {MINUTES_MAX_CHARS:,} characters; these have "
            f"{len(minutes):,}."
        )

    attendees = list(dict.fromkeys(attendees))
    if not attendees:
        errors.setdefault("attendees", []).append("Choose who came to the meeting.")
    members = set(
        Membership.objects.active()
        .filter(study_id=member.study_id, user__in=[user.pk for user in attendees])
        .values_list("user_id", flat=True)
    )
    for user in attendees:
        if user.pk not in members:
            errors.setdefault("attendees", []).append(
                f"{user.get_username()} is not a member of this study."
            )

    decisions = list(dict.fromkeys(decisions))
    visible = {
        d.pk: d
        for d in decisions_visible_to(member)
        .filter(pk__in=[d.pk for d in decisions])
        .select_related("meeting")
    }
    for decision in decisions:
        fresh = visible.get(decision.pk)
        if fresh is None:
            errors.setdefault("decisions", []).append(
                "A chosen decision is not one of this study's reconciliations."
            )
        elif fresh.meeting_id is not None and (meeting is None or fresh.meeting_id != meeting.pk):
            errors.setdefault("decisions", []).append(
                f"A chosen decision ({fresh.kind} [{fresh.start}–{fresh.end}]) was taken in "
                f"another meeting, “{fresh.meeting}”."
            )
    if errors:
        raise ValidationError(errors)
    return held_on, title, attendees, minutes, [visible[d.pk] for d in decisions]


def _audit_details(meeting: Meeting, attendees, decisions, change: str) -> dict:
    return {
        "meeting": str(meeting.uuid),
        "change": change,
        "held_on": meeting.held_on.isoformat(),
        "title": meeting.title,
        "attendees": sorted(user.get_username() for user in attendees),
        "decisions": sorted(str(decision.uuid) for decision in decisions),
    }


@transaction.atomic
def meeting_save(
    *,
    member: Membership,
    meeting: Meeting | None = None,
    held_on: date,
    title: str,
    attendees: Iterable[AbstractBaseUser],
    minutes: str,
    decisions: Iterable[Decision] = (),
    revision: str | None = None,
    request: HttpRequest | None = None,
) -> Meeting:
    """Record a new meeting (`meeting` None) or change one: its date, attendees, minutes and the
    decisions taken in it. Decisions dropped from an edited meeting are unlinked (kept, with no
    meeting); decisions linked to it that the member cannot see now stay linked. Given the
    `revision` (fingerprint) a form was made from, a meeting changed since is refused (Stale)."""
    _require_recorder(member)
    if meeting is not None:
        fresh = Meeting.objects.select_for_update().filter(pk=meeting.pk).first()
        if fresh is None or fresh.study_id != member.study_id:
            raise ValidationError("This meeting is not one of this study's.")
        meeting = fresh
        if revision is not None and revision != meeting_fingerprint(meeting):
            raise Stale(
                f"“{meeting.title}” was changed by someone else after you opened this page, so "
                "your change was not saved. The form now shows the meeting as it is: make your "
                "change again if it still applies."
            )
    held_on, title, attendees, minutes, decisions = _clean(
        member,
        meeting,
        held_on=held_on,
        title=title,
        attendees=attendees,
        minutes=minutes,
        decisions=decisions,
    )
    created = meeting is None
    if created:
        meeting = Meeting(study_id=member.study_id, created_by=member.user)
    meeting.held_on, meeting.title, meeting.minutes = held_on, title, minutes
    meeting.save()
    meeting.attendees.set(attendees)

    chosen = [decision.pk for decision in decisions]
    hidden = Decision.objects.filter(meeting=meeting).exclude(
        pk__in=decisions_visible_to(member).values("pk")
    )
    Decision.objects.filter(meeting=meeting).exclude(pk__in=chosen).exclude(
        pk__in=hidden.values("pk")
    ).update(meeting=None)
    Decision.objects.filter(pk__in=chosen).update(meeting=meeting)

    audit(
        Action.MEETING,
        request=request,
        actor=member.user,
        study=member.study,
        target=meeting,
        details=_audit_details(meeting, attendees, decisions, "recorded" if created else "changed"),
    )
    return meeting


@transaction.atomic
def meeting_delete(
    *, member: Membership, meeting: Meeting, request: HttpRequest | None = None
) -> None:
    """Remove a meeting's record. Its decisions stay in the log, taken in no meeting."""
    _require_recorder(member)
    fresh = Meeting.objects.select_for_update().filter(pk=meeting.pk).first()
    if fresh is None or fresh.study_id != member.study_id:
        raise ValidationError("This meeting is not one of this study's.")
    attendees = list(fresh.attendees.all())
    decisions = list(fresh.decisions.all())
    details = _audit_details(fresh, attendees, decisions, "deleted")
    Decision.objects.filter(meeting=fresh).update(meeting=None)
    audit(
        Action.MEETING,
        request=request,
        actor=member.user,
        study=member.study,
        target=fresh,
        details=details,
    )
    fresh.delete()
