"""Workflows on studies and their members. Each runs in one transaction and leaves an audit event."""

from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.text import slugify

from studies.audit import Action, audit
from studies.models import Membership, Role, Study


def unique_slug(title: str) -> str:
    """A slug for a new study from its title, numbered if the plain one is taken."""
    base = slugify(title)[:50].strip("-") or "study"
    taken = set(Study.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def study_create(
    *, creator: AbstractBaseUser, request: HttpRequest | None = None, **fields
) -> Study:
    """A new study; its creator becomes its custodian, which includes the lead's rights."""
    study = Study(slug=fields.pop("slug", None) or unique_slug(fields["title"]), **fields)
    study.full_clean()
    study.save()
    Membership.objects.create(user=creator, study=study, role=Role.CUSTODIAN)
    audit(Action.STUDY_CREATE, request=request, actor=creator, study=study, target=study)
    return study


@transaction.atomic
def study_update(
    *, study: Study, actor: AbstractBaseUser, request: HttpRequest | None = None, **changes
) -> Study:
    # What is stored, not what a bound form may already have written onto `study`.
    before = Study.objects.filter(pk=study.pk).values(*changes).get() if changes else {}
    for field, value in changes.items():
        setattr(study, field, value)
    study.full_clean()
    study.save(update_fields=list(changes))
    changed = {
        field: {"from": _plain(before[field]), "to": _plain(value)}
        for field, value in changes.items()
        if before[field] != value
    }
    if changed:
        audit(
            Action.STUDY_UPDATE,
            request=request,
            actor=actor,
            study=study,
            target=study,
            details=changed,
        )
    return study


def _check_role_change(*, actor: Membership, old: Role | None, new: Role | None) -> None:
    """Only a custodian grants or takes away the custodian role: it opens the identity vault."""
    touches_custodian = Role.CUSTODIAN in (old, new)
    if touches_custodian and not actor.has_role(Role.CUSTODIAN):
        raise ValidationError("Only a custodian can give or take away the custodian role.")


def _check_keeps_a_custodian(membership: Membership) -> None:
    if membership.role != Role.CUSTODIAN:
        return
    # Locked, so that two custodians demoting each other at once cannot both succeed.
    custodians = (
        Membership.objects.active()
        .select_for_update()
        .filter(study=membership.study, role=Role.CUSTODIAN)
    )
    if not any(other.pk != membership.pk for other in custodians):
        raise ValidationError(
            "A study needs at least one custodian: make someone else custodian first."
        )


@transaction.atomic
def membership_add(
    *,
    actor: Membership,
    user: AbstractBaseUser,
    role: Role,
    expires_on: date | None = None,
    request: HttpRequest | None = None,
) -> Membership:
    study = actor.study
    _check_role_change(actor=actor, old=None, new=Role(role))
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                study=study, user=user, role=role, expires_on=expires_on
            )
    except IntegrityError:  # studies_membership_one_per_user_and_study
        raise ValidationError(f"{user.get_username()} is already a member of this study.") from None
    audit(
        Action.MEMBER_ADD,
        request=request,
        actor=actor.user,
        study=study,
        target=membership,
        details={"user": user.get_username(), "role": role, "expires_on": _plain(expires_on)},
    )
    return membership


@transaction.atomic
def membership_change(
    *,
    actor: Membership,
    membership: Membership,
    role: Role,
    expires_on: date | None,
    request: HttpRequest | None = None,
) -> Membership:
    old_role, old_expiry = Role(membership.role), membership.expires_on
    _check_role_change(actor=actor, old=old_role, new=Role(role))
    if role != Role.CUSTODIAN or expires_on is not None:
        _check_keeps_a_custodian(membership)
    changed = {}
    if old_role != role:
        changed["role"] = {"from": old_role.value, "to": Role(role).value}
    if old_expiry != expires_on:
        changed["expires_on"] = {"from": _plain(old_expiry), "to": _plain(expires_on)}
    if not changed:
        return membership
    membership.role, membership.expires_on = role, expires_on
    membership.save(update_fields=["role", "expires_on"])
    audit(
        Action.MEMBER_CHANGE,
        request=request,
        actor=actor.user,
        study=membership.study,
        target=membership,
        details={"user": membership.user.get_username(), **changed},
    )
    return membership


@transaction.atomic
def membership_remove(
    *, actor: Membership, membership: Membership, request: HttpRequest | None = None
) -> None:
    _check_role_change(actor=actor, old=Role(membership.role), new=None)
    _check_keeps_a_custodian(membership)
    audit(
        Action.MEMBER_REMOVE,
        request=request,
        actor=actor.user,
        study=membership.study,
        target=membership,
        details={"user": membership.user.get_username(), "role": membership.role},
    )
    membership.delete()


def _plain(value):
    """A value as it is kept in an audit event's details (JSON)."""
    return value.isoformat() if isinstance(value, date) else value
