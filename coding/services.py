"""Codes and codings: created, applied and removed in one transaction each. Codings are
anchored in the locked text of a transcript's current version."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from coding.models import PALETTE, Code, CodeEvent, Coding
from studies.models import Membership, Role
from transcripts.models import Transcript


def _require_coder(member: Membership) -> None:
    if not member.has_role(Role.CODER):
        raise ValidationError("Coding is for coders, leads and custodians; a viewer reads.")


@transaction.atomic
def code_create(
    *,
    member: Membership,
    label: str,
    description: str = "",
    kind: str = Code.Kind.SEMANTIC,
    colour: str | None = None,
) -> Code:
    _require_coder(member)
    label = " ".join(label.split())
    if not label:
        raise ValidationError("A code needs a label.")
    if len(label) > 120:
        raise ValidationError("A code's label has at most 120 characters.")
    count = Code.objects.filter(study_id=member.study_id, created_by_id=member.user_id).count()
    code = Code(
        study_id=member.study_id,
        label=label,
        description=description,
        kind=kind,
        colour=colour or PALETTE[count % len(PALETTE)],
        created_by=member.user,
    )
    try:
        with transaction.atomic():
            code.save()
    except IntegrityError:  # coding_code_label_unique_per_coder
        raise ValidationError(f"You already have a code called “{label}”.") from None
    CodeEvent.objects.create(code=code, kind=CodeEvent.Kind.CREATED, by=member.user)
    return code


@transaction.atomic
def coding_apply(
    *,
    member: Membership,
    transcript: Transcript,
    start: int,
    end: int,
    codes: list[Code] = (),
    new_label: str = "",
    request: HttpRequest | None = None,
) -> list[Coding]:
    """Apply codes (and a new one, by its label) to [start, end) of the transcript's locked text.
    Applying the same code to the same passage twice stores it once."""
    _require_coder(member)
    if transcript.study_id != member.study_id:
        raise ValidationError("This transcript belongs to another study.")
    if not transcript.is_codable:
        raise ValidationError(
            "Only a locked transcript is coded: its anonymisation is not finished."
        )
    version = transcript.versions.order_by("-number").first()
    if not 0 <= start < end <= len(version.text):
        raise ValidationError("The selection is outside the transcript.")
    if not version.text[start:end].strip():
        raise ValidationError("Select some words, not only spaces.")
    visible = set(
        Code.objects.visible_to(member).filter(retired_at__isnull=True).values_list("pk", flat=True)
    )
    if any(code.pk not in visible for code in codes):
        raise ValidationError("A chosen code is not one of yours to use.")
    codes = list(codes)
    if new_label.strip():
        existing = Code.objects.filter(
            study_id=member.study_id,
            created_by=member.user,
            label__iexact=" ".join(new_label.split()),
            retired_at=None,
        ).first()
        codes.append(existing or code_create(member=member, label=new_label))
    if not codes:
        raise ValidationError("Choose a code, or type a new one.")
    codings = []
    for code in dict.fromkeys(codes):
        coding, _created = Coding.objects.get_or_create(
            version=version, code=code, coder=member.user, start=start, end=end
        )
        codings.append(coding)
    return codings


@transaction.atomic
def coding_remove(*, member: Membership, coding: Coding) -> None:
    """Only the coding's own coder removes it."""
    if coding.coder_id != member.user_id:
        raise ValidationError("Only the person who applied a coding removes it.")
    coding.delete()


@transaction.atomic
def coding_confirm(*, member: Membership, coding: Coding) -> None:
    """The coder has checked a coding that a correction of its words marked, and it still fits."""
    if coding.coder_id != member.user_id:
        raise ValidationError("Only the person who applied a coding checks it.")
    if not coding.needs_check:
        raise ValidationError("This coding is not marked for a check.")
    if coding.version_id != coding.version.transcript.versions.order_by("-number").first().pk:
        raise ValidationError(
            "A correction removed this coding's words: remove it, or code the new words."
        )
    coding.needs_check = False
    coding.save(update_fields=["needs_check"])
