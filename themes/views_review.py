"""Reviewing themes. Level 1: a theme's extracts read together, each reviewed as fitting the
theme or not, and a code moved out of it. Level 2: the coverage of the dataset — the
participants-by-themes matrix, the framework matrix with a summary per cell, the coded passages
in no theme and the transcripts with little coding. Counts only on request, with a caveat."""

import uuid
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from coding.codebook import member_is_blinded
from coding.models import Code, Coding
from coding.retrieve import in_context
from studies.access import study_access
from studies.models import Membership, Participant, Role, Study
from studies.revisions import posted_revision
from themes import review
from themes.models import Theme

EXTRACTS = "themes/extracts.html"
COVERAGE = "themes/coverage.html"
PAGE_SIZE = 50
PASSAGES_PAGE_SIZE = 100
KEPT = ("participant", "subthemes", "page")  # what a form on the extracts page brings back
FITS = {"fits": True, "does_not_fit": False}


class ParticipantChoiceField(forms.ModelChoiceField):
    """A participant of the study by UUID: a malformed one is just not a choice."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError as error:
            if error.code == "invalid_choice":
                raise
            raise ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            ) from None


class ExtractFilterForm(forms.Form):
    participant = ParticipantChoiceField(
        queryset=Participant.objects.none(),
        to_field_name="uuid",
        required=False,
        empty_label="All participants",
        error_messages={"invalid_choice": "There is no such participant in this study."},
    )
    subthemes = forms.BooleanField(required=False, label="Include the subthemes' extracts")

    def __init__(self, *args, study: Study, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participant"].queryset = Participant.objects.filter(study=study)


class ExtractReviewForm(forms.Form):
    fits = forms.ChoiceField(
        choices=[("fits", "Fits"), ("does_not_fit", "Does not fit")],
        error_messages={
            "required": "Say whether the extract fits the theme.",
            "invalid_choice": "Say whether the extract fits the theme: fits, or does not fit.",
        },
    )
    note = forms.CharField(
        required=False,
        max_length=review.NOTE_MAX,
        error_messages={"max_length": f"A note has at most {review.NOTE_MAX} characters."},
    )


class CellSummaryForm(forms.Form):
    text = forms.CharField(
        required=False,
        max_length=review.SUMMARY_MAX,
        error_messages={
            "max_length": f"A cell's summary has at most {review.SUMMARY_MAX} characters."
        },
    )


# Level 1 ------------------------------------------------------------------------------------


def _theme(study: Study, uuid) -> Theme:
    return get_object_or_404(Theme, study=study, uuid=uuid)


def _page_theme(request: HttpRequest, study: Study, theme: Theme) -> Theme:
    """The theme whose page a form was on (`on`): a subtheme's code or extract is changed from
    its parent's page, which is the page to show again."""
    on = request.POST.get("on", "")
    found = Theme.objects.filter(study=study, uuid=on).first() if _is_uuid(on) else None
    return found or theme


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _return_params(request: HttpRequest) -> QueryDict:
    """The extracts page's query as a form carried it back (`return`), known keys only."""
    sent = QueryDict(request.POST.get("return", ""))
    kept = QueryDict(mutable=True)
    for key in KEPT:
        if sent.get(key):
            kept[key] = sent[key]
    return kept


def _extracts_url(study: Study, theme: Theme, params: QueryDict, anchor: str = "") -> str:
    url = reverse("themes-extracts", args=[study.slug, theme.uuid])
    query = params.urlencode()
    return f"{url}{'?' + query if query else ''}{'#' + anchor if anchor else ''}"


@dataclass
class Sent:
    """A review form as sent and refused: shown again with why."""

    errors: list[str]
    choice: str | None = ""  # None: show the review as it now is
    note: str = ""


def _dress(coding: Coding, via: Theme, found: review.ExtractReview | None, sent=None) -> None:
    """What the review region of an extract shows: the review standing, and the form — as sent
    when it was refused for a reason of its own, else as the review stands."""
    coding.via, coding.review, coding.stamp = via, found, review.stamp(found)
    coding.errors = sent.errors if sent else []
    if sent is not None and sent.choice is not None:
        coding.choice, coding.note = sent.choice, sent.note
    elif found is not None:
        coding.choice, coding.note = ("fits" if found.fits else "does_not_fit"), found.note
    else:
        coding.choice, coding.note = "", ""


