"""Study set-up workflows: inclusion criteria, the analysis mode, source projects and interview
guides. Each runs in one transaction and leaves one audit event per change; a request that
changes nothing leaves none.

Criteria and the three levels of a guide (domain → question → prompt) are ordered lists whose
positions stay 1..n after every change: each change locks the list's owner row, so two people
adding to the same list at once cannot both take the same position.
"""

from dataclasses import dataclass
from typing import Literal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import ProtectedError
from django.http import HttpRequest

from studies.audit import Action, audit
from studies.models import (
    AnalysisMode,
    AnalysisModeChange,
    InclusionCriterion,
    Protocol,
    ProtocolDomain,
    ProtocolPrompt,
    ProtocolQuestion,
    SourceProject,
    Study,
)

Direction = Literal["up", "down"]
GuideItem = ProtocolDomain | ProtocolQuestion | ProtocolPrompt

MIN_JUSTIFICATION = 20  # characters: a reason a reader of the method section can follow
CRITERION_MAX_LENGTH = InclusionCriterion._meta.get_field("text").max_length
GUIDE_TEXT_MAX_LENGTH = 2000  # questions and prompts are TextFields; a guide's line is short


# Ordered lists -----------------------------------------------------------------------------


def _lock(owner: models.Model) -> None:
    """Hold the row that owns a list until the transaction ends."""
    list(type(owner).objects.select_for_update().filter(pk=owner.pk).values_list("pk"))


def _ordered(model: type[models.Model], **owner) -> list:
    return list(model.objects.select_for_update().filter(**owner).order_by("position", "pk"))


def _renumber(items: list) -> None:
    """Positions 1..n in the list's order, writing only the rows whose position moves."""
    moved = []
    for position, item in enumerate(items, start=1):
        if item.position != position:
            item.position = position
            moved.append(item)
    if moved:
        type(moved[0]).objects.bulk_update(moved, ["position"])


def _move(siblings: list, item: models.Model, direction: Direction) -> tuple[int, int] | None:
    """Swap the item with its neighbour; the old and new positions, or None at either end."""
    index = next(i for i, sibling in enumerate(siblings) if sibling.pk == item.pk)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(siblings):
        return None
    siblings[index], siblings[other] = siblings[other], siblings[index]
    _renumber(siblings)
    item.position = other + 1
    return index + 1, other + 1


def _text(value: str, *, max_length: int, what: str) -> str:
    value = value.strip()
    if not value:
        raise ValidationError(f"The {what} needs some text.")
    if len(value) > max_length:
        raise ValidationError(f"The {what} can be at most {max_length} characters long.")
    return value


# Inclusion criteria ------------------------------------------------------------------------


def criterion_at(*, study: Study, position: int, expected: str) -> InclusionCriterion:
    """The criterion the user saw at `position` — criteria have no stable identifier of their
    own, so the text the page showed must still be there."""
    criterion = (
        InclusionCriterion.objects.filter(study=study, position=position).order_by("pk").first()
    )
    if criterion is None or criterion.text != expected:
        raise ValidationError(
            "The inclusion criteria changed since this page was loaded, perhaps by someone "
            "else: nothing was saved. Here is the current list."
        )
    return criterion


@transaction.atomic
def criterion_add(
    *, study: Study, text: str, actor: AbstractBaseUser, request: HttpRequest | None = None
) -> InclusionCriterion:
    text = _text(text, max_length=CRITERION_MAX_LENGTH, what="criterion")
    _lock(study)
    criteria = _ordered(InclusionCriterion, study=study)
    _renumber(criteria)
    criterion = InclusionCriterion.objects.create(
        study=study, position=len(criteria) + 1, text=text
    )
    audit(
        Action.CRITERIA_UPDATE,
        request=request,
        actor=actor,
        study=study,
        target=criterion,
        details={"change": "added", "position": criterion.position, "text": text},
    )
    return criterion


@transaction.atomic
def criterion_edit(
    *,
    criterion: InclusionCriterion,
    text: str,
    actor: AbstractBaseUser,
    request: HttpRequest | None = None,
) -> bool:
    """Reword a criterion; False when the text is unchanged."""
    text = _text(text, max_length=CRITERION_MAX_LENGTH, what="criterion")
    _lock(criterion.study)
    before = InclusionCriterion.objects.values_list("text", flat=True).get(pk=criterion.pk)
    if before == text:
        return False
    criterion.text = text
    criterion.save(update_fields=["text"])
    audit(
        Action.CRITERIA_UPDATE,
        request=request,
        actor=actor,
        study=criterion.study,
        target=criterion,
        details={"change": "edited", "position": criterion.position, "from": before, "to": text},
    )
    return True


@transaction.atomic
def criterion_move(
    *,
    criterion: InclusionCriterion,
    direction: Direction,
    actor: AbstractBaseUser,
    request: HttpRequest | None = None,
) -> bool:
    """Move a criterion one place; False when it is already at that end of the list."""
    _lock(criterion.study)
    moved = _move(_ordered(InclusionCriterion, study=criterion.study), criterion, direction)
    if moved is None:
        return False
    audit(
        Action.CRITERIA_UPDATE,
        request=request,
        actor=actor,
        study=criterion.study,
        target=criterion,
        details={
            "change": f"moved {direction}",
            "text": criterion.text,
            "from": moved[0],
            "to": moved[1],
        },
    )
    return True


