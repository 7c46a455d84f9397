"""The codebook: every code the member may see, in its hierarchy, with its definition and its
codings counted per coder and per transcript (under the blind rule); and a code's own page, with
its history and the forms that rename, redefine, merge, split and retire it."""

from collections import Counter, defaultdict
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, Q
from django.db.models.functions import Substr
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import Truncator
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from coding import codebook
from coding.forms_codebook import (
    COLOUR_NAMES,
    CodeMergeForm,
    CodeRedefineForm,
    CodeRenameForm,
    CodeRetireForm,
    CodeSplitForm,
)
from coding.models import PALETTE, Code, CodeEvent, CodeKind, Coding
from studies.access import study_access
from studies.models import Membership, Role, Study
from studies.revisions import posted_revision

PAGE = "coding/codebook.html"
CODE_PAGE = "coding/codebook_code.html"
CHANGED = "codebook-changed"  # the htmx event other regions may listen for


def _tree(codes: list[Code]) -> list[tuple[str, Code | None]]:
    """The live codes as steps through nested lists: ("item", code) opens a code, ("down", None)
    and ("up", None) wrap its sub-codes, ("end", None) closes it. A code whose parent is hidden
    from the member stands at the top."""
    by_pk = {code.pk: code for code in codes}
    children: dict[int, list[Code]] = defaultdict(list)
    roots = []
    for code in codes:  # in label order
        (children[code.parent_id] if code.parent_id in by_pk else roots).append(code)
    steps: list[tuple[str, Code | None]] = []
    seen: set[int] = set()

    def visit(code: Code) -> None:
        seen.add(code.pk)
        steps.append(("item", code))
        below = [child for child in children[code.pk] if child.pk not in seen]
        if below:
            steps.append(("down", None))
            for child in below:
                visit(child)
            steps.append(("up", None))
        steps.append(("end", None))

    for code in roots + codes:  # every code once, even in a (forbidden) cycle
        if code.pk not in seen:
            visit(code)
    return steps


def codebook_page(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study)
    codes = list(Code.objects.visible_to(member).select_related("created_by"))
    codings = Coding.objects.visible_to(member)
    by_coder: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for row in (
        codings.values("code_id", coder_name=F("coder__username"))
        .annotate(n=Count("pk"))
        .order_by("coder_name")
    ):
        by_coder[row["code_id"]].append((row["coder_name"], row["n"]))
    by_transcript: dict[int, list[dict]] = defaultdict(list)
    for row in (
        codings.values(
            "code_id",
            transcript_uuid=F("version__transcript__uuid"),
            title=F("version__transcript__title"),
        )
        .annotate(n=Count("pk"))
        .order_by("title")
    ):
        by_transcript[row["code_id"]].append(row)
    for code in codes:
        code.by_coder, code.by_transcript = by_coder[code.pk], by_transcript[code.pk]
        code.total = sum(n for _name, n in code.by_coder)
    live = [code for code in codes if code.retired_at is None]
    retired = sorted(
        (code for code in codes if code.retired_at is not None),
        key=lambda code: code.retired_at,
        reverse=True,
    )
    return render(
        request,
        PAGE,
        {
            "study": study,
            "member": member,
            "tree": _tree(live),
            "live_count": len(live),
            "retired": retired,
            "blinded": codebook.member_is_blinded(member),
        },
    )


@dataclass(frozen=True)
class Line:
    """One line of an event's details: text, then a link to a code (if the member may see it),
    then the rest."""

    text: str
    code: Code | None = None
    rest: str = ""


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _colour_name(colour: str) -> str:
    return COLOUR_NAMES[PALETTE.index(colour)] if colour in PALETTE else colour


def _refs(event: CodeEvent) -> list[str]:
    """The uuids of the other codes an event names."""
    details = event.details
    if event.kind == CodeEvent.Kind.REDEFINED:
        parent = details.get("parent") or {}
        return [uuid for uuid in (parent.get("from"), parent.get("to")) if uuid]
    keys = {
        CodeEvent.Kind.MERGED: ("into", "from"),
        CodeEvent.Kind.SPLIT: ("into",),
        CodeEvent.Kind.CREATED: ("split_from",),
    }.get(event.kind, ())
    return [details[key] for key in keys if details.get(key)]


