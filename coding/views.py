"""Reading and coding a locked transcript: its turns, its codings (under the blind rule) as
highlights and margin stripes, coding by selection, removing one's own codings."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from coding import services
from coding.models import Code, Coding, FamiliarisationNote, Memo
from coding.rendering import coding_item_html, render_turns, turn_html
from studies.access import study_access
from studies.models import Role
from transcripts.models import Transcript

PAGE = "coding/transcript.html"


def _context(request, member, transcript) -> dict:
    version = transcript.versions.order_by("-number").first()
    codings = list(
        Coding.objects.visible_to(member)
        .filter(version=version)
        .select_related("code", "coder")
        .order_by("start", "end")
    )
    # Every coding's memos in one query, under the same blind rule as the codings.
    memos: dict[int, list[Memo]] = {}
    for memo in (
        Memo.objects.visible_to(member)
        .filter(coding__version=version)
        .select_related("author")
        .order_by("created_at", "id")
    ):
        memos.setdefault(memo.coding_id, []).append(memo)
    # Each coding's links, from one reversed URL apiece: reversing a thousand times is slow.
    placeholder = "00000000-0000-0000-0000-000000000000"
    remove_url = reverse(
        "coding-remove", args=[transcript.study.slug, transcript.uuid, placeholder]
    )
    memo_url = reverse("coding-memos", args=[transcript.study.slug, "coding", placeholder])
    for coding in codings:
        coding.excerpt = version.text[coding.start : coding.end]
        coding.memo_list = memos.get(coding.pk, [])
        coding.remove_url = remove_url.replace(placeholder, str(coding.uuid))
        coding.memo_url = memo_url.replace(placeholder, str(coding.uuid))
    turns = render_turns(
        list(version.turns.select_related("participant").order_by("position")),
        version.text,
        codings,
    )
    codes = list(Code.objects.visible_to(member).filter(retired_at__isnull=True))
    return {
        "coding_items": [_item(request, member, coding) for coding in codings],
        "transcript": transcript,
        "version": version,
        "turns": turns,
        "codings": codings,
        "codes": codes,
        "can_memo": member.has_role(Role.CODER),
    }


def _item(request, member, coding: Coding) -> str:
    """A coding's line in the side list; its memos, where it has some, through their template."""
    memos_html = ""
    if coding.memo_list:
        memos_html = render_to_string(
            "coding/includes/memos.html",
            {
                "study": member.study,
                "on": "coding",
                "target": coding,
                "memos": coding.memo_list,
                "can_memo": member.has_role(Role.CODER),
            },
            request=request,
        )
    return coding_item_html(
        coding,
        csrf_token=get_token(request),
        user_id=request.user.pk,
        memos_html=memos_html,
        memo_url=coding.memo_url if member.has_role(Role.CODER) else "",
    )


def _changed(
    request, member, transcript, start: int, end: int, *, added=(), removed=()
) -> HttpResponse:
    """The answer to htmx after a coding was applied or removed: the turns it touches, the new
    or removed lines of the side list and its count, swapped in place (nothing else is sent)."""
    version = transcript.versions.order_by("-number").first()
    turns = list(
        version.turns.select_related("participant")
        .filter(start__lt=end, end__gt=start)
        .order_by("position")
    )
    low, high = (turns[0].start, turns[-1].end) if turns else (start, end)
    nearby = list(
        Coding.objects.visible_to(member)
        .filter(version=version, start__lt=high, end__gt=low)
        .select_related("code", "coder")
    )
    count = Coding.objects.visible_to(member).filter(version=version).count()
    placeholder = "00000000-0000-0000-0000-000000000000"
    remove_url = reverse(
        "coding-remove", args=[transcript.study.slug, transcript.uuid, placeholder]
    )
    memo_url = reverse("coding-memos", args=[transcript.study.slug, "coding", placeholder])
    items = []
    for coding in added:
        coding.excerpt, coding.memo_list = version.text[coding.start : coding.end], []
        coding.remove_url = remove_url.replace(placeholder, str(coding.uuid))
        coding.memo_url = memo_url.replace(placeholder, str(coding.uuid))
        items.append(_item(request, member, coding))
    parts = [turn_html(turn, version.text, nearby, oob=True) for turn in turns]
    if items:
        parts.append(f'<ul hx-swap-oob="beforeend:#coding-list">{"".join(items)}</ul>')
    parts += [f'<li id="coding-{uuid}" hx-swap-oob="delete"></li>' for uuid in removed]
    parts.append(f'<span id="coding-count" class="muted" hx-swap-oob="true">({count})</span>')
    parts.append(render_to_string("includes/messages.html", {"oob": True}, request=request))
    return HttpResponse("".join(parts))


