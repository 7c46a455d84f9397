"""The study's source projects: the earlier projects whose data it analyses. A save runs in one
transaction and leaves one audit event; a save that changes nothing leaves none.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from studies.audit import Action, audit
from studies.models import Protocol, SourceProject, Study
from studies.services.ordering import clean_text

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
    name = clean_text(name, max_length=120, what="name")
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
