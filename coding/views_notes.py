"""Familiarisation notes, memos, the reflexive journal and search.

Who may do what is decided in coding/notes.py: every member keeps private familiarisation
notes; coders, leads and custodians write memos and journal entries; only an author changes
their own. Memos and journal entries are read only through their `visible_to` querysets, notes
only through their author.
"""

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import (
    Exists,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    prefetch_related_objects,
)
from django.db.models.functions import Substr
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from coding import notes
from coding.forms_notes import JournalEntryForm, MemoForm, NoteForm, SearchForm
from coding.models import Code, Coding, FamiliarisationNote, JournalEntry, Memo
from coding.reconcile.meetings import decision_label, decisions_visible_to
from coding.search import search as run_search
from coding.search import turn_url
from studies.access import study_access
from studies.models import Membership, Role, Study
from transcripts.models import Transcript, TranscriptVersion, Turn

JOURNAL_PER_PAGE = 20


def _with_messages(request: HttpRequest, html: str) -> str:
    return html + render_to_string("includes/messages.html", {"oob": True}, request)


# Familiarisation notes ---------------------------------------------------------------------


def _own_note(study: Study, request: HttpRequest, transcript: Transcript | None):
    return FamiliarisationNote.objects.filter(
        study=study, author=request.user, transcript=transcript
    ).first()


def _note_answer(
    request: HttpRequest,
    member: Membership,
    transcript: Transcript | None,
    form: NoteForm,
    back: str,
) -> HttpResponse:
    """Save the note the form carries; answer htmx with the note's panel, a plain form with a
    redirect (or the page again with the error)."""
    study = member.study
    saved = False
    if form.is_valid():
        try:
            notes.note_save(member=member, transcript=transcript, text=form.cleaned_data["text"])
        except ValidationError as error:
            form.add_error("text", error)
        else:
            saved = True
    if saved and not request.htmx:
        messages.success(request, "Your notes are saved.")
        return redirect(back)
    context = {
        "study": study,
        "transcript": transcript,
        "note": _own_note(study, request, transcript),
        "note_form": None if saved else form,
        "saved": saved,
    }
    status = 200 if saved else 422
    if request.htmx:
        return render(request, "coding/includes/note_panel.html", context, status=status)
    if transcript is None:
        return render(
            request, "coding/notes.html", _notes_context(study, request, context), status=422
        )
    return render(request, "coding/notes_edit.html", context, status=422)


def _notes_context(study: Study, request: HttpRequest, dataset: dict) -> dict:
    return {
        "study": study,
        "dataset": dataset,
        "transcript_notes": FamiliarisationNote.objects.filter(
            study=study, author=request.user, transcript__isnull=False
        )
        .select_related("transcript__participant")
        .order_by("transcript__title"),
    }


@require_safe
def notes_page(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study)
    dataset = {"study": study, "transcript": None, "note": _own_note(study, request, None)}
    return render(request, "coding/notes.html", _notes_context(study, request, dataset))


@vary_on_headers("HX-Request")
@require_POST
def note_dataset(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study)
    back = reverse("coding-notes", args=[study.slug])
    return _note_answer(request, member, None, NoteForm(request.POST), back)


@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
def note_transcript(request: HttpRequest, study: str, transcript: UUID) -> HttpResponse:
    study, member = study_access(request, study)
    transcript = get_object_or_404(Transcript, study=study, uuid=transcript)
    if request.method == "POST":
        back = reverse("coding-transcript", args=[study.slug, transcript.uuid]) + "#note-transcript"
        return _note_answer(request, member, transcript, NoteForm(request.POST), back)
    note = _own_note(study, request, transcript)
    return render(
        request,
        "coding/notes_edit.html",
        {"study": study, "transcript": transcript, "note": note},
    )


# Memos -------------------------------------------------------------------------------------

MEMO_TARGETS = ("coding", "code", "transcript")


