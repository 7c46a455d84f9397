"""The theme board: the study's themes as cards (subthemes nested), each with its status, name,
central organising concept and codes; the codes in no theme yet; the miscellaneous holding
area. Codes are dragged between them (static/js/board.js), or moved from a menu by keyboard, or
with a plain form. And a theme's own page: its definition edited in place, its status, its place,
its subthemes and its codes, linked to their extracts.

Themes are ordered by their position on the board, never by size: a theme's codes are counted,
its extracts are not. Codes are read only through `Code.objects.visible_to` (themes.services
`themes_for`): during an open blind round a coder's board shows none of the other coders' codes,
whoever put them into a theme."""

from collections import defaultdict
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from coding import codebook
from coding.models import Code
from studies.access import study_access
from studies.models import Membership, Role, Study
from studies.revisions import posted_revision
from themes import board, lead_review
from themes.forms_board import (
    HOLDING,
    PlaceForm,
    ThemeCreateForm,
    ThemeEditForm,
    ThemeMoveForm,
    ThemeStatusForm,
    UnplaceForm,
)
from themes.models import Status, Theme, ThemeCode
from themes.services import HOLDING as HOLDING_NAME
from themes.services import themes_for

BOARD = "themes/board.html"
THEME = "themes/theme.html"


def _errors(form: Form) -> list[str]:
    return [message for messages_ in form.errors.values() for message in messages_]


# The board --------------------------------------------------------------------------------------


def _board_context(study: Study, member: Membership) -> dict:
    themes = themes_for(member)
    children: dict[int, list[Theme]] = defaultdict(list)
    holding = None
    top = []
    for theme in themes:  # in board order
        theme.chips = theme.visible_codes
        if theme.holding:
            holding = theme
        elif theme.parent_id is None:
            top.append(theme)
        else:
            children[theme.parent_id].append(theme)
    for theme in themes:
        theme.children = children.get(theme.pk, [])
    live = [theme for theme in top if theme.status != Status.DISCARDED]
    # Where a code may be put: the live themes, their live subthemes, the holding area.
    targets = [
        (
            str(theme.uuid),
            theme.name if theme.parent_id is None else f"{parent.name} › {theme.name}",
        )
        for parent in live
        for theme in [parent, *parent.children]
        if theme.status != Status.DISCARDED
    ]
    targets.append((str(holding.uuid) if holding else HOLDING, HOLDING_NAME))
    sources = [(str(theme.uuid), theme.name) for theme in themes if theme.chips]
    placed = ThemeCode.objects.filter(code=OuterRef("pk")).exclude(theme__status=Status.DISCARDED)
    unplaced = list(
        Code.objects.visible_to(member).filter(retired_at__isnull=True).filter(~Exists(placed))
    )
    in_themes = {
        link.code.pk: link.code
        for theme in themes
        for link in theme.chips
        if link.code.retired_at is None
    }
    codes = sorted([*unplaced, *in_themes.values()], key=lambda code: code.label.lower())
    return {
        "study": study,
        "member": member,
        "themes": live,
        "discarded": [theme for theme in top if theme.status == Status.DISCARDED],
        "holding": holding,
        "holding_name": HOLDING_NAME,
        "holding_key": str(holding.uuid) if holding else HOLDING,
        "unplaced": unplaced,
        "codes": codes,
        "targets": targets,
        "sources": sources,
        "can_change": member.has_role(Role.CODER),
        "blinded": codebook.member_is_blinded(member),
    }


def _render_board(
    request: HttpRequest,
    study: Study,
    member: Membership,
    *,
    errors: list[str] = (),
    create_form: Form | None = None,
    status: int = 200,
) -> HttpResponse:
    """The board page, or its #theme-board region for htmx."""
    context = _board_context(study, member)
    context["errors"] = list(errors)
    context["create_form"] = create_form or ThemeCreateForm(study=study)
    template = f"{BOARD}#board" if request.htmx else BOARD
    return render(request, template, context, status=status)


@vary_on_headers("HX-Request")
def board_page(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study)
    return _render_board(request, study, member)


# A theme's page ---------------------------------------------------------------------------------


def _theme(study: Study, uuid: UUID) -> Theme:
    return get_object_or_404(
        Theme.objects.select_related("parent", "created_by"), study=study, uuid=uuid
    )


