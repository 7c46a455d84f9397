"""The lead's page for who is in a study and in which role."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from studies.access import study_access
from studies.forms import MemberAddForm, MembershipForm
from studies.models import Membership, Role
from studies.services import studies as study_services


def _render_members(
    request, study, actor, *, add_form=None, errors=None, status=200
) -> HttpResponse:
    """The members page, or only its table region for htmx. A lead who is not a custodian sees
    custodians' rows without controls: only a custodian may change them."""
    memberships = Membership.objects.filter(study=study).select_related("user")
    rows = [
        (member, MembershipForm(instance=member, prefix=member.user.username, actor=actor))
        if actor.is_custodian or member.role != Role.CUSTODIAN
        else (member, None)
        for member in memberships
    ]
    context = {
        "study": study,
        "rows": rows,
        "add_form": add_form or MemberAddForm(actor=actor),
        "errors": errors or [],
        "roles": Role,
    }
    template = "studies/members.html#members" if request.htmx else "studies/members.html"
    return render(request, template, context, status=status)


@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
def members(request: HttpRequest, study: str) -> HttpResponse:
    study, actor = study_access(request, study, Role.LEAD)
    if request.method == "GET":
        return _render_members(request, study, actor)
    form = MemberAddForm(request.POST, actor=actor)
    if form.is_valid():
        user = form.cleaned_data["user"]
        try:
            study_services.membership_add(
                actor=actor,
                user=user,
                role=form.cleaned_data["role"],
                expires_on=form.cleaned_data["expires_on"],
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                f"{user.get_username()} added as {Role(form.cleaned_data['role']).label.lower()}.",
            )
            if request.htmx:
                return _render_members(request, study, actor)
            return redirect("study-members", study=study.slug)
    return _render_members(request, study, actor, add_form=form, status=422)


@vary_on_headers("HX-Request")
@require_POST
def member_change(request: HttpRequest, study: str, username: str) -> HttpResponse:
    study, actor = study_access(request, study, Role.LEAD)
    membership = get_object_or_404(
        Membership.objects.select_related("user"), study=study, user__username=username
    )
    form = MembershipForm(
        request.POST, instance=Membership(role=membership.role), prefix=username, actor=actor
    )
    errors = []
    if form.is_valid():
        try:
            study_services.membership_change(
                actor=actor,
                membership=membership,
                role=form.cleaned_data["role"],
                expires_on=form.cleaned_data["expires_on"],
                request=request,
            )
        except ValidationError as error:
            errors = [f"{username}: {message}" for message in error.messages]
    else:
        errors = [
            f"{username}: {message}"
            for field_errors in form.errors.values()
            for message in field_errors
        ]
    if not errors:
        messages.success(request, f"Saved {username}'s membership.")
        if request.htmx:
            return _render_members(request, study, actor)
        return redirect("study-members", study=study.slug)
    return _render_members(request, study, actor, errors=errors, status=422)


@vary_on_headers("HX-Request")
@require_POST
def member_remove(request: HttpRequest, study: str, username: str) -> HttpResponse:
    study, actor = study_access(request, study, Role.LEAD)
    membership = get_object_or_404(
        Membership.objects.select_related("user"), study=study, user__username=username
    )
    try:
        study_services.membership_remove(actor=actor, membership=membership, request=request)
    except ValidationError as error:
        return _render_members(
            request, study, actor, errors=[f"{username}: {m}" for m in error.messages], status=422
        )
    messages.success(request, f"{username} is no longer a member of this study.")
    if membership.user_id == request.user.pk:
        if request.htmx:
            return HttpResponseClientRedirect(reverse("study-list"))
        return redirect("study-list")
    if request.htmx:
        return _render_members(request, study, actor)
    return redirect("study-members", study=study.slug)
