"""Interview guides: the versions, one guide read or edited in place, and its export as the
paper's table of the interview protocol."""

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from studies.access import study_access
from studies.exports import csv_bytes, docx_table_bytes, download
from studies.forms.setup import GuideItemForm, MoveForm, ProtocolCreateForm
from studies.models import (
    Protocol,
    ProtocolDomain,
    ProtocolPrompt,
    ProtocolQuestion,
    Role,
    SourceProject,
)
from studies.services import guides as guide_services
from studies.services.guides import CHILD_LEVEL, GuideItem, guide_level

PAGE = "studies/setup/protocol.html"
TABLE_HEADER = ("Domain", "Questions", "Follow-up prompts")


@require_safe
def protocols(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study)
    versions = (
        Protocol.objects.filter(study=study)
        .annotate(
            domain_count=Count("domains", distinct=True),
            question_count=Count("domains__questions", distinct=True),
        )
        .prefetch_related(
            Prefetch("source_projects", queryset=SourceProject.objects.order_by("name"))
        )
        .order_by("version")
    )
    return render(
        request,
        "studies/setup/protocols.html",
        {"study": study, "versions": versions, "can_edit": member.is_lead},
    )


@require_http_methods(["GET", "POST"])
def protocol_new(request: HttpRequest, study: str) -> HttpResponse:
    study, _member = study_access(request, study, Role.LEAD)
    initial = {"copy_from": request.GET.get("copy", "")}
    form = ProtocolCreateForm(request.POST or None, study=study, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                protocol = guide_services.protocol_create(
                    study=study,
                    version=form.cleaned_data["version"],
                    copy_from=form.cleaned_data["copy_from"],
                    actor=request.user,
                    request=request,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"Version {protocol.version} created.")
                return redirect("study-protocol", study=study.slug, protocol=protocol.uuid)
        status = 422
    return render(
        request, "studies/setup/protocol_new.html", {"study": study, "form": form}, status=status
    )


def _guide(study, uuid: UUID) -> Protocol:
    """A version of the study's guide with everything in it, in order."""
    return get_object_or_404(
        Protocol.objects.prefetch_related("domains__questions__prompts"), study=study, uuid=uuid
    )


def _page_context(study, member, protocol, **extra) -> dict:
    return {
        "study": study,
        "protocol": protocol,
        "can_edit": member.is_lead,
        "used_by": protocol.source_projects.order_by("name"),
        **extra,
    }


@require_safe
def protocol_detail(request: HttpRequest, study: str, protocol: UUID) -> HttpResponse:
    study, member = study_access(request, study)
    protocol = _guide(study, protocol)
    return render(request, PAGE, _page_context(study, member, protocol))


@require_POST
def protocol_delete(request: HttpRequest, study: str, protocol: UUID) -> HttpResponse:
    study, member = study_access(request, study, Role.LEAD)
    protocol = _guide(study, protocol)
    try:
        guide_services.protocol_delete(protocol=protocol, actor=request.user, request=request)
    except ValidationError as error:
        context = _page_context(study, member, protocol, errors=error.messages)
        return render(request, PAGE, context, status=422)
    messages.success(request, f"Version {protocol.version} deleted.")
    return redirect("study-protocols", study=study.slug)


def protocol_table_rows(protocol: Protocol, *, repeat_domain: bool) -> list[tuple[str, str, str]]:
    """Table 3 of a paper: one row per question with its prompts, one per line. A domain is
    named on every row (`repeat_domain`, for a spreadsheet) or only on its first (for print)."""
    rows = []
    for domain in protocol.domains.all():
        questions = list(domain.questions.all())
        if not questions:
            rows.append((domain.title, "", ""))
        for n, question in enumerate(questions):
            prompts = "\n".join(prompt.text for prompt in question.prompts.all())
            named = domain.title if repeat_domain or n == 0 else ""
            rows.append((named, question.text, prompts))
    return rows


@require_safe
def protocol_export(
    request: HttpRequest, study: str, protocol: UUID, extension: str
) -> HttpResponse:
    study, _member = study_access(request, study)
    if extension not in {"csv", "docx"}:
        raise Http404
    protocol = _guide(study, protocol)
    if extension == "csv":
        content = csv_bytes(TABLE_HEADER, protocol_table_rows(protocol, repeat_domain=True))
    else:
        content = docx_table_bytes(
            f"Interview protocol (guide version {protocol.version})",
            TABLE_HEADER,
            protocol_table_rows(protocol, repeat_domain=False),
        )
    return download(
        request=request,
        study=study,
        what=f"interview-guide-{slugify(protocol.version) or 'version'}",
        content=content,
        extension=extension,
        details={"version": protocol.version},
    )


# Editing in place --------------------------------------------------------------------------
#
# Every change answers htmx with the smallest region that changed: the item itself when its
# words change, its owner (the whole guide, a domain or a question) when the owner's list
# changes. A plain form gets a redirect back to the item, or the page with the error in place.

REGION_OF = {
    Protocol: "guide",
    ProtocolDomain: "domain",
    ProtocolQuestion: "question",
    ProtocolPrompt: "prompt",
}


def _item(protocol: Protocol, kind: str, uuid: UUID) -> GuideItem:
    """An item of this version, with its owners (for the audit log's wording)."""
    if kind == "domain":
        items = ProtocolDomain.objects.filter(protocol=protocol)
    elif kind == "question":
        items = ProtocolQuestion.objects.filter(domain__protocol=protocol).select_related("domain")
    elif kind == "prompt":
        items = ProtocolPrompt.objects.filter(question__domain__protocol=protocol).select_related(
            "question__domain"
        )
    else:
        raise Http404
    item = get_object_or_404(items, uuid=uuid)
    _attach(item, protocol)
    return item


def _attach(item, protocol: Protocol) -> None:
    """Point the item's chain of owners at the version already loaded."""
    while not isinstance(item, ProtocolDomain):
        item = getattr(item, guide_level(item).owner)
    item.protocol = protocol


def _region(region: Protocol | GuideItem) -> Protocol | GuideItem:
    """The region fresh from the database, with everything it shows."""
    if isinstance(region, Protocol):
        return Protocol.objects.prefetch_related("domains__questions__prompts").get(pk=region.pk)
    if isinstance(region, ProtocolDomain):
        return ProtocolDomain.objects.prefetch_related("questions__prompts").get(pk=region.pk)
    if isinstance(region, ProtocolQuestion):
        return (
            ProtocolQuestion.objects.select_related("domain")
            .prefetch_related("prompts")
            .get(pk=region.pk)
        )
    return ProtocolPrompt.objects.select_related("question").get(pk=region.pk)


def _anchor(region: Protocol | GuideItem) -> str:
    if isinstance(region, Protocol):
        return "guide"
    return f"{guide_level(region).noun}-{region.uuid}"


def _answer(
    request, study, member, protocol, region: Protocol | GuideItem, *, invalid=None, failed=False
) -> HttpResponse:
    """The answer to a change of the guide: `region` is what the change touched; `invalid`
    names the form that was refused, to show again with its errors."""
    failed = failed or invalid is not None
    if not request.htmx:
        if failed:
            context = _page_context(study, member, _guide(study, protocol.uuid), invalid=invalid)
            return render(request, PAGE, context, status=422)
        url = reverse("study-protocol", args=[study.slug, protocol.uuid])
        return redirect(f"{url}#{_anchor(region)}")
    name = REGION_OF[type(region)]
    context = _page_context(study, member, protocol, invalid=invalid, **{name: _region(region)})
    if name == "guide":
        context["protocol"] = context.pop("guide")
    html = render_to_string(f"{PAGE}#{name}", context, request)
    html += render_to_string("includes/messages.html", {"oob": True}, request)
    return HttpResponse(html, status=422 if failed else 200)


def _invalid(action: str, uuid: UUID, form) -> dict:
    return {"action": action, "uuid": uuid, "form": form}


@vary_on_headers("HX-Request")
@require_POST
def guide_domain_add(request: HttpRequest, study: str, protocol: UUID) -> HttpResponse:
    study, member = study_access(request, study, Role.LEAD)
    protocol = get_object_or_404(Protocol, study=study, uuid=protocol)
    return _add(request, study, member, protocol, owner=protocol)


@vary_on_headers("HX-Request")
@require_POST
def guide_item_add(
    request: HttpRequest, study: str, protocol: UUID, kind: str, item: UUID
) -> HttpResponse:
    """Add a question to a domain, or a prompt to a question."""
    study, member = study_access(request, study, Role.LEAD)
    protocol = get_object_or_404(Protocol, study=study, uuid=protocol)
    if kind == "prompt":
        raise Http404  # a prompt holds nothing
    return _add(request, study, member, protocol, owner=_item(protocol, kind, item))


def _add(request, study, member, protocol, *, owner) -> HttpResponse:
    level = CHILD_LEVEL[type(owner)]
    form = GuideItemForm(request.POST, kind=level.noun)
    if not form.is_valid():
        return _answer(
            request, study, member, protocol, owner, invalid=_invalid("add", owner.uuid, form)
        )
    try:
        added = guide_services.guide_item_add(
            owner=owner, text=form.cleaned_data["text"], actor=request.user, request=request
        )
    except ValidationError as error:
        form.add_error("text", error)
        return _answer(
            request, study, member, protocol, owner, invalid=_invalid("add", owner.uuid, form)
        )
    messages.success(request, f"{level.noun.capitalize()} {added.position} added.")
    return _answer(request, study, member, protocol, owner)


@vary_on_headers("HX-Request")
@require_POST
def guide_item_edit(
    request: HttpRequest, study: str, protocol: UUID, kind: str, item: UUID
) -> HttpResponse:
    study, member = study_access(request, study, Role.LEAD)
    protocol = get_object_or_404(Protocol, study=study, uuid=protocol)
    item = _item(protocol, kind, item)
    form = GuideItemForm(request.POST, kind=kind)
    if form.is_valid():
        try:
            changed = guide_services.guide_item_edit(
                item=item, text=form.cleaned_data["text"], actor=request.user, request=request
            )
        except ValidationError as error:
            form.add_error("text", error)
        else:
            if changed:
                messages.success(request, f"{kind.capitalize()} saved.")
            return _answer(request, study, member, protocol, item)
    return _answer(
        request, study, member, protocol, item, invalid=_invalid("edit", item.uuid, form)
    )


def _owner_of(protocol: Protocol, item: GuideItem) -> Protocol | GuideItem:
    owner = getattr(item, guide_level(item).owner)
    return protocol if isinstance(owner, Protocol) else owner


@vary_on_headers("HX-Request")
@require_POST
def guide_item_move(
    request: HttpRequest, study: str, protocol: UUID, kind: str, item: UUID
) -> HttpResponse:
    study, member = study_access(request, study, Role.LEAD)
    protocol = get_object_or_404(Protocol, study=study, uuid=protocol)
    item = _item(protocol, kind, item)
    form = MoveForm(request.POST)
    if not form.is_valid():  # only a hand-made request sends no direction
        messages.error(request, "Choose to move up or down: nothing was changed.")
        return _answer(request, study, member, protocol, _owner_of(protocol, item), failed=True)
    if guide_services.guide_item_move(
        item=item, direction=form.cleaned_data["direction"], actor=request.user, request=request
    ):
        messages.success(request, f"{kind.capitalize()} moved to position {item.position}.")
    return _answer(request, study, member, protocol, _owner_of(protocol, item))


@vary_on_headers("HX-Request")
@require_POST
def guide_item_remove(
    request: HttpRequest, study: str, protocol: UUID, kind: str, item: UUID
) -> HttpResponse:
    study, member = study_access(request, study, Role.LEAD)
    protocol = get_object_or_404(Protocol, study=study, uuid=protocol)
    item = _item(protocol, kind, item)
    owner = _owner_of(protocol, item)
    guide_services.guide_item_remove(item=item, actor=request.user, request=request)
    messages.success(request, f"{kind.capitalize()} removed.")
    return _answer(request, study, member, protocol, owner)