def _memo_target(member: Membership, on: str, uuid: UUID) -> Coding | Code | Transcript:
    """The thing a memo hangs on, among those the member may see."""
    if on == "coding":
        codings = (
            Coding.objects.visible_to(member)
            .select_related("code", "coder", "version__transcript")
            .annotate(turn=_turn_of_coding())
        )
        coding = get_object_or_404(codings, uuid=uuid)
        coding.excerpt = coding.version.text[coding.start : coding.end]
        return coding
    if on == "code":
        return get_object_or_404(Code.objects.visible_to(member), uuid=uuid)
    if on == "transcript":
        return get_object_or_404(Transcript, study_id=member.study_id, uuid=uuid)
    raise Http404


def _turn_of_coding() -> Subquery:
    return Subquery(
        Turn.objects.filter(version=OuterRef("version"), start__lte=OuterRef("start"))
        .order_by("-start")
        .values("position")[:1]
    )


def _memos_context(member: Membership, on: str, target, **extra) -> dict:
    memos = Memo.objects.visible_to(member).filter(**{on: target}).select_related("author")
    slug = member.study.slug
    if on == "coding":
        target_url = turn_url(slug, target.version.transcript.uuid, getattr(target, "turn", None))
    elif on == "transcript":
        target_url = reverse("coding-transcript", args=[slug, target.uuid])
    else:
        target_url = ""
    return {
        "study": member.study,
        "on": on,
        "target": target,
        "target_url": target_url,
        "memos": memos,
        "can_memo": member.has_role(Role.CODER) and (on != "transcript" or target.is_codable),
        **extra,
    }


def _memos_back(study: Study, on: str, target) -> str:
    if on == "coding":
        url = reverse("coding-transcript", args=[study.slug, target.version.transcript.uuid])
        return f"{url}?at={target.start}#coding-{target.uuid}"
    return reverse("coding-memos", args=[study.slug, on, target.uuid])


def _memos_answer(request: HttpRequest, member, on, target, *, status=200, **extra) -> HttpResponse:
    """htmx gets the target's list of memos; a plain form a redirect back, or the memos page
    with the error in place."""
    context = _memos_context(member, on, target, **extra)
    if request.htmx:
        html = render_to_string("coding/includes/memos.html", context, request)
        return HttpResponse(_with_messages(request, html), status=status)
    if status != 200:
        if "edit_form" in extra:
            return render(request, "coding/notes_memo_edit.html", context, status=status)
        return render(request, "coding/notes_memos.html", context, status=status)
    return redirect(_memos_back(member.study, on, target))


@require_safe
def memos_page(request: HttpRequest, study: str, on: str, target: UUID) -> HttpResponse:
    study, member = study_access(request, study)
    target = _memo_target(member, on, target)
    return render(request, "coding/notes_memos.html", _memos_context(member, on, target))


@vary_on_headers("HX-Request")
@require_POST
def memo_add(request: HttpRequest, study: str, on: str, target: UUID) -> HttpResponse:
    study, member = study_access(request, study, Role.CODER)
    target = _memo_target(member, on, target)
    form = MemoForm(request.POST)
    if form.is_valid():
        try:
            notes.memo_add(member=member, text=form.cleaned_data["text"], **{on: target})
        except ValidationError as error:
            form.add_error("text", error)
        else:
            messages.success(request, "Memo added.")
            return _memos_answer(request, member, on, target)
    return _memos_answer(request, member, on, target, status=422, add_form=form)


def _own_memo(request: HttpRequest, member: Membership, uuid: UUID) -> tuple[Memo, str, object]:
    """One of the member's own memos, with what it hangs on. Someone else's memo that the
    member can see is refused (403); one they cannot see does not exist for them (404)."""
    memo = get_object_or_404(
        Memo.objects.visible_to(member)
        .select_related("coding__code", "coding__version__transcript", "code", "transcript")
        .defer("coding__version__text"),
        uuid=uuid,
    )
    if memo.author_id != member.user_id:
        raise PermissionDenied("Only a memo's author changes it.")
    on = next(on for on in MEMO_TARGETS if getattr(memo, f"{on}_id") is not None)
    return memo, on, getattr(memo, on)


