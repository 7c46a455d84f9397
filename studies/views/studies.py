from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from studies.access import study_access
from studies.forms import StudyForm
from studies.forms.setup import StudyDetailsForm
from studies.models import Membership, Protocol, Role
from studies.services import studies as study_services


def study_list(request: HttpRequest) -> HttpResponse:
    memberships = (
        Membership.objects.active()
        .filter(user=request.user)
        .select_related("study")
        .order_by("study__title")
    )
    return render(request, "studies/study_list.html", {"memberships": memberships})


@require_http_methods(["GET", "POST"])
def study_create(request: HttpRequest) -> HttpResponse:
    form = StudyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        study = study_services.study_create(
            creator=request.user, request=request, **form.cleaned_data
        )
        messages.success(request, f"Study “{study.title}” created. You are its custodian and lead.")
        return redirect("study-home", study=study.slug)
    return render(request, "studies/study_create.html", {"form": form})


def study_home(request: HttpRequest, study: str) -> HttpResponse:
    study, _member = study_access(request, study)
    protocol = (
        Protocol.objects.filter(study=study)
        .prefetch_related("domains__questions__prompts")
        .order_by("-version")
        .first()
    )
    return render(request, "studies/study_home.html", {"study": study, "protocol": protocol})


@require_http_methods(["GET", "POST"])
def study_settings(request: HttpRequest, study: str) -> HttpResponse:
    study, _member = study_access(request, study, Role.LEAD)
    form = StudyDetailsForm(request.POST or None, instance=study)
    if request.method == "POST" and form.is_valid():
        changes = {field: form.cleaned_data[field] for field in form.changed_data}
        study_services.study_update(study=study, actor=request.user, request=request, **changes)
        messages.success(request, "Study details saved.")
        return redirect("study-home", study=study.slug)
    return render(
        request,
        "studies/study_settings.html",
        {"study": study, "form": form},
        status=422 if form.is_bound else 200,
    )
