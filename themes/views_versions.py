"""Versions of the theme set (the list, saving one by hand, one version read whole, two compared)
and the lead author's review (open threads per theme and on the map, replies, resolving, the
lead's verdicts). Versions are shown through the blind rule: a code hidden from the member now
is left out (see themes.versions). No view here changes or removes a version."""

import uuid

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget, trigger_client_event

from studies.access import study_access
from studies.models import Membership, Role, Study
from themes import lead_review, versions
from themes.models import ReviewComment, Theme, ThemeSetVersion, Verdict
from themes.services import version_save

VERSIONS = "themes/versions.html"
VERSION = "themes/version.html"
COMPARE = "themes/version_compare.html"
REVIEW = "themes/review.html"
COMMENTS = "themes/includes/comments.html"
VERSIONS_CHANGED = "theme-versions-changed"
REVIEW_CHANGED = "theme-review-changed"


class VersionForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        label="What this version marks",
        help_text="For example “before the supervision meeting” or “after review level 2”.",
    )


class CommentForm(forms.Form):
    text = forms.CharField(max_length=lead_review.MAX_COMMENT, strip=True, required=False)
    reply_to = forms.UUIDField(required=False)


class VerdictForm(forms.Form):
    verdict = forms.ChoiceField(
        choices=Verdict.choices,
        error_messages={"invalid_choice": "Choose a verdict: approve, or ask for changes."},
    )
    note = forms.CharField(max_length=lead_review.MAX_NOTE, strip=True, required=False)


def _errors(form: forms.Form) -> list[str]:
    return [f"{name.replace('_', ' ').capitalize()}: {error}" if name != "__all__" else error
            for name, errors in form.errors.items() for error in errors]  # fmt: skip


# Versions ---------------------------------------------------------------------------------


def _render_versions(
    request: HttpRequest,
    study: Study,
    member: Membership,
    *,
    form: VersionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "study": study,
        "member": member,
        "versions": versions.versions_for(member),
        "form": form or VersionForm(),
        "may_save": member.has_role(Role.CODER),
    }
    template = f"{VERSIONS}#versions" if request.htmx else VERSIONS
    return render(request, template, context, status=status)


@vary_on_headers("HX-Request")
@require_safe
def versions_page(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study)
    return _render_versions(request, study, member)


@vary_on_headers("HX-Request")
@require_POST
def version_save_view(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study, Role.CODER)
    form = VersionForm(request.POST)
    if form.is_valid():
        try:
            version = version_save(
                member=member, reason=form.cleaned_data["reason"], request=request
            )
        except ValidationError as error:
            form.add_error("reason", error)
    if not form.is_valid():
        return _render_versions(request, study, member, form=form, status=422)
    messages.success(request, f"Saved version {version.number}: “{version.reason}”.")
    if not request.htmx:
        return redirect("themes-versions", study=study.slug)
    response = _render_versions(request, study, member)
    return trigger_client_event(response, VERSIONS_CHANGED, {"number": version.number})


@require_safe
def version_page(request: HttpRequest, study: str, version: str) -> HttpResponse:
    study, member = study_access(request, study)
    try:
        version = versions.version_get(member, uuid=version)
    except ThemeSetVersion.DoesNotExist:
        raise Http404 from None
    seen = versions.as_seen_by(version.snapshot, versions.visible_codes(member))
    previous = (
        ThemeSetVersion.objects.filter(study=study, number__lt=version.number)
        .values_list("number", flat=True)
        .first()  # newest first
    )
    context = {
        "study": study,
        "member": member,
        "version": version,
        "themes": versions.outline(seen),
        "previous": previous,
        "current": versions.CURRENT,
    }
    return render(request, VERSION, context)


def _which(value: str, numbers: set[int], side: str) -> str | int:
    value = value.strip()
    if value == versions.CURRENT:
        return value
    if not value.isdigit() or int(value) not in numbers:
        raise ValidationError(
            f"There is no version “{value}” of this study's theme set to compare ({side})."
        )
    return int(value)


def _default_pair(numbers: list[int]) -> tuple[str | int, str | int] | None:
    """With nothing chosen: the two newest versions, or the only one against the set now."""
    if len(numbers) >= 2:
        return numbers[1], numbers[0]
    if numbers:
        return numbers[0], versions.CURRENT
    return None


