"""Aligning two coders' codes: suggestions ranked by the pure `alignment` module on the coders'
live codes and codings as the member may see them, and the alignments people confirm and remove.

A coder's codes are the live codes they created; their codings, the codings they applied with
those codes (offsets compared only within one version of a transcript). Nothing is suggested from
a layer the blind rule hides, even in part: the member is told to have the round unblinded first.
Confirming and removing run in one transaction each, refuse bad input with a ValidationError that
names the thing and the reason, and leave an audit event."""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest

from coding.models import Code, CodeAlignment, Coding
from coding.reconcile import alignment
from studies.audit import Action, audit
from studies.models import Membership, Role


@dataclass(frozen=True)
class Suggested:
    """A suggestion with its codes: ``a`` is coder A's, ``b`` coder B's."""

    a: Code
    b: Code
    score: float
    label_similarity: float
    co_coverage: float
    shared_passages: int


def _require_coder(member: Membership) -> None:
    if not member.has_role(Role.CODER):
        raise ValidationError("Aligning codes is for coders, leads and custodians; a viewer reads.")


def _check_coders(member: Membership, coder_a: AbstractBaseUser, coder_b: AbstractBaseUser) -> None:
    """Two different members, neither of whose codes or codings the member is blind to."""
    if coder_a is None or coder_b is None:
        raise ValidationError("Choose the two coders whose codes are aligned.")
    if coder_a.pk == coder_b.pk:
        raise ValidationError("Choose two different coders: alignment maps codes across coders.")
    coders = [coder_a, coder_b]
    members = set(
        Membership.objects.active()
        .filter(study_id=member.study_id, user__in=[c.pk for c in coders])
        .values_list("user_id", flat=True)
    )
    errors = [
        f"{coder.get_username()} is not a member of this study."
        for coder in coders
        if coder.pk not in members
    ]
    if errors:
        raise ValidationError(errors)
    # Whose work an open round hides from the member, by the one rule (visible_to): their codes,
    # or any of their codings (a viewer sees no coding on an open round's transcripts).
    ids = [c.pk for c in coders]
    hidden = set(
        Code.objects.filter(study_id=member.study_id, created_by__in=ids)
        .exclude(pk__in=Code.objects.visible_to(member).values("pk"))
        .values_list("created_by_id", flat=True)
        .order_by()
        .distinct()
    ) | set(
        Coding.objects.filter(version__transcript__study_id=member.study_id, coder__in=ids)
        .exclude(pk__in=Coding.objects.visible_to(member).values("pk"))
        .values_list("coder_id", flat=True)
        .order_by()
        .distinct()
    )
    errors = [
        f"{coder.get_username()}'s codes or codings are hidden from you while a blind round is "
        "open: unblind the round first."
        for coder in coders
        if coder.pk in hidden
    ]
    if errors:
        raise ValidationError(errors)


def alignment_suggestions(
    member: Membership,
    coder_a: AbstractBaseUser,
    coder_b: AbstractBaseUser,
    *,
    limit: int | None = alignment.DEFAULT_LIMIT,
) -> list[Suggested]:
    """Pairs of coder A's and coder B's live codes that may mean the same, best first, leaving
    out pairs already aligned. Refused (ValidationError) when the coders are not two members of
    the study, or when the blind rule hides either coder's codes or codings from the member."""
    _check_coders(member, coder_a, coder_b)
    codes = {
        code.pk: code
        for code in Code.objects.visible_to(member).filter(
            created_by__in=[coder_a.pk, coder_b.pk], retired_at__isnull=True
        )
    }
    codes_a = [(pk, c.label) for pk, c in codes.items() if c.created_by_id == coder_a.pk]
    codes_b = [(pk, c.label) for pk, c in codes.items() if c.created_by_id == coder_b.pk]
    spans: dict[int, list[tuple[int, int, int, int]]] = {coder_a.pk: [], coder_b.pk: []}
    rows = (
        Coding.objects.visible_to(member)
        .filter(
            Q(coder=coder_a, code__created_by=coder_a) | Q(coder=coder_b, code__created_by=coder_b),
            code__retired_at__isnull=True,
        )
        .values_list("coder_id", "code_id", "version_id", "start", "end")
        .order_by()
    )
    for coder, *span in rows:
        spans[coder].append(tuple(span))
    aligned = CodeAlignment.objects.filter(
        code_a__in=list(codes), code_b__in=list(codes)
    ).values_list("code_a", "code_b")
    exclude = {pair for x, y in aligned for pair in ((x, y), (y, x))}
    return [
        Suggested(
            a=codes[s.a],
            b=codes[s.b],
            score=s.score,
            label_similarity=s.label_similarity,
            co_coverage=s.co_coverage,
            shared_passages=s.shared_passages,
        )
        for s in alignment.suggest(
            codes_a, codes_b, spans[coder_a.pk], spans[coder_b.pk], limit=limit, exclude=exclude
        )
    ]


