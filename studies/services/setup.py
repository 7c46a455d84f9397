"""Study set-up workflows: inclusion criteria and the analysis mode. Each runs in one
transaction and leaves one audit event per change; a request that changes nothing leaves none.

Criteria are an ordered list (studies.services.ordering).
"""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.http import HttpRequest

from studies.audit import Action, audit
from studies.models import AnalysisMode, AnalysisModeChange, InclusionCriterion, Study
from studies.services.ordering import Direction, clean_text, lock, move, ordered, renumber

MIN_JUSTIFICATION = 20  # characters: a reason a reader of the method section can follow
CRITERION_MAX_LENGTH = InclusionCriterion._meta.get_field("text").max_length


# Inclusion criteria ------------------------------------------------------------------------


@transaction.atomic
def criterion_add(
    *, study: Study, text: str, actor: AbstractBaseUser, request: HttpRequest | None = None
) -> InclusionCriterion:
    text = clean_text(text, max_length=CRITERION_MAX_LENGTH, what="criterion")
    lock(study)
    criteria = ordered(InclusionCriterion, study=study)
    renumber(criteria)
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
    text = clean_text(text, max_length=CRITERION_MAX_LENGTH, what="criterion")
    lock(criterion.study)
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
    lock(criterion.study)
    moved = move(ordered(InclusionCriterion, study=criterion.study), criterion, direction)
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
    lock(study)
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
    renumber(ordered(InclusionCriterion, study=study))


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