@require_safe
def version_compare_page(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study)
    listed = versions.versions_for(member)
    numbers = [version.number for version in listed]
    context = {
        "study": study,
        "member": member,
        "versions": listed,
        "current": versions.CURRENT,
        "errors": [],
    }
    sent_a, sent_b = request.GET.get("a"), request.GET.get("b")
    status = 200
    pair = None
    if sent_a is None and sent_b is None:
        pair = _default_pair(numbers)
    else:
        try:
            pair = (
                _which(sent_a or "", set(numbers), "the first"),
                _which(sent_b or "", set(numbers), "the second"),
            )
        except ValidationError as error:
            context["errors"], status = error.messages, 422
    if pair is not None:
        stored = {
            version.number: version.snapshot
            for version in ThemeSetVersion.objects.filter(
                study=study, number__in=[side for side in pair if side != versions.CURRENT]
            )
        }
        if versions.CURRENT in pair:
            stored[versions.CURRENT] = versions.snapshot_of(member, versions.CURRENT)
        old, new = stored[pair[0]], stored[pair[1]]
        context.update(
            a=pair[0],
            b=pair[1],
            chosen=list(
                {v.number: v for side in pair for v in listed if v.number == side}.values()
            ),
            comparison=versions.version_compare(member, old, new),
        )
    return render(request, COMPARE, context, status=status)


# The lead's review ------------------------------------------------------------------------


def _render_review(
    request: HttpRequest,
    study: Study,
    member: Membership,
    *,
    comment_error: dict | None = None,
    verdict_error: dict | None = None,
    status: int = 200,
) -> HttpResponse:
    threads = lead_review.open_threads(member)
    verdicts = lead_review.latest_verdicts(member)
    ordered = lead_review.themes_in_order(member)
    by_pk = {theme.pk: theme for theme, _depth in ordered}
    themes = [
        {"theme": theme, "depth": depth, "parent": by_pk.get(theme.parent_id),
         "threads": threads.get(theme.pk, []), "verdict": verdicts.get(theme.pk),
         "key": str(theme.uuid)}
        for theme, depth in ordered
    ]  # fmt: skip
    target = comment_error["target"] if comment_error else None
    shown = {item["key"]: item["threads"] for item in themes} | {"map": threads.get(None, [])}
    context = {
        "study": study,
        "member": member,
        "map": {"threads": threads.get(None, []), "verdict": verdicts.get(None), "key": "map"},
        "themes": themes,
        "open_count": sum(len(found) for found in threads.values()),
        "verdicts": Verdict.choices,
        "comment_error": _draft_placed(comment_error, shown.get(target, [])),
        "verdict_error": verdict_error,
        # Errors about a theme that is not (or no longer) there have no block to sit in.
        "unplaced": [e for e in (comment_error, verdict_error) if e and e["target"] is None],
    }
    return render(request, REVIEW, context, status=status)


@require_safe
def review_page(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study)
    return _render_review(request, study, member)


def _next(request: HttpRequest, study: Study) -> str:
    """Where a plain form goes back to: the page it was sent from, if it is this study's."""
    sent = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(sent, {request.get_host()}, request.is_secure())
    if safe and sent.startswith(f"/s/{study.slug}/"):
        return sent
    return reverse("themes-review", kwargs={"study": study.slug})


def _sent_theme(request: HttpRequest, study: Study) -> Theme | None:
    """The theme a form names (none: the map)."""
    sent = request.POST.get("theme", "").strip()
    if not sent:
        return None
    try:
        theme = Theme.objects.filter(study=study, uuid=uuid.UUID(sent)).first()
    except ValueError:
        theme = None
    if theme is None:
        raise ValidationError("That theme is not (or no longer) one of this study's.")
    return theme


def _key(theme: Theme | None) -> str:
    return str(theme.uuid) if theme is not None else "map"


def _draft_placed(error: dict | None, threads: list[ReviewComment]) -> dict | None:
    """A refused reply to a thread that is not shown (resolved or gone meanwhile) keeps its
    words in the new-comment box."""
    if error and error.get("reply_to") not in {str(root.uuid) for root in threads}:
        return {**error, "reply_to": ""}
    return error