def alignments_between(
    member: Membership, coder_a: AbstractBaseUser, coder_b: AbstractBaseUser
) -> list[tuple[CodeAlignment, Code, Code]]:
    """The confirmed alignments of coder A's codes with coder B's, each with A's code first, in
    the order of A's labels; only those whose codes the member may see."""
    visible = Code.objects.visible_to(member).values("pk")
    pairs = (
        CodeAlignment.objects.filter(study_id=member.study_id)
        .filter(
            Q(code_a__created_by=coder_a, code_b__created_by=coder_b)
            | Q(code_a__created_by=coder_b, code_b__created_by=coder_a)
        )
        .filter(code_a__in=visible, code_b__in=visible)
        .select_related("code_a", "code_b", "confirmed_by")
    )
    found = []
    for pair in pairs:
        ours, theirs = pair.code_a, pair.code_b
        if ours.created_by_id != coder_a.pk:
            ours, theirs = theirs, ours
        found.append((pair, ours, theirs))
    found.sort(key=lambda row: (row[1].label.casefold(), row[2].label.casefold(), row[0].pk))
    return found


def _visible_codes(member: Membership, codes: list[Code]) -> set[int]:
    return set(
        Code.objects.visible_to(member)
        .filter(pk__in=[c.pk for c in codes])
        .values_list("pk", flat=True)
    )


@transaction.atomic
def alignment_confirm(
    *,
    member: Membership,
    code_a: Code,
    code_b: Code,
    request: HttpRequest | None = None,
) -> CodeAlignment:
    """Record that two codes of different coders mean the same when layers are compared.
    Confirming a pair already aligned returns its alignment and changes nothing."""
    _require_coder(member)
    if code_a is None or code_b is None:
        raise ValidationError("Choose a code of each coder.")
    if code_a.pk == code_b.pk:
        raise ValidationError("A code is aligned with another coder's code, not with itself.")
    codes = [code_a, code_b]
    if any(code.study_id != member.study_id for code in codes):
        raise ValidationError("A chosen code belongs to another study.")
    # Read again: a code renamed, retired or hidden since the page was drawn is judged as it is.
    fresh = {
        code.pk: code
        for code in Code.objects.visible_to(member)
        .filter(pk__in=[c.pk for c in codes])
        .select_related("created_by")
    }
    if any(code.pk not in fresh for code in codes):
        raise ValidationError("A chosen code is hidden from you while a blind round is open.")
    code_a, code_b = fresh[code_a.pk], fresh[code_b.pk]
    errors = [
        f"“{code.label}” is retired: only live codes are aligned."
        for code in (code_a, code_b)
        if code.retired_at is not None
    ]
    if code_a.created_by_id == code_b.created_by_id:
        errors.append(
            f"“{code_a.label}” and “{code_b.label}” were both created by "
            f"{code_a.created_by.get_username()}: alignment maps codes across coders."
        )
    if errors:
        raise ValidationError(errors)

    low, high = sorted((code_a, code_b), key=lambda code: code.pk)  # coding_alignment_ordered_pair
    existing = CodeAlignment.objects.filter(code_a=low, code_b=high).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            pair = CodeAlignment.objects.create(
                study_id=member.study_id, code_a=low, code_b=high, confirmed_by=member.user
            )
    except IntegrityError:  # coding_alignment_once: someone confirmed it just now
        return CodeAlignment.objects.get(code_a=low, code_b=high)
    audit(
        Action.CODE_ALIGN,
        request=request,
        actor=member.user,
        study=member.study,
        target=pair,
        details={
            "change": "confirmed",
            "codes": [str(low.uuid), str(high.uuid)],
            "coders": [low.created_by.get_username(), high.created_by.get_username()],
        },
    )
    return pair


@transaction.atomic
def alignment_remove(
    *, member: Membership, alignment: CodeAlignment, request: HttpRequest | None = None
) -> None:
    """Undo a confirmed alignment: the two codes count as different again."""
    _require_coder(member)
    if alignment.study_id != member.study_id:
        raise ValidationError("This alignment belongs to another study.")
    visible = _visible_codes(member, [alignment.code_a, alignment.code_b])
    if not {alignment.code_a_id, alignment.code_b_id} <= visible:
        raise ValidationError(
            "This alignment's codes are hidden from you while a blind round is open."
        )
    details = {
        "change": "removed",
        "codes": [str(alignment.code_a.uuid), str(alignment.code_b.uuid)],
        "coders": [
            alignment.code_a.created_by.get_username(),
            alignment.code_b.created_by.get_username(),
        ],
    }
    label = str(alignment)
    if not CodeAlignment.objects.filter(pk=alignment.pk).delete()[0]:
        raise ValidationError(f"“{label}” is not aligned any more: someone removed it.")
    audit(
        Action.CODE_ALIGN,
        request=request,
        actor=member.user,
        study=member.study,
        target=alignment,
        details=details,
    )