@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
def memo_edit(request: HttpRequest, study: str, memo: UUID) -> HttpResponse:
    study, member = study_access(request, study, Role.CODER)
    memo, on, target = _own_memo(request, member, memo)
    if request.method == "GET":
        context = _memos_context(member, on, target, memo=memo, edit_form=None)
        return render(request, "coding/notes_memo_edit.html", context)
    form = MemoForm(request.POST)
    if form.is_valid():
        try:
            notes.memo_edit(member=member, memo=memo, text=form.cleaned_data["text"])
        except ValidationError as error:
            form.add_error("text", error)
        else:
            messages.success(request, "Memo saved.")
            return _memos_answer(request, member, on, target)
    return _memos_answer(request, member, on, target, status=422, memo=memo, edit_form=form)


@vary_on_headers("HX-Request")
@require_POST
def memo_delete(request: HttpRequest, study: str, memo: UUID) -> HttpResponse:
    study, member = study_access(request, study, Role.CODER)
    memo, on, target = _own_memo(request, member, memo)
    notes.memo_delete(member=member, memo=memo)
    messages.success(request, "Memo deleted.")
    return _memos_answer(request, member, on, target)


# The reflexive journal ---------------------------------------------------------------------


def _entries(member: Membership) -> QuerySet:
    """The journal entries the member may read, each with the words of its passage (in the
    transcript's current text) and the turn the passage starts in; only the codes the member
    may see are listed with it. Whether it links to decisions the member may see is noted
    (`has_decisions`): `_with_decisions` then fetches those, for the entries that have any."""
    current = TranscriptVersion.objects.filter(transcript=OuterRef("transcript")).order_by(
        "-number"
    )
    return (
        JournalEntry.objects.visible_to(member)
        .select_related("author", "transcript")
        .annotate(
            passage=Subquery(
                current.values(
                    words=Substr("text", OuterRef("start") + 1, OuterRef("end") - OuterRef("start"))
                )[:1]
            ),
            turn=Subquery(
                Turn.objects.filter(
                    version__transcript=OuterRef("transcript"), start__lte=OuterRef("start")
                )
                .order_by("-version__number", "-start")
                .values("position")[:1]
            ),
            has_decisions=Exists(
                JournalEntry.decisions.through.objects.filter(
                    journalentry_id=OuterRef("pk"),
                    decision_id__in=decisions_visible_to(member).values("pk"),
                )
            ),
        )
        .prefetch_related(Prefetch("codes", queryset=Code.objects.visible_to(member)))
        .order_by("-created_at", "-id")
    )


def _with_decisions(member: Membership, entries: list[JournalEntry]) -> None:
    """Set `linked_decisions` on each entry: the decisions it links to that the member may see,
    each with its label and the address that shows it (its meeting, or the decision log of its
    reconciliation). One query, and none when no entry links to a decision."""
    decisions = (
        decisions_visible_to(member)
        .select_related("version__transcript", "meeting", "reconciliation")
        .defer("version__text")
        .order_by("decided_at", "id")
    )
    linking = [entry for entry in entries if entry.has_decisions]
    prefetch_related_objects(
        linking, Prefetch("decisions", queryset=decisions, to_attr="linked_decisions")
    )
    slug = member.study.slug
    for entry in entries:
        if not entry.has_decisions:
            entry.linked_decisions = []
        for decision in entry.linked_decisions:
            decision.label = decision_label(decision)
            if decision.meeting is not None:
                url = reverse("coding-meeting", args=[slug, decision.meeting.uuid])
            else:
                url = reverse("coding-decisions", args=[slug])
                url += f"?reconciliation={decision.reconciliation.uuid}"
            decision.url = f"{url}#decision-{decision.uuid}"


def _entry_context(study: Study, entry: JournalEntry) -> dict:
    url = turn_url(study.slug, entry.transcript.uuid, entry.turn) if entry.transcript else ""
    return {"entry": entry, "passage_url": url}


@require_safe
def journal(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study)
    page = Paginator(_entries(member), JOURNAL_PER_PAGE).get_page(request.GET.get("page"))
    entries = list(page.object_list)
    _with_decisions(member, entries)
    page.object_list = [_entry_context(study, entry) for entry in entries]
    return render(
        request,
        "coding/journal.html",
        {"study": study, "page": page, "can_write": member.has_role(Role.CODER)},
    )


