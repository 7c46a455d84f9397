"""Interview guides: versions of the guide, each an ordered tree of domains, questions and
prompts (studies.services.ordering). Each workflow runs in one transaction and leaves one audit
event per change; a request that changes nothing leaves none.
"""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.http import HttpRequest

from studies.audit import Action, audit
from studies.models import Protocol, ProtocolDomain, ProtocolPrompt, ProtocolQuestion, Study
from studies.services.ordering import Direction, clean_text, lock, move, ordered, renumber

GuideItem = ProtocolDomain | ProtocolQuestion | ProtocolPrompt

GUIDE_TEXT_MAX_LENGTH = 2000  # questions and prompts are TextFields; a guide's line is short


@transaction.atomic
def protocol_create(
    *,
    study: Study,
    version: str,
    copy_from: Protocol | None = None,
    actor: AbstractBaseUser,
    request: HttpRequest | None = None,
) -> Protocol:
    """A new version of the interview guide: empty, or a copy of every domain, question and
    prompt of an earlier version."""
    version = clean_text(version, max_length=40, what="version")
    if copy_from is not None and copy_from.study_id != study.pk:
        raise ValidationError({"copy_from": "Choose one of this study's versions to copy."})
    if Protocol.objects.filter(study=study, version__iexact=version).exists():
        raise ValidationError({"version": f"This study already has a version “{version}”."})
    try:
        with transaction.atomic():
            protocol = Protocol.objects.create(study=study, version=version)
    except IntegrityError:  # studies_protocol_version_unique, under a concurrent create
        raise ValidationError(
            {"version": f"This study already has a version “{version}”."}
        ) from None
    counts = _copy_guide(copy_from, protocol) if copy_from else {}
    audit(
        Action.PROTOCOL_UPDATE,
        request=request,
        actor=actor,
        study=study,
        target=protocol,
        details={
            "version": version,
            "change": "created version",
            "copied_from": copy_from.version if copy_from else None,
            **counts,
        },
    )
    return protocol


def _copy_guide(source: Protocol, target: Protocol) -> dict[str, int]:
    """Copy the guide in three inserts, one per level, renumbering each list from 1."""
    domains = list(ProtocolDomain.objects.filter(protocol=source).order_by("position", "pk"))
    questions = list(
        ProtocolQuestion.objects.filter(domain__protocol=source).order_by(
            "domain_id", "position", "pk"
        )
    )
    prompts = list(
        ProtocolPrompt.objects.filter(question__domain__protocol=source).order_by(
            "question_id", "position", "pk"
        )
    )
    new_domains = ProtocolDomain.objects.bulk_create(
        ProtocolDomain(protocol=target, position=n, title=domain.title)
        for n, domain in enumerate(domains, start=1)
    )
    domain_for = {old.pk: new for old, new in zip(domains, new_domains, strict=True)}
    new_questions = ProtocolQuestion.objects.bulk_create(
        ProtocolQuestion(domain=domain_for[question.domain_id], position=n, text=question.text)
        for question, n in _numbered(questions, "domain_id")
    )
    question_for = {old.pk: new for old, new in zip(questions, new_questions, strict=True)}
    ProtocolPrompt.objects.bulk_create(
        ProtocolPrompt(question=question_for[prompt.question_id], position=n, text=prompt.text)
        for prompt, n in _numbered(prompts, "question_id")
    )
    return {"domains": len(domains), "questions": len(questions), "prompts": len(prompts)}


def _numbered(items: list, owner: str):
    """Each item with its position 1..n within its owner; `items` are sorted by owner."""
    last, n = None, 0
    for item in items:
        n = n + 1 if getattr(item, owner) == last else 1
        last = getattr(item, owner)
        yield item, n


@transaction.atomic
def protocol_delete(
    *, protocol: Protocol, actor: AbstractBaseUser, request: HttpRequest | None = None
) -> None:
    """Delete a version, unless a source project used it: the record of what its participants
    were asked must stay."""
    lock(protocol)
    used_by = list(protocol.source_projects.order_by("name").values_list("name", flat=True))
    if used_by:
        raise ValidationError(
            f"Version {protocol.version} cannot be deleted: the source "
            f"project{'s' if len(used_by) != 1 else ''} "
            f"{', '.join(f'“{name}”' for name in used_by)} used it. Nothing was changed."
        )
    audit(
        Action.PROTOCOL_UPDATE,
        request=request,
        actor=actor,
        study=protocol.study,
        target=protocol,
        details={
            "version": protocol.version,
            "change": "deleted version",
            "domains": protocol.domains.count(),
            "questions": ProtocolQuestion.objects.filter(domain__protocol=protocol).count(),
        },
    )
    try:
        protocol.delete()
    except ProtectedError as error:  # something else that keeps a version refers to it
        names = ", ".join(sorted({str(obj) for obj in error.protected_objects}))
        raise ValidationError(
            f"Version {protocol.version} cannot be deleted: {names} still refer to it. "
            "Nothing was changed."
        ) from None