def _render_extracts(
    request: HttpRequest,
    study: Study,
    member: Membership,
    theme: Theme,
    params: QueryDict,
    *,
    sent: dict[int, Sent] | None = None,
    errors: list[str] = (),
    status: int = 200,
    region: bool = False,
) -> HttpResponse:
    """The extracts page of a theme, or its #theme-review region (for htmx)."""
    form = ExtractFilterForm(params or None, study=study)
    tree = review.theme_tree(study.pk)
    theme = next(other for other in tree if other.pk == theme.pk)
    below = review.subtree(tree, theme)
    valid = not form.is_bound or form.is_valid()
    data = form.cleaned_data if form.is_bound and valid else {}
    with_subthemes = bool(data.get("subthemes")) and len(below) > 1
    themes = below if with_subthemes else [theme]
    links = review.theme_links(member=member, themes=themes)
    page, groups = None, []
    if valid:
        codings = review.theme_extracts(
            member=member, links=links, participant=data.get("participant")
        )
        page = Paginator(codings.values_list("pk", flat=True), PAGE_SIZE).get_page(
            params.get("page")
        )
        rows = in_context(member=member, codings=page.object_list)
        reviews = review.reviews_of(themes=themes, codings=rows)
        by_code = {link.code_id: link for link in links}
        for row in rows:
            link = by_code[row.code_id]
            row.code = link.code
            _dress(row, link.via, reviews.get((link.via.pk, row.pk)), (sent or {}).get(row.pk))
            if not groups or groups[-1]["link"] is not link:
                groups.append({"link": link, "rows": []})
            groups[-1]["rows"].append(row)
    else:
        status = 422
    # A refused review of an extract not on this page says why at the top.
    shown = {row.pk for group in groups for row in group["rows"]}
    errors = [*errors, *(e for pk, s in (sent or {}).items() if pk not in shown for e in s.errors)]
    query = params.copy()
    query.pop("page", None)
    context = {
        "study": study,
        "member": member,
        "theme": theme,
        "ancestors": [other for other in tree if other.pk in _ancestors(tree, theme)],
        "form": form,
        "page": page,
        "groups": groups,
        "codes": [
            (via, [link for link in links if link.via is via])
            for via in themes
            if via is theme or any(link.via is via for link in links)
        ],
        "subthemes": below[1:],
        "with_subthemes": with_subthemes,
        "participant": data.get("participant"),
        "query": query.urlencode(),
        "back": params.urlencode(),
        "can_change": member.has_role(Role.CODER),
        "errors": errors,
    }
    template = f"{EXTRACTS}#theme-review" if region else EXTRACTS
    return render(request, template, context, status=status)


def _ancestors(tree: list[Theme], theme: Theme) -> set[int]:
    by_pk = {other.pk: other for other in tree}
    found: set[int] = set()
    parent = by_pk.get(theme.parent_id)
    while parent is not None and parent.pk not in found:
        found.add(parent.pk)
        parent = by_pk.get(parent.parent_id)
    return found


def theme_extracts(request: HttpRequest, study: str, theme: str) -> HttpResponse:
    study, member = study_access(request, study)
    theme = _theme(study, theme)
    return _render_extracts(request, study, member, theme, request.GET)


@vary_on_headers("HX-Request")
@require_POST
def extract_review(request: HttpRequest, study: str, theme: str, coding: str) -> HttpResponse:
    study, member = study_access(request, study, Role.CODER)
    theme = _theme(study, theme)
    # An extract hidden from the member by the blind rule is not found.
    coding = get_object_or_404(review.visible_codings(member), uuid=coding)
    page_theme = _page_theme(request, study, theme)
    params = _return_params(request)
    form = ExtractReviewForm(request.POST)
    status, refused = 200, None
    if not form.is_valid():
        errors = [error for field_errors in form.errors.values() for error in field_errors]
        refused = Sent(errors, request.POST.get("fits", ""), request.POST.get("note", ""))
        status = 422
    else:
        try:
            review.extract_review_save(
                member=member,
                theme=theme,
                coding=coding,
                fits=FITS[form.cleaned_data["fits"]],
                note=form.cleaned_data["note"],
                seen=request.POST.get("seen"),
                request=request,
            )
        except ValidationError as error:
            stale = isinstance(error, review.Stale)
            status = 409 if stale else 422
            # A stale form gives way to the review as it now is; any other refusal keeps it.
            refused = Sent(
                error.messages,
                None if stale else form.cleaned_data["fits"],
                form.cleaned_data["note"],
            )
    if refused is None and not request.htmx:
        messages.success(request, f"Review saved under “{theme.name}”.")
        return redirect(_extracts_url(study, page_theme, params, f"extract-{coding.uuid}"))
    if request.htmx:
        found = review.reviews_of(themes=[theme], codings=[coding]).get((theme.pk, coding.pk))
        _dress(coding, theme, found, refused)
        context = {
            "study": study,
            "theme": page_theme,
            "coding": coding,
            "back": params.urlencode(),
            "can_change": True,
            "saved": refused is None,
        }
        return render(request, f"{EXTRACTS}#review", context, status=status)
    return _render_extracts(
        request, study, member, page_theme, params, sent={coding.pk: refused}, status=status
    )


