"""What themes hold about a participant, for the withdrawal preview, and the mark left on every
theme that loses extracts when a participant's data is erased."""

from collections import Counter

from django.db.models import QuerySet
from django.utils import timezone

from coding.models import Coding, CodingRound
from studies.models import Participant
from themes.models import CellSummary, Theme
from transcripts.models import TranscriptState


def _extracts(participant: Participant) -> QuerySet:
    return Coding.objects.filter(
        version__transcript__participant=participant, code__theme_codes__isnull=False
    ).distinct()


def derived_from(participant: Participant) -> list[tuple[str, QuerySet]]:
    return [
        ("Extracts in themes", _extracts(participant)),
        ("Framework-matrix summaries", CellSummary.objects.filter(participant=participant)),
    ]


def mark_themes(participant: Participant) -> None:
    """Before the extracts go: say on each theme that loses some how many, and when. The note is
    read by everyone, so only extracts everyone may read are counted: codings of locked
    transcripts in no open round (a blind coder's layer shows nowhere, not even as a number)."""
    open_rounds = CodingRound.objects.filter(closed_at__isnull=True)
    counted = (
        Coding.objects.filter(
            version__transcript__participant=participant,
            version__transcript__state=TranscriptState.LOCKED,
        )
        .exclude(version__transcript__coding_rounds__in=open_rounds)
        .values_list("code__theme_codes__theme", flat=True)
    )
    lost = Counter(theme for theme in counted if theme is not None)
    day = timezone.localdate()
    today = f"{day.day} {day:%b %Y}"
    for theme in Theme.objects.filter(pk__in=lost):
        n = lost[theme.pk]
        note = (
            f"{today}: {participant.pseudonym} withdrew; {n} extract{'s' if n != 1 else ''} "
            "left this theme. Review its extracts and definition."
        )
        theme.withdrawal_note = f"{theme.withdrawal_note}\n{note}".strip()
        theme.revision += 1  # a form opened before the withdrawal is stale now
        theme.save(update_fields=["withdrawal_note", "revision"])