def _render_theme(
    request: HttpRequest,
    study: Study,
    member: Membership,
    theme: Theme,
    *,
    bound: dict[str, Form] | None = None,
    errors: list[str] = (),
    status: int = 200,
) -> HttpResponse:
    """The theme's page, or its #theme-detail region for htmx; the form just submitted (if any)
    bound, with its errors."""
    bound = bound or {}
    visible = Code.objects.visible_to(member)
    links = list(
        ThemeCode.objects.filter(theme=theme, code__in=visible)
        .select_related("code")
        .order_by("position", "added_at", "id")
    )
    can_change = member.has_role(Role.CODER)
    context = {
        "study": study,
        "member": member,
        "theme": theme,
        "links": links,
        "subthemes": list(theme.subthemes.all()),
        "can_change": can_change,
        "errors": list(errors),
        "comments": lead_review.threads_for(member, theme),
    }
    if can_change:
        context["addable"] = (
            list(
                visible.filter(retired_at__isnull=True).exclude(
                    pk__in=[link.code_id for link in links]
                )
            )
            if theme.status != Status.DISCARDED
            else []
        )
        if not theme.holding:
            context["forms"] = {
                "edit": bound.get("edit")
                or ThemeEditForm(
                    initial={
                        "name": theme.name,
                        "central_concept": theme.central_concept,
                        "definition": theme.definition,
                        "boundaries": theme.boundaries,
                    }
                ),
                "status": bound.get("status") or ThemeStatusForm(current=theme.status),
                "move": bound.get("move")
                or ThemeMoveForm(
                    study=study,
                    theme=theme,
                    initial={"parent": theme.parent.uuid if theme.parent else None},
                ),
                "subtheme": bound.get("subtheme") or ThemeCreateForm(study=study),
            }
    template = f"{THEME}#detail" if request.htmx else THEME
    return render(request, template, context, status=status)


@vary_on_headers("HX-Request")
def theme_page(request: HttpRequest, study: str, theme: UUID) -> HttpResponse:
    study, member = study_access(request, study)
    return _render_theme(request, study, member, _theme(study, theme))


# Changes ----------------------------------------------------------------------------------------


def _back(study: Study, request: HttpRequest) -> Theme | None:
    """The theme whose page a form was sent from, to go back to (else the board)."""
    try:
        uuid = UUID(request.POST.get("back", ""))
    except ValueError:
        return None
    return Theme.objects.select_related("parent").filter(study=study, uuid=uuid).first()


def _done(request, study, member, back: Theme | None, message: str) -> HttpResponse:
    """After a change made from the board (or from a theme's page): the region again for htmx,
    else a redirect to the page it came from."""
    messages.success(request, message)
    if back is not None:
        if request.htmx:
            return _render_theme(request, study, member, _theme(study, back.uuid))
        return redirect("themes-theme", study=study.slug, theme=back.uuid)
    if request.htmx:
        return _render_board(request, study, member)
    return redirect("themes-board", study=study.slug)


def _refused(
    request, study, member, back: Theme | None, errors: list[str], form: Form | None = None
) -> HttpResponse:
    """The page the form came from again, saying why nothing changed (422)."""
    if back is not None:
        bound = {"subtheme": form} if isinstance(form, ThemeCreateForm) else {}
        return _render_theme(
            request, study, member, _theme(study, back.uuid), bound=bound, errors=errors, status=422
        )
    create_form = (
        form if isinstance(form, ThemeCreateForm) and not form.data.get("parent") else None
    )
    return _render_board(request, study, member, errors=errors, create_form=create_form, status=422)


@vary_on_headers("HX-Request")
@require_POST
def theme_create(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study, Role.CODER)
    back = _back(study, request)
    form = ThemeCreateForm(request.POST, study=study)
    if not form.is_valid():
        return _refused(request, study, member, back, _errors(form), form)
    parent = form.cleaned_data["parent"]
    try:
        theme = board.theme_create(
            member=member, name=form.cleaned_data["name"], parent=parent, request=request
        )
    except ValidationError as error:
        return _refused(request, study, member, back, error.messages, form)
    if parent is None:
        message = f"Made the candidate theme “{theme.name}”."
    else:
        message = f"Made the subtheme “{theme.name}” of “{parent.name}”."
    return _done(request, study, member, back, message)


def _theme_to_change(request: HttpRequest, study: str, theme: UUID):
    study, member = study_access(request, study, Role.CODER)
    return study, member, _theme(study, theme)


def _theme_refused(request, study, member, theme, name: str, form: Form, error=None):
    """The theme's page again with the form as sent and why it was refused: 409 when the theme
    changed meanwhile (the page shows it as it is now), else 422."""
    stale = isinstance(error, board.Stale)
    return _render_theme(
        request,
        study,
        member,
        _theme(study, theme.uuid),
        bound={name: form},
        errors=error.messages if error else _errors(form),
        status=409 if stale else 422,
    )