@dataclass(frozen=True)
class GuideLevel:
    """One level of an interview guide, for the functions that work on any of them."""

    model: type[GuideItem]
    noun: str
    owner: str  # the field naming the item's owner: its protocol, domain or question
    text: str  # the field holding its words
    max_length: int


LEVELS: dict[str, GuideLevel] = {
    "domain": GuideLevel(ProtocolDomain, "domain", "protocol", "title", 200),
    "question": GuideLevel(ProtocolQuestion, "question", "domain", "text", GUIDE_TEXT_MAX_LENGTH),
    "prompt": GuideLevel(ProtocolPrompt, "prompt", "question", "text", GUIDE_TEXT_MAX_LENGTH),
}
_LEVEL_OF = {level.model: level for level in LEVELS.values()}
# What an owner holds: a version its domains, a domain its questions, a question its prompts.
CHILD_LEVEL = {
    Protocol: LEVELS["domain"],
    ProtocolDomain: LEVELS["question"],
    ProtocolQuestion: LEVELS["prompt"],
}


def guide_level(item: GuideItem) -> GuideLevel:
    return _LEVEL_OF[type(item)]


def guide_protocol(item: Protocol | GuideItem) -> Protocol:
    """The version an item belongs to (select its owners with it to spare the queries)."""
    while not isinstance(item, Protocol):
        item = getattr(item, guide_level(item).owner)
    return item


def _guide_audit(item: GuideItem, request, actor, **details) -> None:
    protocol = guide_protocol(item)
    audit(
        Action.PROTOCOL_UPDATE,
        request=request,
        actor=actor,
        study=protocol.study,
        target=item,
        details={"version": protocol.version, **details},
    )


@transaction.atomic
def guide_item_add(
    *,
    owner: Protocol | ProtocolDomain | ProtocolQuestion,
    text: str,
    actor: AbstractBaseUser,
    request: HttpRequest | None = None,
) -> GuideItem:
    """Add a domain to a version, a question to a domain or a prompt to a question, last."""
    level = CHILD_LEVEL[type(owner)]
    text = clean_text(text, max_length=level.max_length, what=level.noun)
    lock(owner)
    siblings = ordered(level.model, **{level.owner: owner})
    renumber(siblings)
    item = level.model.objects.create(
        **{level.owner: owner, "position": len(siblings) + 1, level.text: text}
    )
    _guide_audit(
        item,
        request,
        actor,
        change=f"added {level.noun}",
        **({} if isinstance(owner, Protocol) else {"in": str(owner)[:200]}),
        position=item.position,
        text=text,
    )
    return item


@transaction.atomic
def guide_item_edit(
    *, item: GuideItem, text: str, actor: AbstractBaseUser, request: HttpRequest | None = None
) -> bool:
    """Reword an item; False when its words are unchanged."""
    level = guide_level(item)
    text = clean_text(text, max_length=level.max_length, what=level.noun)
    before = level.model.objects.values_list(level.text, flat=True).get(pk=item.pk)
    if before == text:
        return False
    setattr(item, level.text, text)
    item.save(update_fields=[level.text])
    _guide_audit(
        item, request, actor, change=f"edited {level.noun}", **{"from": before, "to": text}
    )
    return True


@transaction.atomic
def guide_item_move(
    *,
    item: GuideItem,
    direction: Direction,
    actor: AbstractBaseUser,
    request: HttpRequest | None = None,
) -> bool:
    """Move an item one place among its siblings; False when it is already at that end."""
    level = guide_level(item)
    owner = getattr(item, level.owner)
    lock(owner)
    moved = move(ordered(level.model, **{level.owner: owner}), item, direction)
    if moved is None:
        return False
    _guide_audit(
        item,
        request,
        actor,
        change=f"moved {level.noun} {direction}",
        text=getattr(item, level.text),
        **{"from": moved[0], "to": moved[1]},
    )
    return True


@transaction.atomic
def guide_item_remove(
    *, item: GuideItem, actor: AbstractBaseUser, request: HttpRequest | None = None
) -> None:
    """Remove an item with everything under it (a domain's questions and their prompts)."""
    level = guide_level(item)
    owner = getattr(item, level.owner)
    lock(owner)
    under = {}
    if isinstance(item, ProtocolDomain):
        under = {
            "questions": item.questions.count(),
            "prompts": ProtocolPrompt.objects.filter(question__domain=item).count(),
        }
    elif isinstance(item, ProtocolQuestion):
        under = {"prompts": item.prompts.count()}
    _guide_audit(
        item,
        request,
        actor,
        change=f"removed {level.noun}",
        position=item.position,
        text=getattr(item, level.text),
        **under,
    )
    item.delete()
    renumber(ordered(level.model, **{level.owner: owner}))
