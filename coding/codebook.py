"""The codebook's workflows: renaming, redefining, merging, splitting and retiring a code.

Each runs in one transaction, writes the code's history (a CodeEvent) and an audit event, and
refuses bad input with a ValidationError that says why. Codings are read only through
`Coding.objects.visible_to`, so no workflow moves a coding its member cannot see; the details
recorded name the change and counts, never transcript text.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Subquery
from django.http import HttpRequest
from django.utils import timezone

from coding.models import PALETTE, Code, CodeEvent, CodeKind, Coding, Decision, Memo, blinding
from studies.audit import Action, audit
from studies.models import Membership, Role

LABEL_MAX = 120


class Stale(ValidationError):
    """The code changed since the form was made from it: the change is refused, not merged."""


@dataclass(frozen=True)
class Merged:
    code: Code
    into: Code
    moved: int
    duplicates_removed: int


@dataclass(frozen=True)
class Split:
    code: Code
    new_code: Code
    moved: int


def code_may_edit(member: Membership, code: Code) -> bool:
    """Coders change the codes they created; leads and custodians any code they can see."""
    if member.has_role(Role.LEAD):
        return True
    return member.has_role(Role.CODER) and code.created_by_id == member.user_id


def member_is_blinded(member: Membership) -> bool:
    """Whether an open round hides some coding from this member (the same rule as
    `Coding.objects.visible_to`). Counts recorded for everybody are then not shown to them."""
    transcripts, _others, _see_none = blinding(member)
    return transcripts.exists()


def _editable(member: Membership, code: Code, revision: int | None = None) -> Code:
    """The code, fresh from the database and locked for this transaction, if the member may
    change it — and, given the revision a form was made from, if nobody has changed it since."""
    fresh = Code.objects.visible_to(member).select_for_update().filter(pk=code.pk).first()
    if fresh is None:
        raise ValidationError("This code is not in the codebook you can see.")
    if revision is not None and revision != fresh.revision:
        last = fresh.events.select_related("by").last()
        who = f" ({last.get_kind_display().lower()} by {last.by.get_username()})" if last else ""
        raise Stale(
            f"“{fresh.label}” was changed{who} after you opened this page, so your change was "
            "not saved. The page now shows the code as it is: make your change again if it "
            "still applies."
        )
    if not code_may_edit(member, fresh):
        raise PermissionDenied("A coder changes only the codes they created; a lead changes any.")
    if fresh.retired_at is not None:
        raise ValidationError(
            f"“{fresh.label}” is retired: its history is kept, but it no longer changes."
        )
    return fresh


def _clean_label(label: str) -> str:
    label = " ".join(label.split())
    if not label:
        raise ValidationError("A code needs a label.")
    if len(label) > LABEL_MAX:
        raise ValidationError(f"A code's label has at most {LABEL_MAX} characters.")
    return label


def _clean_reason(reason: str, *, required: bool) -> str:
    reason = reason.strip()
    if required and not reason:
        raise ValidationError("Give a reason: the code's history keeps it.")
    return reason


def _check_label_free(member: Membership, *, creator_id: int, label: str, code: Code | None):
    """A coder's live codes have distinct labels, whatever the case (the constraint
    coding_code_label_unique_per_coder); say so before the database has to."""
    taken = Code.objects.filter(
        study_id=member.study_id,
        created_by_id=creator_id,
        retired_at__isnull=True,
        label__iexact=label,
    )
    if code is not None:
        taken = taken.exclude(pk=code.pk)
    if taken.exists():
        whose = "You already have" if creator_id == member.user_id else "Its creator already has"
        raise ValidationError(f"{whose} a live code called “{label}”.")


def _save(code: Code, **kwargs) -> None:
    try:
        with transaction.atomic():
            code.save(**kwargs)
    except IntegrityError:  # coding_code_label_unique_per_coder, lost to a concurrent save
        raise ValidationError(f"There is already a live code called “{code.label}”.") from None


def _ancestors(member: Membership, code: Code) -> list[int]:
    """The primary keys above a code, nearest first. The walk reads every code of the study,
    hidden ones included, since a cycle through a code hidden from the member is still a cycle;
    only primary keys are read, and none is shown."""
    parents = dict(Code.objects.filter(study_id=member.study_id).values_list("pk", "parent_id"))
    chain, current = [], parents.get(code.pk)
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return chain


def _bump(code: Code) -> None:
    """A new revision of the code: forms made from the one before are stale."""
    Code.objects.filter(pk=code.pk).update(revision=F("revision") + 1)
    code.revision += 1


def _record(
    *,
    member: Membership,
    code: Code,
    kind: CodeEvent.Kind,
    reason: str,
    details: dict,
    audit_details: dict,
    request: HttpRequest | None,
    decision: Decision | None = None,
) -> CodeEvent:
    event = CodeEvent.objects.create(
        code=code, kind=kind, by=member.user, reason=reason, details=details, decision=decision
    )
    _bump(code)
    audit(
        Action.CODE_CHANGE,
        request=request,
        actor=member.user,
        study=member.study,
        target=code,
        details={"change": kind.value, "code": str(code.uuid), **audit_details},
    )
    return event


@transaction.atomic
def code_rename(
    *,
    member: Membership,
    code: Code,
    label: str,
    reason: str = "",
    decision: Decision | None = None,
    revision: int | None = None,
    request: HttpRequest | None = None,
) -> Code:
    code = _editable(member, code, revision)
    label = _clean_label(label)
    reason = _clean_reason(reason, required=False)
    if label == code.label:
        raise ValidationError(f"The code is already called “{label}”.")
    _check_label_free(member, creator_id=code.created_by_id, label=label, code=code)
    before, code.label = code.label, label
    _save(code, update_fields=["label"])
    change = {"from": before, "to": label}
    _record(
        member=member,
        code=code,
        kind=CodeEvent.Kind.RENAMED,
        reason=reason,
        details=change,
        audit_details=change,
        request=request,
        decision=decision,
    )
    return code


@transaction.atomic
def code_redefine(
    *,
    member: Membership,
    code: Code,
    description: str,
    kind: str,
    colour: str,
    parent: Code | None,
    reason: str = "",
    decision: Decision | None = None,
    revision: int | None = None,
    request: HttpRequest | None = None,
) -> Code:
    """Change what a code means and where it sits: its definition, semantic or latent, colour
    and parent. Only what differs is recorded."""
    code = _editable(member, code, revision)
    reason = _clean_reason(reason, required=False)
    description = description.strip()
    if kind not in CodeKind.values:
        raise ValidationError("A code is semantic or latent.")
    if colour not in PALETTE:
        raise ValidationError("Choose one of the palette's colours.")
    parent_id = parent.pk if parent is not None else None
    if parent_id != code.parent_id and parent is not None:
        if parent.pk == code.pk:
            raise ValidationError("A code cannot sit under itself.")
        live = Code.objects.visible_to(member).filter(pk=parent.pk, retired_at__isnull=True)
        if not live.exists():
            raise ValidationError("The parent must be a live code of this codebook.")
        if code.pk in _ancestors(member, parent):
            raise ValidationError(
                f"“{parent.label}” sits under “{code.label}”: a code cannot sit under its own "
                "sub-code."
            )
    details = {}
    if description != code.description:
        details["description"] = {"from": code.description, "to": description}
    if kind != code.kind:
        details["kind"] = {"from": code.kind, "to": kind}
    if colour != code.colour:
        details["colour"] = {"from": code.colour, "to": colour}
    if parent_id != code.parent_id:
        # Codes are named by uuid: the history page shows only the labels its reader may see.
        before = Code.objects.filter(pk=code.parent_id).values_list("uuid", flat=True).first()
        details["parent"] = {
            "from": str(before) if before else None,
            "to": str(parent.uuid) if parent is not None else None,
        }
    if not details:
        raise ValidationError("Nothing changed.")
    code.description, code.kind, code.colour, code.parent_id = description, kind, colour, parent_id
    _save(code, update_fields=["description", "kind", "colour", "parent"])
    _record(
        member=member,
        code=code,
        kind=CodeEvent.Kind.REDEFINED,
        reason=reason,
        details=details,
        audit_details={"fields": sorted(details)},
        request=request,
        decision=decision,
    )
    return code


@transaction.atomic
def codes_merge(
    *,
    member: Membership,
    code: Code,
    into: Code,
    reason: str,
    decision: Decision | None = None,
    revision: int | None = None,
    request: HttpRequest | None = None,
) -> Merged:
    """Merge a code into another: each of its codings moves to the target, except one that
    would repeat a coding the target already has (same passage, same coder), which is removed
    (its memos move to the one kept). The code is retired; its sub-codes move to the target."""
    code = _editable(member, code, revision)
    reason = _clean_reason(reason, required=True)
    if into.pk == code.pk:
        raise ValidationError("A code cannot be merged into itself.")
    target = Code.objects.visible_to(member).select_for_update().filter(pk=into.pk).first()
    if target is None:
        raise ValidationError("Merge into a code of the codebook you can see.")
    if target.retired_at is not None:
        raise ValidationError(f"“{target.label}” is retired: merge into a live code.")
    visible = Coding.objects.visible_to(member)
    # The one look past the blind rule: whether any coding of the code is hidden from the
    # member. It answers yes or no and shows nothing; a merge must move every coding.
    if Coding.objects.filter(code=code).exclude(pk__in=visible.values("pk")).exists():
        raise ValidationError(
            f"Some codings of “{code.label}” are in an open blind round and hidden from you: "
            "merge it once the round is unblinded."
        )
    codings = visible.filter(code=code)
    # The same version and coder: a twin is exactly as visible as the coding it repeats.
    twin = visible.filter(
        code=target,
        version=OuterRef("version"),
        coder=OuterRef("coder"),
        start=OuterRef("start"),
        end=OuterRef("end"),
    )
    duplicates = list(
        codings.filter(Exists(twin))
        .annotate(twin=Subquery(twin.values("pk")[:1]))
        .values_list("pk", "twin")
    )
    for duplicate, kept in duplicates:
        Memo.objects.filter(coding_id=duplicate).update(coding_id=kept)
    Coding.objects.filter(pk__in=[duplicate for duplicate, _kept in duplicates]).delete()
    moved = codings.update(code=target)
    if code.pk in _ancestors(member, target):
        # The target was under the code: it takes the code's place before the sub-codes move.
        target.parent_id = code.parent_id
        target.save(update_fields=["parent"])
    Code.objects.filter(parent=code).exclude(pk=target.pk).update(parent=target)
    code.retired_at = timezone.now()
    code.save(update_fields=["retired_at"])
    counts = {"moved": moved, "duplicates_removed": len(duplicates)}
    _record(
        member=member,
        code=code,
        kind=CodeEvent.Kind.MERGED,
        reason=reason,
        details={"into": str(target.uuid), **counts},
        audit_details={"into": str(target.uuid), **counts},
        request=request,
        decision=decision,
    )
    CodeEvent.objects.create(
        code=target,
        kind=CodeEvent.Kind.MERGED,
        by=member.user,
        reason=reason,
        details={"from": str(code.uuid), **counts},
        decision=decision,
    )
    _bump(target)
    return Merged(code=code, into=target, moved=moved, duplicates_removed=len(duplicates))


@transaction.atomic
def code_split(
    *,
    member: Membership,
    code: Code,
    label: str,
    codings: Iterable[Coding],
    reason: str,
    description: str = "",
    decision: Decision | None = None,
    revision: int | None = None,
    request: HttpRequest | None = None,
) -> Split:
    """Split a code: a new code beside it (same creator, kind and parent) takes the chosen
    codings. The new code belongs to the original's creator, so it stays in their layer."""
    code = _editable(member, code, revision)
    reason = _clean_reason(reason, required=True)
    label = _clean_label(label)
    chosen_pks = {coding.pk for coding in codings}
    if not chosen_pks:
        raise ValidationError("Choose at least one coding to move to the new code.")
    chosen = Coding.objects.visible_to(member).filter(code=code, pk__in=chosen_pks)
    if chosen.count() != len(chosen_pks):
        raise ValidationError(f"A chosen coding is not one of “{code.label}”'s codings.")
    _check_label_free(member, creator_id=code.created_by_id, label=label, code=None)
    colour = (
        PALETTE[(PALETTE.index(code.colour) + 1) % len(PALETTE)]
        if code.colour in PALETTE
        else PALETTE[1]
    )
    new_code = Code(
        study_id=code.study_id,
        label=label,
        description=description.strip(),
        kind=code.kind,
        colour=colour,
        parent_id=code.parent_id,
        created_by_id=code.created_by_id,
    )
    _save(new_code)
    moved = chosen.update(code=new_code)
    CodeEvent.objects.create(
        code=new_code,
        kind=CodeEvent.Kind.CREATED,
        by=member.user,
        reason=reason,
        details={"split_from": str(code.uuid), "moved": moved},
        decision=decision,
    )
    _record(
        member=member,
        code=code,
        kind=CodeEvent.Kind.SPLIT,
        reason=reason,
        details={"into": str(new_code.uuid), "moved": moved},
        audit_details={"new_code": str(new_code.uuid), "moved": moved},
        request=request,
        decision=decision,
    )
    return Split(code=code, new_code=new_code, moved=moved)


@transaction.atomic
def code_retire(
    *,
    member: Membership,
    code: Code,
    reason: str,
    decision: Decision | None = None,
    revision: int | None = None,
    request: HttpRequest | None = None,
) -> Code:
    """Retire a code: it leaves the live codebook, its codings and history stay, and its
    sub-codes move up to its parent."""
    code = _editable(member, code, revision)
    reason = _clean_reason(reason, required=True)
    kept = Coding.objects.visible_to(member).filter(code=code).count()
    children = Code.objects.filter(parent=code).update(parent_id=code.parent_id)
    code.retired_at = timezone.now()
    code.save(update_fields=["retired_at"])
    counts = {"codings_kept": kept, "subcodes_moved_up": children}
    _record(
        member=member,
        code=code,
        kind=CodeEvent.Kind.RETIRED,
        reason=reason,
        details=counts,
        audit_details=counts,
        request=request,
        decision=decision,
    )
    return code
