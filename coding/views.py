"""Reading and coding a locked transcript: its turns, its codings (under the blind rule) as
highlights and margin stripes, coding by selection, and the codings under a highlight, read on
demand (codes, coders, memos; the owner removes one, or confirms one a correction changed)."""

from collections import Counter

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from coding import services
from coding.models import Code, Coding, FamiliarisationNote, Memo
from coding.rendering import codes_here_html, render_turns, turn_html
from studies.access import study_access
from studies.models import Membership, Role, Study
from transcripts.models import Transcript, TranscriptVersion

PAGE = "coding/transcript.html"
DETAILS = "coding/includes/coding_details.html"


def _current(transcript: Transcript) -> TranscriptVersion:
    return transcript.versions.order_by("-number").first()


def _codes_here(study: Study, used: Counter[Code]) -> str:
    """The codes used here, with counts and a link to each one's extracts."""
    placeholder = "00000000-0000-0000-0000-000000000000"
    retrieve = reverse("coding-retrieve", args=[study.slug, placeholder])
    return codes_here_html(
        sorted(used.items(), key=lambda item: item[0].label.lower()),
        lambda code: retrieve.replace(placeholder, str(code.uuid)),
    )


def _left_behind(member, transcript, version) -> list[Coding]:
    """Codings whose words a correction removed: they stay on their version until seen to."""
    codings = list(
        Coding.objects.visible_to(member)
        .filter(version__transcript=transcript, needs_check=True)
        .exclude(version=version)
        .select_related("code", "coder", "version")
    )
    for coding in codings:
        coding.words = coding.version.text[coding.start : coding.end]
    return codings


def _context(member: Membership, transcript: Transcript) -> dict:
    version = _current(transcript)
    codings = list(
        Coding.objects.visible_to(member)
        .filter(version=version)
        .select_related("code")
        .order_by("start", "end")
    )
    turns = render_turns(
        list(version.turns.select_related("participant").order_by("position")),
        version.text,
        codings,
    )
    return {
        "transcript": transcript,
        "version": version,
        "turns": turns,
        "coding_count": len(codings),
        "codes_here": _codes_here(transcript.study, Counter(c.code for c in codings)),
        "codes": Code.objects.visible_to(member).filter(retired_at__isnull=True),
        "left_behind": _left_behind(member, transcript, version),
        "can_code": member.has_role(Role.CODER),
    }


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
    context = _context(member, transcript)
    # ?at=<code point>: the page opens with that highlight's codings shown (links from elsewhere).
    at = _offset(request.GET.get("at", ""))
    if at is not None:
        context["details"] = _details(request, study, member, transcript, context["version"], at)
    return render(request, PAGE, {"study": study, "member": member, "note": note, **context})


def _under(member: Membership, version: TranscriptVersion, at: int | None) -> list[Coding]:
    """The codings the member may see that cover the code point `at`, with their memos."""
    if at is None:
        return []
    codings = list(
        Coding.objects.visible_to(member)
        .filter(version=version, start__lte=at, end__gt=at)
        .select_related("code", "coder")
        .order_by("start", "end", "code__label")
    )
    memos: dict[int, list[Memo]] = {}
    for memo in (
        Memo.objects.visible_to(member)
        .filter(coding__in=[coding.pk for coding in codings])
        .select_related("author")
        .order_by("created_at", "id")
    ):
        memos.setdefault(memo.coding_id, []).append(memo)
    for coding in codings:
        coding.words = version.text[coding.start : coding.end]
        coding.memo_list = memos.get(coding.pk, [])
    return codings


def _details(request, study, member, transcript, version, at: int | None) -> str:
    return render_to_string(
        DETAILS,
        {
            "study": study,
            "transcript": transcript,
            "at": at,
            "codings": _under(member, version, at),
            "can_memo": member.has_role(Role.CODER),
        },
        request=request,
    )