def _lines(event: CodeEvent, codes: dict[str, Code], show_counts: bool) -> list[Line]:
    """An event's details for people. Codes are named only if the member may see them, and
    counts (recorded over everybody's codings) only if no open round hides any from them."""
    details, kind = event.details, event.kind

    def ref(text: str, uuid: str, rest: str = "") -> Line:
        code = codes.get(uuid)
        return Line(text, code, rest) if code else Line(text + "a code hidden from you" + rest)

    def moved(suffix: str = "") -> str:
        if not show_counts:
            return "."
        return f": {_n(details.get('moved', 0), 'coding')} moved{suffix}."

    if kind == CodeEvent.Kind.RENAMED:
        return [Line(f"“{details['from']}” → “{details['to']}”")]
    if kind == CodeEvent.Kind.CREATED and details.get("split_from"):
        return [ref("Split off from ", details["split_from"], moved())]
    if kind == CodeEvent.Kind.SPLIT:
        return [ref("Split off ", details["into"], moved())]
    if kind == CodeEvent.Kind.MERGED:
        removed = details.get("duplicates_removed", 0)
        suffix = f", {_n(removed, 'duplicate')} removed" if removed else ""
        if details.get("into"):
            return [ref("Merged into ", details["into"], moved(suffix))]
        return [ref("Merged in ", details["from"], moved(suffix))]
    if kind == CodeEvent.Kind.RETIRED:
        lines = []
        if show_counts:
            lines.append(Line(f"{_n(details.get('codings_kept', 0), 'coding')} kept."))
        if details.get("subcodes_moved_up"):
            lines.append(Line(f"{_n(details['subcodes_moved_up'], 'sub-code')} moved up."))
        return lines
    lines = []
    if kind == CodeEvent.Kind.REDEFINED:
        if "description" in details:
            before = details["description"]["from"]
            was = f"“{Truncator(before).chars(300)}”" if before else "empty"
            lines.append(Line(f"Definition changed; it was {was}."))
        if "kind" in details:
            labels = dict(CodeKind.choices)
            change = details["kind"]
            lines.append(Line(f"Kind: {labels[change['from']]} → {labels[change['to']]}."))
        if "colour" in details:
            change = details["colour"]
            lines.append(
                Line(f"Colour: {_colour_name(change['from'])} → {_colour_name(change['to'])}.")
            )
        if "parent" in details:
            change = details["parent"]
            if change["from"]:
                lines.append(ref("Was under ", change["from"], "."))
            lines.append(
                ref("Now under ", change["to"], ".") if change["to"] else Line("Now at the top.")
            )
    return lines


def _codings(member: Membership, code: Code) -> list[Coding]:
    """The code's codings the member may see, each with its `excerpt` cut by the database (in
    code points, as the offsets count)."""
    return list(
        Coding.objects.visible_to(member)
        .filter(code=code)
        .select_related("coder", "version__transcript")
        .defer("version__text")
        .annotate(excerpt=Substr("version__text", F("start") + 1, F("end") - F("start")))
        .order_by("version__transcript__title", "start", "end")
    )


def _descendants(pairs: list[tuple[int, int | None]], code: Code) -> set[int]:
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent_id in pairs:
        children[parent_id].append(pk)
    found, todo = set(), [code.pk]
    while todo:
        for child in children[todo.pop()]:
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _parents(member: Membership, code: Code):
    """The codes this one may sit under: live, not itself, not one of its sub-codes."""
    visible = Code.objects.visible_to(member)
    below = _descendants(list(visible.values_list("pk", "parent_id")), code)
    return visible.filter(retired_at__isnull=True).exclude(pk__in={code.pk, *below})


def _targets(member: Membership, code: Code):
    return Code.objects.visible_to(member).filter(retired_at__isnull=True).exclude(pk=code.pk)


def _forms(
    member: Membership,
    code: Code,
    *,
    codings: list[Coding],
    parent: Code | None,
    parent_hidden: bool,
    bound: dict[str, Form],
) -> dict[str, Form]:
    """The page's forms, the one just submitted (if any) bound with its errors."""
    split_choices = _split_choices(codings)
    return {
        "rename": bound.get("rename") or CodeRenameForm(initial={"label": code.label}),
        "redefine": bound.get("redefine")
        or CodeRedefineForm(
            initial={
                "description": code.description,
                "kind": code.kind,
                "colour": code.colour,
                "parent": parent.uuid if parent else None,
            },
            parents=_parents(member, code),
            parent_hidden=parent_hidden,
        ),
        "merge": bound.get("merge") or CodeMergeForm(targets=_targets(member, code)),
        "split": bound.get("split") or CodeSplitForm(codings=split_choices),
        "retire": bound.get("retire") or CodeRetireForm(),
    }


