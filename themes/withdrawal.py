"""What themes hold about a participant, for the withdrawal preview, and the mark left on every
theme that loses extracts when a participant's data is erased."""

from django.db.models import Count, QuerySet
from django.utils import timezone

from coding.models import Coding
from studies.models import Participant
from themes.models import CellSummary, Theme


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
    """Before the extracts go: say on each theme that loses some how many, and when."""
    losing = (
        Theme.objects.filter(codes__codings__version__transcript__participant=participant)
        .annotate(lost=Count("codes__codings", distinct=True))
        .values_list("pk", "lost")
    )
    day = timezone.localdate()
    today = f"{day.day} {day:%b %Y}"
    for pk, lost in losing:
        theme = Theme.objects.get(pk=pk)
        note = (
            f"{today}: {participant.pseudonym} withdrew; {lost} extract{'s' if lost != 1 else ''} "
            "left this theme. Review its extracts and definition."
        )
        theme.withdrawal_note = f"{theme.withdrawal_note}\n{note}".strip()
        theme.save(update_fields=["withdrawal_note"])
