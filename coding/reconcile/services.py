"""Reconciliation's workflows: starting one for two coders' layers of some transcripts, listing
the differences of a transcript (the pure `differences` module on the layers as the member may
see them, codes aligned by `code_keys`), recording a decision on an item, and the consensus layer.
Each runs in one transaction, refuses bad input with a ValidationError that says why, and leaves
an audit event. Neither coder's own codings are ever changed here."""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from coding.models import (
    Code,
    Coding,
    CodingRound,
    ConsensusCoding,
    Decision,
    Meeting,
    Outcome,
    Reconciliation,
)
from coding.reconcile.alignment_keys import code_keys, key_of
from coding.reconcile.differences import Item, Segment, differences
from studies.audit import Action, audit
from studies.models import Membership, Role
from transcripts.models import Transcript, TranscriptVersion

RATIONALE_MIN = 3


def _require_coder(member: Membership) -> None:
    if not member.has_role(Role.CODER):
        raise ValidationError("Reconciling is for coders, leads and custodians; a viewer reads.")


def _hidden(member: Membership, coders: list[int], transcripts) -> bool:
    layers = Coding.objects.filter(version__transcript__in=transcripts, coder__in=coders)
    return layers.exclude(pk__in=Coding.objects.visible_to(member).values("pk")).exists()


def hidden_from(member: Membership, reconciliation: Reconciliation) -> bool:
    """Whether the blind rule hides some of the two layers from this member (a coder blind with
    one of the two coders in an open round elsewhere). The one look past the rule: it answers yes
    or no and shows nothing; the member then cannot take part until the round is unblinded."""
    return _hidden(
        member,
        [reconciliation.coder_a_id, reconciliation.coder_b_id],
        reconciliation.transcripts.all(),
    )


BLIND = (
    "Some of these codings are hidden from you while you code blind in an open round: "
    "a lead can reconcile them now, or you can once the round is unblinded."
)


@transaction.atomic
def reconciliation_start(
    *,
    member: Membership,
    title: str,
    coder_a: AbstractBaseUser,
    coder_b: AbstractBaseUser,
    transcripts: Iterable[Transcript],
    coding_round: CodingRound | None = None,
    request: HttpRequest | None = None,
) -> Reconciliation:
    """A reconciliation of two coders' layers of locked transcripts in no open round."""
    _require_coder(member)
    title = " ".join(title.split())
    transcripts = list(dict.fromkeys(transcripts))
    errors = []
    if not title:
        errors.append("A reconciliation needs a title.")
    elif len(title) > 200:
        errors.append("A reconciliation's title has at most 200 characters.")
    if coder_a is None or coder_b is None:
        errors.append("Choose the two coders whose layers are compared.")
    elif coder_a.pk == coder_b.pk:
        errors.append("Choose two different coders.")
    else:
        members = set(
            Membership.objects.active()
            .filter(study_id=member.study_id, user__in=[coder_a.pk, coder_b.pk])
            .values_list("user_id", flat=True)
        )
        for coder in (coder_a, coder_b):
            if coder.pk not in members:
                errors.append(f"{coder.get_username()} is not a member of this study.")
    if not transcripts:
        errors.append("Choose at least one transcript.")
    for transcript in transcripts:
        if transcript.study_id != member.study_id:
            errors.append(f"“{transcript.title}” belongs to another study.")
        elif not transcript.is_codable:
            errors.append(f"“{transcript.title}” is not locked: it has no codings to compare.")
    busy = (
        CodingRound.objects.filter(
            study_id=member.study_id,
            closed_at__isnull=True,
            transcripts__in=[t.pk for t in transcripts],
        )
        .values_list("transcripts__title", "title")
        .order_by("transcripts__title")
    )
    for transcript_title, round_title in busy:
        errors.append(
            f"“{transcript_title}” is in the open round “{round_title}”: its layers are blind "
            "until the lead unblinds the round."
        )
    if coding_round is not None and coding_round.study_id != member.study_id:
        errors.append("That coding round belongs to another study.")
    if errors:
        raise ValidationError(errors)
    if _hidden(member, [coder_a.pk, coder_b.pk], [t.pk for t in transcripts]):
        raise ValidationError(BLIND)
    reconciliation = Reconciliation.objects.create(
        study_id=member.study_id,
        title=title,
        coder_a=coder_a,
        coder_b=coder_b,
        coding_round=coding_round,
        started_by=member.user,
    )
    reconciliation.transcripts.set(transcripts)
    audit(
        Action.RECONCILIATION,
        request=request,
        actor=member.user,
        study=member.study,
        target=reconciliation,
        details={
            "started": True,
            "coders": [coder_a.get_username(), coder_b.get_username()],
            "transcripts": len(transcripts),
        },
    )
    return reconciliation


@dataclass(frozen=True)
class Listed:
    """One item of a transcript's difference list, with its key, its codings and any decision."""

    key: str
    item: Item
    codings_a: tuple[Coding, ...]
    codings_b: tuple[Coding, ...]
    decision: Decision | None


def item_key(item: Item) -> str:
    """A stable name for an item: its kind and the codings on each side."""
    sides = "|".join(",".join(sorted(str(s.id) for s in side)) for side in (item.a, item.b))
    return hashlib.sha256(f"{item.kind}|{sides}".encode()).hexdigest()[:32]


def current_version(transcript: Transcript) -> TranscriptVersion:
    return transcript.versions.order_by("-number").first()