def _split_choices(codings: list[Coding]) -> list[tuple[Coding, str]]:
    return [
        (
            coding,
            f"{coding.version.transcript.title} · {coding.coder.get_username()}: "
            f"“{Truncator(coding.excerpt).chars(160)}”",
        )
        for coding in codings
    ]


def _render_code(
    request: HttpRequest,
    study: Study,
    member: Membership,
    code: Code,
    *,
    bound: dict[str, Form] | None = None,
    errors: list[str] = (),
    status: int = 200,
) -> HttpResponse:
    """The code's page, or its #code-detail region for htmx."""
    events = list(code.events.select_related("by"))
    refs = {uuid for event in events for uuid in _refs(event)}
    related = list(
        Code.objects.visible_to(member).filter(
            Q(uuid__in=refs) | Q(pk=code.parent_id) | Q(parent_id=code.pk)
        )
    )
    by_uuid = {str(other.uuid): other for other in related}
    parent = next((other for other in related if other.pk == code.parent_id), None)
    codings = _codings(member, code)
    show_counts = not codebook.member_is_blinded(member)
    may_change = codebook.code_may_edit(member, code) and code.retired_at is None
    context = {
        "study": study,
        "member": member,
        "code": code,
        "parent": parent,
        "parent_hidden": code.parent_id is not None and parent is None,
        "children": [
            other for other in related if other.parent_id == code.pk and other.retired_at is None
        ],
        "history": [(event, _lines(event, by_uuid, show_counts)) for event in events],
        "codings": codings,
        "per_coder": sorted(Counter(c.coder.get_username() for c in codings).items()),
        "may_change": may_change,
        "errors": errors,
    }
    if may_change:
        context["forms"] = _forms(
            member,
            code,
            codings=codings,
            parent=parent,
            parent_hidden=context["parent_hidden"],
            bound=bound or {},
        )
    template = f"{CODE_PAGE}#detail" if request.htmx else CODE_PAGE
    return render(request, template, context, status=status)


def _visible_code(member: Membership, uuid) -> Code:
    return get_object_or_404(
        Code.objects.visible_to(member).select_related("created_by"), uuid=uuid
    )


def code_page(request: HttpRequest, study: str, code: str) -> HttpResponse:
    study, member = study_access(request, study)
    return _render_code(request, study, member, _visible_code(member, code))


def _code_to_change(request: HttpRequest, study: str, code: str) -> tuple[Study, Membership, Code]:
    """A code the member may change: a code hidden from them is not found (404); someone else's
    code, for a coder, is forbidden (403)."""
    study, member = study_access(request, study, Role.CODER)
    code = _visible_code(member, code)
    if not codebook.code_may_edit(member, code):
        raise PermissionDenied("A coder changes only the codes they created; a lead changes any.")
    return study, member, code


def _done(request, study, member, code: Code, message: str, change: str) -> HttpResponse:
    messages.success(request, message)
    if not request.htmx:
        return redirect("coding-code", study=study.slug, code=code.uuid)
    response = _render_code(request, study, member, _visible_code(member, code.uuid))
    return trigger_client_event(response, CHANGED, {"code": str(code.uuid), "change": change})


def _refused(request, study, member, code, name: str, form: Form, error=None) -> HttpResponse:
    """The code's page again with the form as sent and why it was refused: 409 when the code
    changed meanwhile (the page shows it as it is now), else 422."""
    return _render_code(
        request,
        study,
        member,
        _visible_code(member, code.uuid) if isinstance(error, codebook.Stale) else code,
        bound={name: form},
        errors=error.messages if error else [],
        status=409 if isinstance(error, codebook.Stale) else 422,
    )


