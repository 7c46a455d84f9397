"""The report builder's page and its actions: per theme the chosen quotes in their order (move
up or down, take out, take the corrected words), their attribution, consent and verbatim status;
the candidate extracts with a "Choose" button (disabled, with the reason, for a participant
who may not be quoted); the Table 4 and methods previews; and the .docx download.

Everyone in the study reads the page and downloads the report; coders and up change the choice.
Every change answers htmx with the theme's section (`report.html#theme`), anything else with a
redirect back to it; a refusal says why (422), a reorder from an out-of-date page gets the
section as it now is (409)."""

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from coding.models import Coding
from exchange import report as builder
from exchange.consent import quotation_consent
from exchange.docx_report import report_docx
from studies.access import study_access
from studies.exports import download
from studies.models import Membership, Role, Study
from themes.models import Theme

PAGE = "exchange/report.html"
SHOWN = 10  # candidates shown per theme on the page
PAGE_SIZE = 50  # candidates per page when one theme's are paged through
MOVES = ("up", "down")


def _uuid(value: str) -> str | None:
    try:
        return str(uuid.UUID(value))
    except (TypeError, ValueError):
        return None


def _theme(study: Study, value: str) -> Theme:
    return get_object_or_404(Theme, study=study, uuid=value)


def _focus(source) -> tuple[str | None, int]:
    """The theme whose candidates are paged through (`theme`) and the page (`page`)."""
    focus = _uuid(source.get("theme", ""))
    try:
        page = max(1, int(source.get("page", "1")))
    except ValueError:
        page = 1
    return focus, page