def difference_list(
    member: Membership, reconciliation: Reconciliation, transcript: Transcript
) -> tuple[TranscriptVersion, list[Listed]]:
    """The differences (and agreements) between the two layers of a transcript's current
    version, as the member may see them, in the pure module's order."""
    version = current_version(transcript)
    codings = list(
        Coding.objects.visible_to(member)
        .filter(
            version=version,
            coder__in=[reconciliation.coder_a_id, reconciliation.coder_b_id],
        )
        .select_related("code")
    )
    by_uuid = {str(coding.uuid): coding for coding in codings}
    keys = code_keys(reconciliation.study)

    def segments(coder_id: int) -> list[Segment]:
        return [
            Segment(str(c.uuid), key_of(keys, c.code_id), c.start, c.end)
            for c in codings
            if c.coder_id == coder_id
        ]

    items = differences(segments(reconciliation.coder_a_id), segments(reconciliation.coder_b_id))
    decisions = {
        decision.item: decision
        for decision in Decision.objects.filter(
            reconciliation=reconciliation, version=version
        ).select_related("decided_by", "meeting")
    }
    listed = []
    for item in items:
        key = item_key(item)
        listed.append(
            Listed(
                key=key,
                item=item,
                codings_a=tuple(by_uuid[str(s.id)] for s in item.a),
                codings_b=tuple(by_uuid[str(s.id)] for s in item.b),
                decision=decisions.get(key),
            )
        )
    return version, listed


@transaction.atomic
def decision_record(
    *,
    member: Membership,
    reconciliation: Reconciliation,
    transcript: Transcript,
    item: str,
    outcome: str,
    rationale: str,
    meeting: Meeting | None = None,
    request: HttpRequest | None = None,
) -> Decision:
    """Record (or revise) the decision on one item of the transcript's difference list."""
    _require_coder(member)
    if (
        transcript.study_id != member.study_id
        or not reconciliation.transcripts.filter(pk=transcript.pk).exists()
    ):
        raise ValidationError("That transcript is not part of this reconciliation.")
    if hidden_from(member, reconciliation):
        raise ValidationError(BLIND)
    errors = []
    if outcome not in Outcome.values:
        errors.append("Choose an outcome: agreed change, kept both, deferred or unresolved.")
    rationale = rationale.strip()
    if len(rationale) < RATIONALE_MIN:
        errors.append("Give the rationale: the decision log keeps it.")
    if meeting is not None and meeting.study_id != member.study_id:
        errors.append("That meeting belongs to another study.")
    version, listed = difference_list(member, reconciliation, transcript)
    found = next((entry for entry in listed if entry.key == item), None)
    if found is None:
        errors.append(
            "That difference is no longer in the list (the codings changed): reload the page."
        )
    if errors:
        raise ValidationError(errors)
    decision, created = Decision.objects.update_or_create(
        reconciliation=reconciliation,
        version=version,
        item=item,
        defaults={
            "kind": found.item.kind.value,
            "start": found.item.start,
            "end": found.item.end,
            "codings_a": [str(s.id) for s in found.item.a],
            "codings_b": [str(s.id) for s in found.item.b],
            "outcome": outcome,
            "rationale": rationale,
            "meeting": meeting,
            "decided_by": member.user,
            "decided_at": timezone.now(),
        },
    )
    audit(
        Action.DECISION,
        request=request,
        actor=member.user,
        study=member.study,
        target=decision,
        details={
            "reconciliation": str(reconciliation.uuid),
            "kind": decision.kind,
            "outcome": outcome,
            "revised": not created,
        },
    )
    return decision


@transaction.atomic
def consensus_add(
    *,
    member: Membership,
    reconciliation: Reconciliation,
    transcript: Transcript,
    code: Code,
    start: int,
    end: int,
    decision: Decision | None = None,
) -> ConsensusCoding:
    """A coding of the consensus layer, attributed to the member (and the decision, if any)."""
    _require_coder(member)
    if not reconciliation.transcripts.filter(pk=transcript.pk).exists():
        raise ValidationError("That transcript is not part of this reconciliation.")
    if not Code.objects.visible_to(member).filter(pk=code.pk, retired_at__isnull=True).exists():
        raise ValidationError("Choose a live code of the codebook you can see.")
    version = current_version(transcript)
    if not 0 <= start < end <= len(version.text):
        raise ValidationError("The passage is outside the transcript.")
    if decision is not None and decision.reconciliation_id != reconciliation.pk:
        raise ValidationError("That decision belongs to another reconciliation.")
    coding, _created = ConsensusCoding.objects.get_or_create(
        reconciliation=reconciliation,
        version=version,
        code=code,
        start=start,
        end=end,
        defaults={"added_by": member.user, "decision": decision},
    )
    return coding


@transaction.atomic
def consensus_remove(*, member: Membership, coding: ConsensusCoding) -> None:
    _require_coder(member)
    coding.delete()


@transaction.atomic
def reconciliation_finish(
    *, member: Membership, reconciliation: Reconciliation, request: HttpRequest | None = None
) -> Reconciliation:
    _require_coder(member)
    if reconciliation.finished_at is not None:
        raise ValidationError("This reconciliation is already finished.")
    reconciliation.finished_at = timezone.now()
    reconciliation.save(update_fields=["finished_at"])
    audit(
        Action.RECONCILIATION,
        request=request,
        actor=member.user,
        study=member.study,
        target=reconciliation,
        details={"finished": True, "decisions": reconciliation.decisions.count()},
    )
    return reconciliation