def _offset(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def details(request: HttpRequest, study: str, transcript: str) -> HttpResponse:
    """The codings under a highlight (?at=<code point>), for the side panel."""
    study, member = study_access(request, study)
    transcript = _transcript(study, transcript)
    version = _current(transcript) if transcript.is_codable else None
    at = _offset(request.GET.get("at", "")) if version else None
    return HttpResponse(_details(request, study, member, transcript, version, at))


def _changed(
    request, study, member, transcript, start: int, end: int, *, at: int | None = None
) -> HttpResponse:
    """The answer to htmx after a change to the codings of [start, end): the turns it touches,
    the count and the codes used here, swapped in place — and the highlight's panel when the
    change was made from it (nothing else is sent)."""
    version = _current(transcript)
    turns = list(
        version.turns.select_related("participant")
        .filter(start__lt=end, end__gt=start)
        .order_by("position")
    )
    low, high = (turns[0].start, turns[-1].end) if turns else (start, end)
    visible = Coding.objects.visible_to(member).filter(version=version)
    nearby = list(visible.filter(start__lt=high, end__gt=low).select_related("code"))
    counts = dict(visible.order_by().values_list("code").annotate(n=Count("pk")))
    used = Counter({code: counts[pk] for pk, code in Code.objects.in_bulk(counts).items()})
    parts = [turn_html(turn, version.text, nearby, oob=True) for turn in turns]
    parts.append(f'<span id="coding-count" hx-swap-oob="true">{used.total()}</span>')
    parts.append(f'<div id="codes-here" hx-swap-oob="true">{_codes_here(study, used)}</div>')
    if at is not None:
        parts.append(_details(request, study, member, transcript, version, at))
    parts.append(render_to_string("includes/messages.html", {"oob": True}, request=request))
    return HttpResponse("".join(parts))


def _refused(request, transcript, errors, status=422) -> HttpResponse:
    """Errors go to the messages area (htmx), or back to the page."""
    for error in errors:
        messages.error(request, error)
    if request.htmx:
        return HttpResponse(
            render_to_string("includes/messages.html", {"oob": True}, request=request),
            status=status,
        )
    return redirect("coding-transcript", study=transcript.study.slug, transcript=transcript.uuid)


@vary_on_headers("HX-Request")
@require_POST
def apply(request: HttpRequest, study: str, transcript: str) -> HttpResponse:
    study, member = study_access(request, study, Role.CODER)
    transcript = _transcript(study, transcript)
    try:
        start, end = int(request.POST.get("start", "")), int(request.POST.get("end", ""))
    except ValueError:
        return _refused(request, transcript, ["Select some text first."])
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
        return _refused(request, transcript, error.messages)
    messages.success(request, "Coded: " + ", ".join(coding.code.label for coding in codings) + ".")
    if request.htmx:
        return _changed(request, study, member, transcript, start, end)
    return redirect("coding-transcript", study=study.slug, transcript=transcript.uuid)


def _own_coding(request, study, transcript, coding) -> tuple[Membership, Transcript, Coding]:
    study, member = study_access(request, study, Role.CODER)
    transcript = _transcript(study, transcript)
    coding = get_object_or_404(
        Coding.objects.visible_to(member).select_related("code"),
        uuid=coding,
        version__transcript=transcript,
    )
    return member, transcript, coding


@vary_on_headers("HX-Request")
@require_POST
def remove(request: HttpRequest, study: str, transcript: str, coding: str) -> HttpResponse:
    member, transcript, coding = _own_coding(request, study, transcript, coding)
    try:
        services.coding_remove(member=member, coding=coding)
    except ValidationError as error:
        return _refused(request, transcript, error.messages)
    messages.success(request, f"Removed the coding “{coding.code.label}”.")
    if request.htmx:
        return _changed(
            request, member.study, member, transcript, coding.start, coding.end,
            at=_offset(request.POST.get("at", "")),
        )  # fmt: skip
    return redirect("coding-transcript", study=member.study.slug, transcript=transcript.uuid)


@vary_on_headers("HX-Request")
@require_POST
def confirm(request: HttpRequest, study: str, transcript: str, coding: str) -> HttpResponse:
    """The coder has looked at a coding a correction changed, and it still fits."""
    member, transcript, coding = _own_coding(request, study, transcript, coding)
    try:
        services.coding_confirm(member=member, coding=coding)
    except ValidationError as error:
        return _refused(request, transcript, error.messages)
    messages.success(request, f"The coding “{coding.code.label}” still fits: marked as checked.")
    if request.htmx:
        return _changed(
            request, member.study, member, transcript, coding.start, coding.end,
            at=_offset(request.POST.get("at", "")),
        )  # fmt: skip
    return redirect("coding-transcript", study=member.study.slug, transcript=transcript.uuid)