def _comments_block(
    request: HttpRequest,
    study: Study,
    member: Membership,
    theme: Theme | None,
    *,
    error: dict | None = None,
    status: int = 200,
) -> HttpResponse:
    comments = lead_review.threads_for(member, theme)
    context = {
        "study": study,
        "member": member,
        "theme": theme,
        "comments": comments,
        "next": _next(request, study),
        "comment_error": _draft_placed(error, comments),
        "oob_messages": True,
    }
    return render(request, COMMENTS, context, status=status)


def _comment_refused(request, study, member, theme, error: dict) -> HttpResponse:
    """The form again with why it was refused (422): in its thread block for htmx, on the review
    page otherwise. Without a block to put it in (the theme has gone), in the messages."""
    if not request.htmx:
        return _render_review(request, study, member, comment_error=error, status=422)
    if error["target"] is None:
        for text in error["messages"]:
            messages.error(request, text)
        response = render(request, "includes/messages.html", status=422)
        return retarget(reswap(response, "outerHTML"), "#messages")
    return _comments_block(request, study, member, theme, error=error, status=422)


def _comment_done(request, study, member, theme, message: str) -> HttpResponse:
    messages.success(request, message)
    if not request.htmx:
        return redirect(_next(request, study))
    response = _comments_block(request, study, member, theme)
    return trigger_client_event(response, REVIEW_CHANGED, {"on": _key(theme)})


@vary_on_headers("HX-Request")
@require_POST
def comment_post(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study, Role.CODER)
    error = {"reply_to": request.POST.get("reply_to", ""), "text": request.POST.get("text", "")}
    try:
        theme = _sent_theme(request, study)
    except ValidationError as refused:
        error.update(target=None, messages=refused.messages)
        return _comment_refused(request, study, member, None, error)
    error["target"] = _key(theme)
    form = CommentForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_errors(form))
        reply_to = None
        if form.cleaned_data["reply_to"] is not None:
            reply_to = ReviewComment.objects.filter(
                study=study, uuid=form.cleaned_data["reply_to"]
            ).first()
            if reply_to is None:
                raise ValidationError("The comment you answer is not (or no longer) here.")
        comment = lead_review.comment_add(
            member=member,
            text=form.cleaned_data["text"],
            theme=theme,
            reply_to=reply_to,
            request=request,
        )
    except ValidationError as refused:
        error["messages"] = refused.messages
        return _comment_refused(request, study, member, theme, error)
    where = f"on “{comment.theme.name}”" if comment.theme else "on the map"
    said = "Replied" if comment.reply_to_id else "Commented"
    return _comment_done(request, study, member, comment.theme, f"{said} {where}.")


@vary_on_headers("HX-Request")
@require_POST
def comment_resolve_post(request: HttpRequest, study: str, comment: str) -> HttpResponse:
    study, member = study_access(request, study, Role.CODER)
    found = ReviewComment.objects.filter(study=study, uuid=comment).select_related("theme").first()
    if found is None:
        raise Http404
    try:
        root = lead_review.comment_resolve(member=member, comment=found, request=request)
    except ValidationError as refused:
        error = {"target": _key(found.theme), "messages": refused.messages}
        return _comment_refused(request, study, member, found.theme, error)
    return _comment_done(request, study, member, root.theme, "Resolved the thread.")


@require_POST
def verdict_post(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study, Role.LEAD)
    error = {"target": None, "note": request.POST.get("note", "")}
    try:
        theme = _sent_theme(request, study)
        error["target"] = _key(theme)
        form = VerdictForm(request.POST)
        if not form.is_valid():
            raise ValidationError(_errors(form))
        recorded = lead_review.verdict_record(
            member=member,
            verdict=form.cleaned_data["verdict"],
            theme=theme,
            note=form.cleaned_data["note"],
            request=request,
        )
    except ValidationError as refused:
        error["messages"] = refused.messages
        return _render_review(request, study, member, verdict_error=error, status=422)
    where = f"“{theme.name}”" if theme is not None else "the map"
    messages.success(request, f"{recorded.get_verdict_display()}: {where}.")
    if request.htmx:
        return HttpResponseClientRedirect(_next(request, study))
    return redirect(_next(request, study))