def _transcript(study, uuid) -> Transcript:
    return get_object_or_404(
        Transcript.objects.select_related("participant", "source_project", "study"),
        study=study,
        uuid=uuid,
    )


def transcript_page(request: HttpRequest, study: str, transcript: str) -> HttpResponse:
    study, member = study_access(request, study)
    transcript = _transcript(study, transcript)
    if not transcript.is_codable:
        return render(
            request, "coding/not_codable.html", {"study": study, "transcript": transcript}
        )
    # The reader's own familiarisation note: private, so read by its author only.
    note = FamiliarisationNote.objects.filter(
        study=study, author=request.user, transcript=transcript
    ).first()
    return render(
        request,
        PAGE,
        {"study": study, "member": member, "note": note, **_context(request, member, transcript)},
    )


def _answer(request, study, member, transcript, *, errors=(), status=200) -> HttpResponse:
    if request.htmx and errors:
        # The coding form swaps nothing itself: the errors go to the messages area.
        for error in errors:
            messages.error(request, error)
        return HttpResponse(
            render_to_string("includes/messages.html", {"oob": True}, request=request),
            status=status,
        )
    if request.htmx:
        return render(
            request,
            f"{PAGE}#reading",
            {
                "study": study,
                "member": member,
                "errors": errors,
                **_context(request, member, transcript),
            },
            status=status,
        )
    for error in errors:
        messages.error(request, error)
    return redirect("coding-transcript", study=study.slug, transcript=transcript.uuid)


@vary_on_headers("HX-Request")
@require_POST
def apply(request: HttpRequest, study: str, transcript: str) -> HttpResponse:
    study, member = study_access(request, study, Role.CODER)
    transcript = _transcript(study, transcript)
    try:
        start, end = int(request.POST.get("start", "")), int(request.POST.get("end", ""))
    except ValueError:
        return _answer(
            request, study, member, transcript, errors=["Select some text first."], status=422
        )
    chosen = Code.objects.visible_to(member).filter(uuid__in=request.POST.getlist("code"))
    try:
        codings = services.coding_apply(
            member=member,
            transcript=transcript,
            start=start,
            end=end,
            codes=list(chosen),
            new_label=request.POST.get("new_code", ""),
            request=request,
        )
    except ValidationError as error:
        return _answer(request, study, member, transcript, errors=error.messages, status=422)
    messages.success(request, "Coded: " + ", ".join(coding.code.label for coding in codings) + ".")
    if request.htmx:
        return _changed(request, member, transcript, start, end, added=codings)
    return _answer(request, study, member, transcript)


@vary_on_headers("HX-Request")
@require_POST
def remove(request: HttpRequest, study: str, transcript: str, coding: str) -> HttpResponse:
    study, member = study_access(request, study, Role.CODER)
    transcript = _transcript(study, transcript)
    coding = get_object_or_404(
        Coding.objects.visible_to(member), uuid=coding, version__transcript=transcript
    )
    try:
        services.coding_remove(member=member, coding=coding)
    except ValidationError as error:
        return _answer(request, study, member, transcript, errors=error.messages, status=422)
    messages.success(request, f"Removed the coding “{coding.code.label}”.")
    if request.htmx:
        return _changed(
            request, member, transcript, coding.start, coding.end, removed=[coding.uuid]
        )
    return _answer(request, study, member, transcript)