@vary_on_headers("HX-Request")
@require_POST
def code_rename(request: HttpRequest, study: str, code: str) -> HttpResponse:
    study, member, code = _code_to_change(request, study, code)
    form = CodeRenameForm(request.POST)
    if not form.is_valid():
        return _refused(request, study, member, code, "rename", form)
    before = code.label
    try:
        code = codebook.code_rename(
            member=member,
            code=code,
            revision=posted_revision(request),
            request=request,
            **form.cleaned_data,
        )
    except ValidationError as error:
        return _refused(request, study, member, code, "rename", form, error)
    return _done(request, study, member, code, f"Renamed “{before}” to “{code.label}”.", "renamed")


@vary_on_headers("HX-Request")
@require_POST
def code_redefine(request: HttpRequest, study: str, code: str) -> HttpResponse:
    study, member, code = _code_to_change(request, study, code)
    parent_hidden = (
        code.parent_id is not None
        and not Code.objects.visible_to(member).filter(pk=code.parent_id).exists()
    )
    form = CodeRedefineForm(
        request.POST, parents=_parents(member, code), parent_hidden=parent_hidden
    )
    if not form.is_valid():
        return _refused(request, study, member, code, "redefine", form)
    data = form.cleaned_data
    try:
        code = codebook.code_redefine(
            member=member,
            code=code,
            description=data["description"],
            kind=data["kind"],
            colour=data["colour"],
            # A parent hidden from the member is not offered, and stays.
            parent=code.parent if parent_hidden else data["parent"],
            reason=data["reason"],
            revision=posted_revision(request),
            request=request,
        )
    except ValidationError as error:
        return _refused(request, study, member, code, "redefine", form, error)
    return _done(
        request, study, member, code, f"Saved the definition of “{code.label}”.", "redefined"
    )


@vary_on_headers("HX-Request")
@require_POST
def code_merge(request: HttpRequest, study: str, code: str) -> HttpResponse:
    study, member, code = _code_to_change(request, study, code)
    form = CodeMergeForm(request.POST, targets=_targets(member, code))
    if not form.is_valid():
        return _refused(request, study, member, code, "merge", form)
    try:
        merged = codebook.codes_merge(
            member=member,
            code=code,
            into=form.cleaned_data["into"],
            reason=form.cleaned_data["reason"],
            revision=posted_revision(request),
            request=request,
        )
    except ValidationError as error:
        return _refused(request, study, member, code, "merge", form, error)
    removed = merged.duplicates_removed
    messages.success(
        request,
        f"Merged “{code.label}” into “{merged.into.label}”: {_n(merged.moved, 'coding')} moved"
        + (f", {_n(removed, 'duplicate')} removed." if removed else "."),
    )
    # The merged code is retired: go on to the code that now holds its codings.
    url = reverse("coding-code", kwargs={"study": study.slug, "code": merged.into.uuid})
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


@vary_on_headers("HX-Request")
@require_POST
def code_split(request: HttpRequest, study: str, code: str) -> HttpResponse:
    study, member, code = _code_to_change(request, study, code)
    form = CodeSplitForm(request.POST, codings=_split_choices(_codings(member, code)))
    if not form.is_valid():
        return _refused(request, study, member, code, "split", form)
    try:
        split = codebook.code_split(
            member=member,
            code=code,
            label=form.cleaned_data["label"],
            description=form.cleaned_data["description"],
            codings=form.chosen(),
            reason=form.cleaned_data["reason"],
            revision=posted_revision(request),
            request=request,
        )
    except ValidationError as error:
        return _refused(request, study, member, code, "split", form, error)
    message = (
        f"Split “{split.new_code.label}” off “{code.label}”: {_n(split.moved, 'coding')} moved."
    )
    return _done(request, study, member, code, message, "split")


@vary_on_headers("HX-Request")
@require_POST
def code_retire(request: HttpRequest, study: str, code: str) -> HttpResponse:
    study, member, code = _code_to_change(request, study, code)
    form = CodeRetireForm(request.POST)
    if not form.is_valid():
        return _refused(request, study, member, code, "retire", form)
    try:
        code = codebook.code_retire(
            member=member,
            code=code,
            reason=form.cleaned_data["reason"],
            revision=posted_revision(request),
            request=request,
        )
    except ValidationError as error:
        return _refused(request, study, member, code, "retire", form, error)
    return _done(
        request, study, member, code, f"Retired “{code.label}”; its codings are kept.", "retired"
    )