@require_safe
def journal_entry(request: HttpRequest, study: str, entry: UUID) -> HttpResponse:
    study, member = study_access(request, study)
    entry = get_object_or_404(_entries(member), uuid=entry)
    _with_decisions(member, [entry])
    return render(
        request,
        "coding/journal_entry.html",
        {
            "study": study,
            "can_write": member.has_role(Role.CODER),
            **_entry_context(study, entry),
        },
    )


def _save_entry(request: HttpRequest, study: Study, member, form, entry=None) -> HttpResponse:
    if form.is_valid():
        data = form.cleaned_data
        fields = {
            "title": data["title"],
            "text": data["text"],
            "shared": data["shared"],
            "transcript": data["transcript"],
            "start": data["start"],
            "end": data["end"],
            "codes": data["codes"],
            "decisions": data["decisions"],
        }
        try:
            if entry is None:
                entry = notes.journal_entry_add(member=member, **fields)
            else:
                entry = notes.journal_entry_edit(member=member, entry=entry, **fields)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Journal entry “{entry.title}” saved.")
            return redirect("coding-journal-entry", study=study.slug, entry=entry.uuid)
    return render(
        request,
        "coding/journal_form.html",
        {"study": study, "form": form, "entry": entry},
        status=422,
    )


@require_http_methods(["GET", "POST"])
def journal_new(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study, Role.CODER)
    if request.method == "POST":
        return _save_entry(request, study, member, JournalEntryForm(request.POST, member=member))
    # A passage chosen elsewhere (the reading page) arrives in the address.
    initial = {
        key: request.GET[key] for key in ("transcript", "start", "end") if key in request.GET
    }
    form = JournalEntryForm(member=member, initial=initial)
    return render(request, "coding/journal_form.html", {"study": study, "form": form})


def _own_entry(member: Membership, uuid: UUID) -> JournalEntry:
    entry = get_object_or_404(
        JournalEntry.objects.visible_to(member).select_related("transcript"), uuid=uuid
    )
    if entry.author_id != member.user_id:
        raise PermissionDenied("Only an entry's author changes it.")
    return entry


@require_http_methods(["GET", "POST"])
def journal_edit(request: HttpRequest, study: str, entry: UUID) -> HttpResponse:
    study, member = study_access(request, study, Role.CODER)
    entry = _own_entry(member, entry)
    if request.method == "POST":
        form = JournalEntryForm(request.POST, member=member)
        return _save_entry(request, study, member, form, entry)
    form = JournalEntryForm(
        member=member,
        initial={
            "title": entry.title,
            "text": entry.text,
            "shared": entry.shared,
            "transcript": entry.transcript,
            "start": entry.start,
            "end": entry.end,
            "codes": list(Code.objects.visible_to(member).filter(journal_entries=entry)),
            "decisions": list(decisions_visible_to(member).filter(journal_entries=entry)),
        },
    )
    return render(
        request, "coding/journal_form.html", {"study": study, "form": form, "entry": entry}
    )


@require_POST
def journal_delete(request: HttpRequest, study: str, entry: UUID) -> HttpResponse:
    study, member = study_access(request, study, Role.CODER)
    entry = _own_entry(member, entry)
    notes.journal_entry_delete(member=member, entry=entry)
    messages.success(request, f"Journal entry “{entry.title}” deleted.")
    return redirect("coding-journal", study=study.slug)


# Search ------------------------------------------------------------------------------------


@require_safe
def search(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study)
    if not request.GET.get("q", "").strip():
        return render(request, "coding/search.html", {"study": study, "form": SearchForm()})
    form = SearchForm(request.GET)
    results, status = None, 422
    if form.is_valid():
        try:
            results = run_search(
                member=member, query=form.cleaned_data["q"], page=request.GET.get("page", 1)
            )
        except ValidationError as error:
            form.add_error("q", error)
        else:
            status = 200
    return render(
        request,
        "coding/search.html",
        {"study": study, "form": form, "results": results},
        status=status,
    )
