"""The demo's reconciliation: coder_a's and coder_b's layers of the closed round's interviews,
their codes aligned where they mean the same, walked through in one meeting with a decision of
every outcome, a few code refinements made from it (each linked to its decision), and the consensus
layer. Finished, so the demo shows where the next step starts."""

from datetime import timedelta

from django.utils import timezone

from coding import codebook
from coding.models import Code, CodeAlignment, CodingRound, Decision, Meeting, Outcome
from coding.reconcile import services
from coding.reconcile.differences import Kind
from studies.models import Membership, Study

# coder_a's code ≈ coder_b's code: the same idea under two names.
ALIGNED = [("trust takes time", "earning trust"), ("holding the frame", "boundaries as kindness")]
RATIONALES = {
    Outcome.AGREED: "Same idea, different words: we settled on one code for it.",
    Outcome.KEPT_BOTH: "Both readings hold here; the passage carries the two meanings at once.",
    Outcome.DEFERRED: "Needs the other interviews before we decide; back to it next meeting.",
    Outcome.UNRESOLVED: "We read this differently and could not agree; noted in the journal.",
}


def demo_reconciliation(study: Study) -> None:
    if Decision.objects.filter(reconciliation__study=study).exists():
        return
    members = {
        m.user.username: m
        for m in Membership.objects.filter(study=study).select_related("user", "study")
    }
    closed = CodingRound.objects.filter(study=study, closed_at__isnull=False).first()
    if closed is None or not {"lead", "coder_a", "coder_b"} <= members.keys():
        return
    lead, coder_a, coder_b = members["lead"], members["coder_a"], members["coder_b"]
    codes = {code.label: code for code in Code.objects.filter(study=study)}
    for a, b in ALIGNED:
        if a in codes and b in codes:
            low, high = sorted((codes[a], codes[b]), key=lambda code: code.pk)
            CodeAlignment.objects.get_or_create(
                study=study, code_a=low, code_b=high, defaults={"confirmed_by": lead.user}
            )
    reconciliation = services.reconciliation_start(
        member=lead,
        title="Round 1: reconciling coder_a and coder_b",
        coder_a=coder_a.user,
        coder_b=coder_b.user,
        transcripts=closed.transcripts.order_by("imported_at"),
        coding_round=closed,
    )
    meeting = Meeting.objects.create(
        study=study,
        held_on=(timezone.now() - timedelta(days=3)).date(),
        title="Reconciliation meeting, round 1",
        minutes="Walked through the first four interviews. Most differences were about where a "
        "passage ends, not what it means. Agreed to keep both readings where the text allows it.",
        created_by=lead.user,
    )
    meeting.attendees.set([lead.user, coder_a.user, coder_b.user])
    outcomes = list(Outcome)
    decided = 0
    for transcript in reconciliation.transcripts.order_by("imported_at"):
        _version, listed = services.difference_list(lead, reconciliation, transcript)
        for entry in listed:
            if entry.item.kind == Kind.AGREEMENT:
                continue
            outcome = outcomes[decided % len(outcomes)]
            decision = services.decision_record(
                member=lead,  # the coders still code blind together in the open round 2
                reconciliation=reconciliation,
                transcript=transcript,
                item=entry.key,
                outcome=outcome,
                rationale=RATIONALES[outcome],
                meeting=meeting,
            )
            decided += 1
            if outcome == Outcome.AGREED and entry.codings_a:
                services.consensus_add(
                    member=lead,
                    reconciliation=reconciliation,
                    transcript=transcript,
                    code=entry.codings_a[0].code,
                    start=entry.item.start,
                    end=entry.item.end,
                    decision=decision,
                )
    _refine(study, lead, reconciliation)
    services.reconciliation_finish(member=lead, reconciliation=reconciliation)


def _refine(study: Study, lead: Membership, reconciliation) -> None:
    """Code refinements the meeting agreed on, each linked to an agreed decision."""
    agreed = list(reconciliation.decisions.filter(outcome=Outcome.AGREED).order_by("pk")[:2])
    codes = {code.label: code for code in Code.objects.filter(study=study, retired_at=None)}
    if len(agreed) < 2:
        return
    if "naming the strain" in codes and "repair through naming" in codes:
        codebook.codes_merge(
            member=lead,
            code=codes["repair through naming"],
            into=codes["naming the strain"],
            reason="One idea: naming a strain is how it gets repaired.",
            decision=agreed[0],
        )
    if "carrying the work home" in codes:
        codebook.code_redefine(
            member=lead,
            code=codes["carrying the work home"],
            description="What the therapist takes home from the day, and how they put it down "
            "again. Not: the client's homework between sessions.",
            kind=codes["carrying the work home"].kind,
            colour=codes["carrying the work home"].colour,
            parent=None,
            reason="Boundary with homework talk agreed in the meeting.",
            decision=agreed[1],
        )
