"""The consent guard of the report: whose words may be quoted verbatim.

A participant may be quoted when the latest of their consent records says yes to quotation of
their words, and they have not withdrawn. No record, a latest record that says no, or a
withdrawal: their words are not quoted — not chosen as an extract, not exported.

The consent records live encrypted in the identity vault. This is the one reading of them that
is not a custodian's: it is reduced at once to a yes or no per participant (nothing else of a
record leaves this module: not its date, method or other items, and not whether a record exists
at all, since "no record" and "declined" give the same answer), and it is audited as one vault
read, naming how many participants it covered and never who they are."""

from collections.abc import Iterable
from enum import StrEnum

from django.db.models import OuterRef, Subquery
from django.http import HttpRequest

from studies.audit import Action, audit
from studies.models import ConsentRecord, Participant, Study

PURPOSE = "quotation consent"


class Quotation(StrEnum):
    ALLOWED = "allowed"
    NOT_CONSENTED = "not_consented"  # no record, or the latest one says no
    WITHDRAWN = "withdrawn"

    @property
    def allowed(self) -> bool:
        return self is Quotation.ALLOWED


REASONS = {
    Quotation.NOT_CONSENTED: "has not consented to verbatim quotation",
    Quotation.WITHDRAWN: "has withdrawn from the study",
}


def reason(pseudonym: str, quotation: Quotation) -> str:
    """Why a participant's words cannot be quoted, in a sentence that names them by pseudonym."""
    return f"{pseudonym} {REASONS[quotation]}: their words cannot be quoted in the report."


def quotation_consent(
    *,
    study: Study,
    participants: Iterable[int] | None = None,
    request: HttpRequest | None = None,
    actor=None,
) -> dict[int, Quotation]:
    """Whether each participant of the study (or only these, by primary key) may be quoted, by
        participant primary key. Two queries and one audit event, however many participants (none
    when there is nobody to ask about); a
        participant of another study, or one erased by a withdrawal, is simply not in the answer
        (and `quotation_of` then says no)."""
    chosen = Participant.objects.filter(study=study)
    if participants is not None:
        chosen = chosen.filter(pk__in=list(participants))
    withdrawn = dict(chosen.values_list("pk", "withdrawn_at"))
    latest = Subquery(
        ConsentRecord.objects.filter(participant=OuterRef("participant"))
        .order_by("-recorded_at", "-pk")
        .values("pk")[:1]
    )
    if not withdrawn:
        return {}  # nobody to ask about: the vault is not read
    said = dict(
        ConsentRecord.objects.filter(participant__in=chosen.values("pk"), pk=latest).values_list(
            "participant_id", "verbatim_quotation"
        )
    )
    audit(
        Action.VAULT_READ,
        request=request,
        actor=actor,
        study=study,
        details={"purpose": PURPOSE, "participants": len(withdrawn)},
    )
    return {
        pk: Quotation.WITHDRAWN
        if when is not None
        else Quotation.ALLOWED
        if said.get(pk) is True
        else Quotation.NOT_CONSENTED
        for pk, when in withdrawn.items()
    }


def quotation_of(consent: dict[int, Quotation], participant_id: int) -> Quotation:
    """A participant's answer from `quotation_consent`; one not in it may not be quoted."""
    return consent.get(participant_id, Quotation.NOT_CONSENTED)