@transaction.atomic
def criterion_remove(
    *, criterion: InclusionCriterion, actor: AbstractBaseUser, request: HttpRequest | None = None
) -> None:
    """Remove a criterion, unless participants were screened against it: their screening
    records must keep saying what they were screened for."""
    study = criterion.study
    _lock(study)
    screened = criterion.screening_records.count()
    refused = ValidationError(
        f"“{criterion.text}” cannot be removed: {screened} screening "
        f"{'record refers' if screened == 1 else 'records refer'} to it. Nothing was changed."
    )
    if screened:
        raise refused
    audit(
        Action.CRITERIA_UPDATE,
        request=request,
        actor=actor,
        study=study,
        target=criterion,
        details={"change": "removed", "position": criterion.position, "text": criterion.text},
    )
    try:
        criterion.delete()
    except ProtectedError:  # screened between the count and the delete
        raise refused from None
    _renumber(_ordered(InclusionCriterion, study=study))


# Analysis mode -----------------------------------------------------------------------------


@transaction.atomic
def study_mode_change(
    *,
    study: Study,
    to_mode: str,
    justification: str,
    actor: AbstractBaseUser,
    request: HttpRequest | None = None,
) -> AnalysisModeChange:
    """Switch the study's analysis mode, keeping the reason in the mode history and the log."""
    if to_mode not in AnalysisMode.values:
        raise ValidationError({"to_mode": "Choose one of the analysis modes offered."})
    justification = justification.strip()
    if len(justification) < MIN_JUSTIFICATION:
        raise ValidationError(
            {"justification": f"Give a justification of at least {MIN_JUSTIFICATION} characters."}
        )
    # Locked, so that two leads changing the mode at once record a true "from".
    from_mode = (
        Study.objects.select_for_update().values_list("analysis_mode", flat=True).get(pk=study.pk)
    )
    if from_mode == to_mode:
        raise ValidationError(
            {"to_mode": f"The study already uses {AnalysisMode(to_mode).label.lower()}."}
        )
    change = AnalysisModeChange.objects.create(
        study=study,
        from_mode=from_mode,
        to_mode=to_mode,
        justification=justification,
        changed_by=actor,
    )
    study.analysis_mode = to_mode
    study.save(update_fields=["analysis_mode"])
    audit(
        Action.MODE_CHANGE,
        request=request,
        actor=actor,
        study=study,
        target=study,
        details={"from": from_mode, "to": to_mode, "justification": justification},
    )
    return change


# Source projects ---------------------------------------------------------------------------

SOURCE_PROJECT_FIELDS = (
    "name",
    "ethics_reference",
    "protocol",
    "consent_covers_secondary_analysis",
)


def _project_values(project: SourceProject) -> dict:
    return {
        "name": project.name,
        "ethics_reference": project.ethics_reference,
        "protocol": project.protocol.version if project.protocol else None,
        "consent_covers_secondary_analysis": project.consent_covers_secondary_analysis,
    }


@transaction.atomic
def source_project_save(
    *,
    study: Study,
    project: SourceProject | None,
    name: str,
    ethics_reference: str,
    protocol: Protocol | None,
    consent_covers_secondary_analysis: bool,
    actor: AbstractBaseUser,
    request: HttpRequest | None = None,
) -> SourceProject:
    """Create a source project (`project` None) or change one of the study's."""
    name = _text(name, max_length=120, what="name")
    if protocol is not None and protocol.study_id != study.pk:
        raise ValidationError({"protocol": "Choose one of this study's interview guide versions."})
    duplicate = SourceProject.objects.filter(study=study, name__iexact=name)
    if project is not None:
        duplicate = duplicate.exclude(pk=project.pk)
    if duplicate.exists():
        raise ValidationError({"name": f"This study already has a source project named “{name}”."})
    # What is stored, not what a bound form may already have written onto `project`.
    before = (
        _project_values(SourceProject.objects.select_related("protocol").get(pk=project.pk))
        if project is not None
        else None
    )
    project = project or SourceProject(study=study)
    project.name = name
    project.ethics_reference = ethics_reference.strip()
    project.protocol = protocol
    project.consent_covers_secondary_analysis = consent_covers_secondary_analysis
    try:
        with transaction.atomic():
            project.save()
    except IntegrityError:  # studies_sourceproject_name_unique, under a concurrent save
        raise ValidationError(
            {"name": f"This study already has a source project named “{name}”."}
        ) from None
    after = _project_values(project)
    if before is None:
        details = {"created": True, **after}
    else:
        changed = {
            field: {"from": before[field], "to": after[field]}
            for field in SOURCE_PROJECT_FIELDS
            if before[field] != after[field]
        }
        if not changed:
            return project
        details = {"created": False, "name": name, "changes": changed}
    audit(
        Action.SOURCE_PROJECT_SAVE,
        request=request,
        actor=actor,
        study=study,
        target=project,
        details=details,
    )
    return project


# Interview guides --------------------------------------------------------------------------


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
    version = _text(version, max_length=40, what="version")
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
    _lock(protocol)
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
    text = _text(text, max_length=level.max_length, what=level.noun)
    _lock(owner)
    siblings = _ordered(level.model, **{level.owner: owner})
    _renumber(siblings)
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
    text = _text(text, max_length=level.max_length, what=level.noun)
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
    _lock(owner)
    moved = _move(_ordered(level.model, **{level.owner: owner}), item, direction)
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
    _lock(owner)
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
    _renumber(_ordered(level.model, **{level.owner: owner}))
