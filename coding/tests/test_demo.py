import pytest

from coding.models import Coding, CodingRound, JournalEntry
from studies.demo import demo_build
from studies.models import Membership

pytestmark = pytest.mark.django_db


def test_the_demo_has_two_coders_a_closed_round_and_an_open_one(settings, tasks_in_process):
    settings.DEBUG = True
    study, _logins = demo_build()
    members = {
        m.user.username: m for m in Membership.objects.filter(study=study).select_related("user")
    }
    open_round = CodingRound.objects.get(study=study, closed_at__isnull=True)
    assert CodingRound.objects.filter(study=study, closed_at__isnull=False).count() == 1
    blind = Coding.objects.visible_to(members["coder_a"]).filter(
        version__transcript__in=open_round.transcripts.all()
    )
    assert blind.exists() and set(blind.values_list("coder__username", flat=True)) == {"coder_a"}
    everything = Coding.objects.visible_to(members["lead"])
    assert set(everything.values_list("coder__username", flat=True)) == {"coder_a", "coder_b"}
    assert (
        not JournalEntry.objects.visible_to(members["coder_b"])
        .filter(author__username="coder_a")
        .exists()
    )
    demo_build()  # again: nothing new
    assert Coding.objects.count() == everything.count()


def test_the_demo_has_a_finished_reconciliation_of_the_closed_round(settings, tasks_in_process):
    from coding.models import CodeEvent, ConsensusCoding, Decision, Outcome, Reconciliation

    settings.DEBUG = True
    study, _logins = demo_build()
    reconciliation = Reconciliation.objects.get(study=study)
    assert reconciliation.finished_at is not None
    assert reconciliation.coding_round.closed_at is not None
    decisions = Decision.objects.filter(reconciliation=reconciliation)
    assert set(decisions.values_list("outcome", flat=True)) == set(Outcome.values)
    assert all(decision.meeting is not None for decision in decisions)
    refinements = CodeEvent.objects.filter(decision__reconciliation=reconciliation)
    assert set(refinements.values_list("kind", flat=True)) >= {"merged", "redefined"}
    assert ConsensusCoding.objects.filter(reconciliation=reconciliation).exists()
    demo_build()  # again: nothing new
    assert Decision.objects.count() == decisions.count()
