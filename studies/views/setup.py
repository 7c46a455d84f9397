"""The lead's set-up page (inclusion criteria, analysis mode) and the study's source projects."""

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from studies.access import study_access
from studies.forms.setup import CriterionForm, ModeChangeForm, MoveForm, SourceProjectForm
from studies.models import AnalysisModeChange, InclusionCriterion, Role, SourceProject
from studies.services import setup as setup_services
from studies.services import sources as source_services

SETUP = "studies/setup/setup.html"


def _render_setup(
    request,
    study,
    *,
    region: str | None = None,
    criterion_form=None,
    mode_form=None,
    errors=(),
    status=200,
) -> HttpResponse:
    """The set-up page, or one of its regions ("criteria", "mode") for htmx."""
    context = {
        "study": study,
        "criteria": InclusionCriterion.objects.filter(study=study)
        .annotate(screenings=Count("screening_records"))
        .order_by("position", "pk"),
        "criterion_form": criterion_form or CriterionForm(),
        "criterion_errors": errors if region == "criteria" else (),
        "mode_form": mode_form or ModeChangeForm(study=study),
        "mode_changes": AnalysisModeChange.objects.filter(study=study).select_related("changed_by"),
    }
    template = f"{SETUP}#{region}" if request.htmx and region else SETUP
    return render(request, template, context, status=status)


def _criteria_done(request, study) -> HttpResponse:
    if request.htmx:
        return _render_setup(request, study, region="criteria")
    return redirect("study-setup", study=study.slug)


def _criteria_refused(request, study, errors) -> HttpResponse:
    return _render_setup(request, study, region="criteria", errors=errors, status=422)


def _form_errors(form) -> list[str]:
    return [message for messages_ in form.errors.values() for message in messages_]


@require_safe
def study_setup(request: HttpRequest, study: str) -> HttpResponse:
    study, _member = study_access(request, study, Role.LEAD)
    return _render_setup(request, study)


@vary_on_headers("HX-Request")
@require_POST
def criterion_add(request: HttpRequest, study: str) -> HttpResponse:
    study, _member = study_access(request, study, Role.LEAD)
    form = CriterionForm(request.POST)
    if form.is_valid():
        criterion = setup_services.criterion_add(
            study=study, text=form.cleaned_data["text"], actor=request.user, request=request
        )
        messages.success(request, f"Criterion {criterion.position} added.")
        return _criteria_done(request, study)
    return _render_setup(request, study, region="criteria", criterion_form=form, status=422)


@vary_on_headers("HX-Request")
@require_POST
def criterion_edit(request: HttpRequest, study: str, criterion: UUID) -> HttpResponse:
    study, _member = study_access(request, study, Role.LEAD)
    criterion = get_object_or_404(InclusionCriterion, study=study, uuid=criterion)
    form = CriterionForm(request.POST)
    if not form.is_valid():
        return _criteria_refused(
            request, study, [f"Criterion {criterion.position}: {m}" for m in _form_errors(form)]
        )
    try:
        changed = setup_services.criterion_edit(
            criterion=criterion, text=form.cleaned_data["text"], actor=request.user, request=request
        )
    except ValidationError as error:
        return _criteria_refused(request, study, error.messages)
    if changed:
        messages.success(request, f"Criterion {criterion.position} saved.")
    return _criteria_done(request, study)


@vary_on_headers("HX-Request")
@require_POST
def criterion_move(request: HttpRequest, study: str, criterion: UUID) -> HttpResponse:
    study, _member = study_access(request, study, Role.LEAD)
    criterion = get_object_or_404(InclusionCriterion, study=study, uuid=criterion)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _criteria_refused(request, study, _form_errors(form))
    if setup_services.criterion_move(
        criterion=criterion,
        direction=form.cleaned_data["direction"],
        actor=request.user,
        request=request,
    ):
        messages.success(request, f"Criterion moved to position {criterion.position}.")
    return _criteria_done(request, study)


@vary_on_headers("HX-Request")
@require_POST
def criterion_remove(request: HttpRequest, study: str, criterion: UUID) -> HttpResponse:
    study, _member = study_access(request, study, Role.LEAD)
    criterion = get_object_or_404(InclusionCriterion, study=study, uuid=criterion)
    try:
        setup_services.criterion_remove(criterion=criterion, actor=request.user, request=request)
    except ValidationError as error:
        return _criteria_refused(request, study, error.messages)
    messages.success(request, f"Criterion “{criterion.text}” removed.")
    return _criteria_done(request, study)


@vary_on_headers("HX-Request")
@require_POST
def mode_change(request: HttpRequest, study: str) -> HttpResponse:
    study, _member = study_access(request, study, Role.LEAD)
    form = ModeChangeForm(request.POST, study=study)
    if form.is_valid():
        try:
            change = setup_services.study_mode_change(
                study=study,
                to_mode=form.cleaned_data["to_mode"],
                justification=form.cleaned_data["justification"],
                actor=request.user,
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"The study now uses {change.get_to_mode_display().lower()}.")
            if request.htmx:
                return _render_setup(request, study, region="mode")
            return redirect("study-setup", study=study.slug)
    return _render_setup(request, study, region="mode", mode_form=form, status=422)


# Source projects ---------------------------------------------------------------------------


@require_safe
def source_projects(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study)
    projects = SourceProject.objects.filter(study=study).select_related("protocol")
    return render(
        request,
        "studies/setup/source_projects.html",
        {"study": study, "projects": projects, "can_edit": member.is_lead},
    )


def _save_source_project(request, study, project: SourceProject | None) -> HttpResponse:
    form = SourceProjectForm(request.POST or None, instance=project, study=study)
    if request.method == "POST":
        if form.is_valid():
            try:
                saved = source_services.source_project_save(
                    study=study,
                    project=project,
                    actor=request.user,
                    request=request,
                    **form.cleaned_data,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"Source project “{saved.name}” saved.")
                return redirect("study-source-projects", study=study.slug)
        status = 422
    else:
        status = 200
    return render(
        request,
        "studies/setup/source_project_form.html",
        {"study": study, "form": form, "project": project},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def source_project_new(request: HttpRequest, study: str) -> HttpResponse:
    study, _member = study_access(request, study, Role.LEAD)
    return _save_source_project(request, study, None)


@require_http_methods(["GET", "POST"])
def source_project_edit(request: HttpRequest, study: str, project: UUID) -> HttpResponse:
    study, _member = study_access(request, study, Role.LEAD)
    project = get_object_or_404(SourceProject, study=study, uuid=project)
    return _save_source_project(request, study, project)