def _theme_done(request, study, member, theme: Theme, message: str) -> HttpResponse:
    messages.success(request, message)
    if request.htmx:
        return _render_theme(request, study, member, _theme(study, theme.uuid))
    return redirect("themes-theme", study=study.slug, theme=theme.uuid)


@vary_on_headers("HX-Request")
@require_POST
def theme_edit(request: HttpRequest, study: str, theme: UUID) -> HttpResponse:
    study, member, theme = _theme_to_change(request, study, theme)
    form = ThemeEditForm(request.POST)
    if not form.is_valid():
        return _theme_refused(request, study, member, theme, "edit", form)
    try:
        theme = board.theme_edit(
            member=member,
            theme=theme,
            revision=posted_revision(request),
            request=request,
            **form.cleaned_data,
        )
    except ValidationError as error:
        return _theme_refused(request, study, member, theme, "edit", form, error)
    return _theme_done(request, study, member, theme, f"Saved the definition of “{theme.name}”.")


@vary_on_headers("HX-Request")
@require_POST
def theme_status(request: HttpRequest, study: str, theme: UUID) -> HttpResponse:
    study, member, theme = _theme_to_change(request, study, theme)
    form = ThemeStatusForm(request.POST)
    if not form.is_valid():
        return _theme_refused(request, study, member, theme, "status", form)
    before = theme.get_status_display().lower()
    try:
        theme = board.theme_status(
            member=member,
            theme=theme,
            status=form.cleaned_data["status"],
            reason=form.cleaned_data["reason"],
            revision=posted_revision(request),
            request=request,
        )
    except ValidationError as error:
        return _theme_refused(request, study, member, theme, "status", form, error)
    return _theme_done(
        request,
        study,
        member,
        theme,
        f"“{theme.name}”: {before} → {theme.get_status_display().lower()}. "
        "A version of the theme set was saved.",
    )


@vary_on_headers("HX-Request")
@require_POST
def theme_move(request: HttpRequest, study: str, theme: UUID) -> HttpResponse:
    study, member, theme = _theme_to_change(request, study, theme)
    form = ThemeMoveForm(request.POST, study=study, theme=theme)
    if not form.is_valid():
        return _theme_refused(request, study, member, theme, "move", form)
    parent = form.cleaned_data["parent"]
    try:
        theme = board.theme_move(member=member, theme=theme, parent=parent, request=request)
    except ValidationError as error:
        return _theme_refused(request, study, member, theme, "move", form, error)
    where = f"a subtheme of “{parent.name}”" if parent else "a theme of its own"
    return _theme_done(request, study, member, theme, f"“{theme.name}” is now {where}.")


# Codes in themes --------------------------------------------------------------------------------


@vary_on_headers("HX-Request")
@require_POST
def code_place(request: HttpRequest, study: str) -> HttpResponse:
    """A drop: put the code into the theme (or the holding area) — moving it there if it was
    dragged from another theme."""
    study, member = study_access(request, study, Role.CODER)
    back = _back(study, request)
    form = PlaceForm(request.POST, member=member)
    if not form.is_valid():
        return _refused(request, study, member, back, _errors(form))
    code, target, source = (form.cleaned_data[name] for name in ("code", "theme", "from"))
    try:
        with transaction.atomic():  # the holding area, if made now, only with the change
            if target == HOLDING:
                target = board.holding_for_drop(member)
            already = ThemeCode.objects.filter(theme=target, code=code).exists()
            if source is not None:
                board.code_move(
                    member=member, code=code, source=source, target=target, request=request
                )
            else:
                board.code_place(member=member, code=code, theme=target, request=request)
    except ValidationError as error:
        return _refused(request, study, member, back, error.messages)
    if source is not None:
        message = f"Moved “{code.label}” from “{source.name}” to “{target.name}”."
    elif already:
        message = f"“{code.label}” is already in “{target.name}”."
    else:
        message = f"Put “{code.label}” in “{target.name}”."
    return _done(request, study, member, back, message)


@vary_on_headers("HX-Request")
@require_POST
def code_unplace(request: HttpRequest, study: str) -> HttpResponse:
    """Take a code out of a theme (a drop on the codes in no theme)."""
    study, member = study_access(request, study, Role.CODER)
    back = _back(study, request)
    form = UnplaceForm(request.POST, member=member)
    if not form.is_valid():
        return _refused(request, study, member, back, _errors(form))
    code, theme = form.cleaned_data["code"], form.cleaned_data["theme"]
    try:
        board.code_remove(member=member, code=code, theme=theme, request=request)
    except ValidationError as error:
        return _refused(request, study, member, back, error.messages)
    return _done(request, study, member, back, f"Took “{code.label}” out of “{theme.name}”.")