def _dress(
    member: Membership,
    themes: list[Theme],
    consent: dict,
    *,
    focus: str | None = None,
    page: int = 1,
) -> None:
    """What each theme's section shows besides its chosen extracts: their order stamp and
    moves, and a page of candidates (the first SHOWN, or a PAGE_SIZE page of the focused
    theme's)."""
    windows = {
        theme.pk: ((page - 1) * PAGE_SIZE, PAGE_SIZE)
        for theme in themes
        if str(theme.uuid) == focus
    }
    found = builder.candidates(
        member=member,
        themes=themes,
        chosen={theme.pk: theme.extracts for theme in themes},
        consent=consent,
        limit=SHOWN,
        windows=windows,
    )
    for theme in themes:
        theme.candidates = found[theme.pk]
        theme.focused = theme.pk in windows
        theme.page = page if theme.focused else 1
        size = PAGE_SIZE if theme.focused else SHOWN
        theme.pages = max(1, -(-theme.candidates.total // size))
        theme.stamp = builder.order_stamp(extract.uuid for extract in theme.extracts)
        last = len(theme.extracts) - 1
        for at, extract in enumerate(theme.extracts):
            extract.first, extract.last = at == 0, at == last


def _page(
    request: HttpRequest,
    study: Study,
    member: Membership,
    *,
    errors: dict[int, list[str]] | None = None,
    status: int = 200,
    source=None,
) -> HttpResponse:
    focus, page = _focus(source if source is not None else request.GET)
    report = builder.report_for(member, request=request)
    _dress(member, report.themes, report.consent, focus=focus, page=page)
    for theme in report.themes:
        theme.errors = (errors or {}).get(theme.pk, [])
    context = {
        "study": study,
        "member": member,
        "report": report,
        "themes": report.themes,
        "can_change": member.has_role(Role.CODER),
        "PAGE_SIZE": PAGE_SIZE,
    }
    return render(request, PAGE, context, status=status)


def report_page(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study)
    return _page(request, study, member)


def _section(
    request: HttpRequest,
    study: Study,
    member: Membership,
    theme: Theme,
    *,
    errors: list[str] = (),
    status: int = 200,
) -> HttpResponse:
    """One theme's section of the page, as it now is."""
    focus, page = _focus(request.POST)
    found = next((t for t in builder.report_themes(member) if t.pk == theme.pk), None)
    if found is None:  # discarded or gone meanwhile: the page has to be reloaded
        response = HttpResponse(status=status)
        response["HX-Refresh"] = "true"
        return response
    found.extracts = builder.chosen_extracts(member, [found]).get(found.pk, [])
    consent = quotation_consent(study=study, request=request)
    builder.apply_consent(found.extracts, consent)
    _dress(member, [found], consent, focus=focus, page=page)
    found.errors = list(errors)
    context = {
        "study": study,
        "member": member,
        "theme": found,
        "can_change": True,
        "PAGE_SIZE": PAGE_SIZE,
    }
    return render(request, f"{PAGE}#theme", context, status=status)


def _back(request: HttpRequest, study: Study, theme: Theme) -> str:
    focus, page = _focus(request.POST)
    url = reverse("exchange-report", args=[study.slug])
    if focus:
        url += f"?theme={focus}&page={page}"
    return f"{url}#report-theme-{theme.uuid}"


def _answer(
    request: HttpRequest,
    study: Study,
    member: Membership,
    theme: Theme,
    error: ValidationError | None = None,
) -> HttpResponse:
    if error is None:
        if request.htmx:
            return _section(request, study, member, theme)
        return redirect(_back(request, study, theme))
    status = 409 if isinstance(error, builder.Stale) else 422
    if request.htmx:
        return _section(request, study, member, theme, errors=error.messages, status=status)
    return _page(
        request,
        study,
        member,
        errors={theme.pk: error.messages},
        status=status,
        source=request.POST,
    )


@vary_on_headers("HX-Request")
@require_POST
def extract_choose(request: HttpRequest, study: str, theme: str) -> HttpResponse:
    study, member = study_access(request, study, Role.CODER)
    theme = _theme(study, theme)
    value = _uuid(request.POST.get("coding", ""))
    # A coding hidden from the member by the blind rule is not found, like one that is not.
    coding = (
        Coding.objects.visible_to(member)
        .select_related("version__transcript__participant")
        .defer("version__text")
        .filter(uuid=value)
        .first()
        if value
        else None
    )
    try:
        if coding is None:
            raise ValidationError(
                "Choose an extract from the list: this one is not one you can see (it may have "
                "been removed)."
            )
        builder.extract_choose(member=member, theme=theme, coding=coding, request=request)
    except ValidationError as error:
        return _answer(request, study, member, theme, error)
    messages.success(
        request,
        f"Added a quote of {coding.version.transcript.participant.pseudonym} to “{theme.name}”.",
    )
    return _answer(request, study, member, theme)


def _gone(request: HttpRequest, study: Study) -> HttpResponse:
    """A quote taken out meanwhile: the page is out of date, and is loaded again."""
    messages.error(
        request, "This quote is no longer in the report (someone may have taken it out)."
    )
    if request.htmx:
        response = HttpResponse(status=422)
        response["HX-Refresh"] = "true"
        return response
    return redirect("exchange-report", study=study.slug)


@vary_on_headers("HX-Request")
@require_POST
def extract_remove(request: HttpRequest, study: str, extract: str) -> HttpResponse:
    study, member = study_access(request, study, Role.CODER)
    found = builder.visible_extract(member, extract)
    if found is None:
        return _gone(request, study)
    try:
        builder.extract_remove(member=member, extract=found, request=request)
    except ValidationError as error:
        return _answer(request, study, member, found.theme, error)
    messages.success(request, f"Took a quote out of “{found.theme.name}”.")
    return _answer(request, study, member, found.theme)


@vary_on_headers("HX-Request")
@require_POST
def extract_refresh(request: HttpRequest, study: str, extract: str) -> HttpResponse:
    study, member = study_access(request, study, Role.CODER)
    found = builder.visible_extract(member, extract)
    if found is None:
        return _gone(request, study)
    try:
        builder.extract_refresh(member=member, extract=found, request=request)
    except ValidationError as error:
        return _answer(request, study, member, found.theme, error)
    messages.success(request, f"The quote in “{found.theme.name}” now has the corrected words.")
    return _answer(request, study, member, found.theme)


@vary_on_headers("HX-Request")
@require_POST
def extracts_order(request: HttpRequest, study: str, theme: str) -> HttpResponse:
    study, member = study_access(request, study, Role.CODER)
    theme = _theme(study, theme)
    seen = request.POST.get("seen") or None
    try:
        move = request.POST.get("move", "")
        if move:
            order = _moved(member, theme, request.POST.get("extract", ""), move)
        else:
            order = request.POST.getlist("order")
            if not order:
                raise ValidationError("Give the quotes' new order, or a quote to move.")
        builder.extracts_reorder(
            member=member, theme=theme, order=order, seen=seen, request=request
        )
    except ValidationError as error:
        return _answer(request, study, member, theme, error)
    return _answer(request, study, member, theme)


def _moved(member: Membership, theme: Theme, extract: str, move: str) -> list[str]:
    """The theme's visible order with one quote moved a place up or down."""
    if move not in MOVES:
        raise ValidationError(f"“{move}” is not a move: a quote moves up or down.")
    order = [str(e.uuid) for e in builder.chosen_extracts(member, [theme]).get(theme.pk, [])]
    at = order.index(extract) if extract in order else -1
    if at < 0:
        raise builder.Stale(
            "This quote is no longer among the quotes of "
            f"“{theme.name}”: the page now shows them as they are."
        )
    to = at - 1 if move == "up" else at + 1
    if 0 <= to < len(order):
        order[at], order[to] = order[to], order[at]
    return order


def report_download(request: HttpRequest, study: str) -> HttpResponse:
    """The results skeleton as .docx: an attachment named by the server, audited (EXPORT) with
    its SHA-256."""
    study, member = study_access(request, study)
    content, report = report_docx(member, request=request)
    return download(
        request=request,
        study=study,
        what="report",
        content=content,
        extension="docx",
        details={
            "themes": len(report.themes),
            "quotes": len(report.extracts) - len(report.withheld),
            "flagged": len(report.flagged),
            "withheld": len(report.withheld),
        },
    )
