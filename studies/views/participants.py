"""Participants as the analysis knows them: pseudonyms, source projects and attributes."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from studies.access import study_access
from studies.exports import csv_bytes, docx_table_bytes, download
from studies.forms.participants import (
    AttributeDefinitionForm,
    ParticipantCreateForm,
    ParticipantForm,
)
from studies.models import AttributeDefinition, Participant, Role, SourceProject, Study
from studies.services import participants as participant_services


def _table(study: Study, source_project: SourceProject | None):
    """The attributes and, per participant, their values in the attributes' order."""
    attributes = list(AttributeDefinition.objects.filter(study=study))
    participants = (
        Participant.objects.filter(study=study)
        .select_related("source_project")
        .prefetch_related("attribute_values")
        .order_by("created_at", "id")
    )
    if source_project is not None:
        participants = participants.filter(source_project=source_project)
    rows = []
    for participant in participants:
        values = {value.attribute_id: value.value for value in participant.attribute_values.all()}
        rows.append((participant, [values.get(attribute.pk, "") for attribute in attributes]))
    return attributes, rows


def _source_filter(request: HttpRequest, study: Study) -> SourceProject | None:
    uuid = request.GET.get("source")
    if not uuid:
        return None
    try:
        return SourceProject.objects.get(study=study, uuid=uuid)
    except (SourceProject.DoesNotExist, ValidationError):
        raise Http404("No such source project in this study.") from None


def participant_list(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study)
    source_project = _source_filter(request, study)
    attributes, rows = _table(study, source_project)
    return render(
        request,
        "studies/participants/list.html",
        {
            "study": study,
            "attributes": attributes,
            "rows": rows,
            "source_projects": SourceProject.objects.filter(study=study),
            "source_project": source_project,
        },
    )


def participant_table_export(request: HttpRequest, study: str, fmt: str) -> HttpResponse:
    """The participants table (a paper's "Table 2") as .docx or CSV."""
    study, member = study_access(request, study)
    if fmt not in {"csv", "docx"}:
        raise Http404
    source_project = _source_filter(request, study)
    attributes, rows = _table(study, source_project)
    header = ["Participant", "Source project", *(attribute.name for attribute in attributes)]
    lines = [
        [participant.pseudonym, participant.source_project.name, *values]
        for participant, values in rows
    ]
    content = (
        csv_bytes(header, lines)
        if fmt == "csv"
        else docx_table_bytes("Table 2. Participants", header, lines, landscape=len(header) > 6)
    )
    return download(
        request=request, study=study, what="participants", content=content, extension=fmt
    )


@require_http_methods(["GET", "POST"])
def participant_create(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study, Role.CUSTODIAN)
    attributes = list(AttributeDefinition.objects.filter(study=study))
    form = ParticipantCreateForm(
        request.POST or None,
        study=study,
        attributes=attributes,
        initial={"pseudonym": Participant.objects.next_pseudonym(study)},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        participant = participant_services.participant_create(
            request=request,
            member=member,
            pseudonym=data["pseudonym"],
            source_project=data["source_project"],
            attributes=data["attributes"],
            real_name=data["real_name"],
            contact=data["contact"],
            original_id=data["original_id"],
        )
        messages.success(request, f"{participant.pseudonym} added. Record their consent next.")
        return redirect("vault-participant", study=study.slug, participant=participant.uuid)
    return render(
        request,
        "studies/participants/create.html",
        {
            "study": study,
            "form": form,
            "has_source_projects": form.fields["source_project"].queryset.exists(),
        },
        status=422 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
def participant_edit(request: HttpRequest, study: str, participant: str) -> HttpResponse:
    study, member = study_access(request, study, Role.LEAD)
    participant = get_object_or_404(
        Participant.objects.select_related("source_project"), study=study, uuid=participant
    )
    attributes = list(AttributeDefinition.objects.filter(study=study))
    values = {value.attribute_id: value.value for value in participant.attribute_values.all()}
    initial = {
        "pseudonym": participant.pseudonym,
        "source_project": participant.source_project.uuid,
        **{
            ParticipantForm.field_name(attribute): values.get(attribute.pk, "")
            for attribute in attributes
        },
    }
    form = ParticipantForm(
        request.POST or None,
        study=study,
        attributes=attributes,
        participant=participant,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        participant_services.participant_update(
            request=request,
            participant=participant,
            pseudonym=data["pseudonym"],
            source_project=data["source_project"],
            attributes=data["attributes"],
        )
        messages.success(request, f"Saved {participant.pseudonym}.")
        return redirect("study-participants", study=study.slug)
    return render(
        request,
        "studies/participants/edit.html",
        {"study": study, "participant": participant, "form": form},
        status=422 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
def attribute_list(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study, Role.LEAD)
    form = AttributeDefinitionForm(
        request.POST or None, study=study, instance=AttributeDefinition(study=study)
    )
    if request.method == "POST" and form.is_valid():
        attribute = participant_services.attribute_save(
            request=request, attribute=form.save(commit=False)
        )
        messages.success(request, f"Attribute “{attribute.name}” added.")
        return redirect("study-attributes", study=study.slug)
    return render(
        request,
        "studies/participants/attributes.html",
        {
            "study": study,
            "form": form,
            "attributes": AttributeDefinition.objects.filter(study=study),
        },
        status=422 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
def attribute_edit(request: HttpRequest, study: str, attribute: str) -> HttpResponse:
    study, member = study_access(request, study, Role.LEAD)
    attribute = get_object_or_404(AttributeDefinition, study=study, uuid=attribute)
    form = AttributeDefinitionForm(request.POST or None, study=study, instance=attribute)
    if request.method == "POST" and form.is_valid():
        participant_services.attribute_save(request=request, attribute=form.save(commit=False))
        messages.success(request, f"Attribute “{attribute.name}” saved.")
        return redirect("study-attributes", study=study.slug)
    return render(
        request,
        "studies/participants/attribute_edit.html",
        {"study": study, "form": form, "attribute": attribute},
        status=422 if form.is_bound else 200,
    )


@require_POST
def attribute_delete(request: HttpRequest, study: str, attribute: str) -> HttpResponse:
    study, member = study_access(request, study, Role.LEAD)
    attribute = get_object_or_404(AttributeDefinition, study=study, uuid=attribute)
    if request.POST.get("confirm") != "yes":
        messages.error(
            request, f"Tick the box to confirm removing “{attribute.name}” and every value of it."
        )
        return redirect("study-attribute-edit", study=study.slug, attribute=attribute.uuid)
    participant_services.attribute_delete(request=request, attribute=attribute)
    messages.success(request, f"Attribute “{attribute.name}” removed.")
    return redirect("study-attributes", study=study.slug)