@vary_on_headers("HX-Request")
@require_POST
def code_move_out(request: HttpRequest, study: str, theme: str, code: str) -> HttpResponse:
    study, member = study_access(request, study, Role.CODER)
    theme = _theme(study, theme)
    code = get_object_or_404(Code.objects.visible_to(member), uuid=code)
    page_theme = _page_theme(request, study, theme)
    params = _return_params(request)
    try:
        holding = review.theme_code_move_out(
            member=member,
            theme=theme,
            code=code,
            revision=posted_revision(request),
            request=request,
        )
    except ValidationError as error:
        status = 409 if isinstance(error, review.Stale) else 422
        return _render_extracts(
            request, study, member, page_theme, params,
            errors=error.messages, status=status, region=bool(request.htmx),
        )  # fmt: skip
    if holding is not None:
        message = (
            f"Moved “{code.label}” out of “{theme.name}”. It is in no other theme, so it now "
            f"waits in the holding area (“{holding.name}”)."
        )
    else:
        message = f"Moved “{code.label}” out of “{theme.name}”; it stays in its other themes."
    messages.success(request, message)
    if request.htmx:
        return _render_extracts(request, study, member, page_theme, params, region=True)
    return redirect(_extracts_url(study, page_theme, params))


# Level 2 ------------------------------------------------------------------------------------


def _coverage_context(request, study, member, matrix, *, framework: bool, counts: bool) -> dict:
    return {
        "study": study,
        "member": member,
        "matrix": matrix,
        "framework": framework,
        "counts": counts,
        "caveat": review.CAVEAT,
        "blinded": member_is_blinded(member),
        "can_change": member.has_role(Role.CODER),
    }


def coverage(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study)
    counts = request.GET.get("counts") == "1"
    context = _coverage_context(
        request,
        study,
        member,
        review.coverage_matrix(member=member),
        framework=False,
        counts=counts,
    )
    context["passages"] = Paginator(review.uncovered(member=member), PASSAGES_PAGE_SIZE).get_page(
        request.GET.get("passages")
    )
    context["passages_query"] = "counts=1&" if counts else ""
    context["thin"] = review.thin_transcripts(member=member)
    return render(request, COVERAGE, context)


def framework(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study)
    return _render_framework(request, study, member, counts=request.GET.get("counts") == "1")


def _render_framework(request, study, member, *, counts, refused=None, status=200):
    """The framework matrix; `refused`: (theme, participant, errors, text as sent or None)."""
    matrix = review.coverage_matrix(member=member, summaries=True)
    errors = []
    if refused is not None:
        theme, participant, messages_, text = refused
        errors = messages_
        for row_participant, cells in matrix.rows:
            for cell in cells:
                if row_participant.pk == participant.pk and cell.theme.pk == theme.pk:
                    cell.errors, cell.text = messages_, text
    context = _coverage_context(request, study, member, matrix, framework=True, counts=counts)
    context["errors"] = errors
    return render(request, COVERAGE, context, status=status)


@vary_on_headers("HX-Request")
@require_POST
def cell_summary(request: HttpRequest, study: str, theme: str, participant: str) -> HttpResponse:
    study, member = study_access(request, study, Role.CODER)
    theme = _theme(study, theme)
    participant = get_object_or_404(Participant, study=study, uuid=participant)
    counts = request.POST.get("counts") == "1"
    form = CellSummaryForm(request.POST)
    errors, text, status = [], None, 200
    if not form.is_valid():
        errors, text, status = form.errors["text"], request.POST.get("text", ""), 422
    else:
        try:
            summary = review.cell_summary_save(
                member=member,
                theme=theme,
                participant=participant,
                text=form.cleaned_data["text"],
                seen=request.POST.get("seen"),
                request=request,
            )
        except ValidationError as error:
            stale = isinstance(error, review.Stale)
            errors, status = error.messages, 409 if stale else 422
            text = None if stale else form.cleaned_data["text"]
        else:
            done = "Saved" if summary is not None else "Removed"
    if not request.htmx:
        if status == 200:
            messages.success(request, f"{done} the summary of {participant.pseudonym} × {theme}.")
            url = reverse("themes-framework", args=[study.slug])
            query = "?counts=1" if counts else ""
            return redirect(f"{url}{query}#cell-{theme.uuid}-{participant.uuid}")
        return _render_framework(
            request, study, member, counts=counts,
            refused=(theme, participant, errors, text), status=status,
        )  # fmt: skip
    cell = review.coverage_cell(member=member, theme=theme, participant=participant)
    cell.errors, cell.text = errors, text
    context = {
        "study": study,
        "cell": cell,
        "framework": True,
        "counts": counts,
        "can_change": True,
        "in_matrix": review.in_matrix(theme),
    }
    return render(request, f"{COVERAGE}#cell", context, status=status)
