"""Writing around the data: familiarisation notes, memos and the reflexive journal.

Who may write what, decided here and nowhere else:

- Familiarisation notes are a researcher's own reading, private to their author. Every member
  may keep them, a viewer too: they change nothing the team works from.
- Memos and journal entries are part of the analysis record, so they are written by coders (and
  leads and custodians); a viewer reads the memos and the shared entries it may see.
- Only an author edits or deletes their memo or entry.

Each function is one transaction; a refused change raises ValidationError with a message for
the user and leaves the database as it was.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from coding.models import Code, Coding, Decision, FamiliarisationNote, JournalEntry, Memo
from coding.reconcile.meetings import decisions_visible_to
from studies.models import Membership, Role
from transcripts.models import Transcript

NOTE_MAX_CHARS = 50_000
MEMO_MAX_CHARS = 20_000
JOURNAL_MAX_CHARS = 50_000


def _require_writer(member: Membership, what: str) -> None:
    if not member.has_role(Role.CODER):
        raise ValidationError(
            f"{what} are written by coders, leads and custodians; a viewer reads."
        )


def _require_locked(member: Membership, transcript: Transcript) -> None:
    if transcript.study_id != member.study_id:
        raise ValidationError("This transcript belongs to another study.")
    if not transcript.is_codable:
        raise ValidationError(
            "This transcript is not locked yet: its anonymisation is not finished."
        )


def _clean_text(text: str, *, limit: int, what: str, required: bool = True) -> str:
    text = text.strip()
    if required and not text:
        raise ValidationError(f"Write something in the {what}.")
    if len(text) > limit:
        raise ValidationError(
            f"A {what} has at most {limit:,} characters; this one has {len(text):,}."
        )
    return text


# Familiarisation notes ---------------------------------------------------------------------


@transaction.atomic
def note_save(
    *, member: Membership, transcript: Transcript | None, text: str
) -> FamiliarisationNote | None:
    """Keep the member's note on a transcript, or on the whole dataset (`transcript` None).
    Saving an empty note removes it."""
    if transcript is not None:
        _require_locked(member, transcript)
    text = _clean_text(text, limit=NOTE_MAX_CHARS, what="note", required=False)
    notes = FamiliarisationNote.objects.filter(
        study_id=member.study_id, author_id=member.user_id, transcript=transcript
    )
    if not text:
        notes.delete()
        return None
    note, _created = FamiliarisationNote.objects.update_or_create(
        study_id=member.study_id,
        author_id=member.user_id,
        transcript=transcript,
        defaults={"text": text, "updated_at": timezone.now()},
    )
    return note


# Memos -------------------------------------------------------------------------------------


@transaction.atomic
def memo_add(
    *,
    member: Membership,
    text: str,
    coding: Coding | None = None,
    code: Code | None = None,
    transcript: Transcript | None = None,
) -> Memo:
    """A memo on exactly one thing the member may see: a coding, a code or a locked transcript."""
    _require_writer(member, "Memos")
    if sum(thing is not None for thing in (coding, code, transcript)) != 1:
        raise ValidationError("A memo hangs on one coding, one code or one transcript.")
    if coding is not None and not Coding.objects.visible_to(member).filter(pk=coding.pk).exists():
        raise ValidationError("This coding is not one you can see.")
    if code is not None and not Code.objects.visible_to(member).filter(pk=code.pk).exists():
        raise ValidationError("This code is not one you can see.")
    if transcript is not None:
        _require_locked(member, transcript)
    now = timezone.now()
    return Memo.objects.create(
        study_id=member.study_id,
        author=member.user,
        text=_clean_text(text, limit=MEMO_MAX_CHARS, what="memo"),
        coding=coding,
        code=code,
        transcript=transcript,
        created_at=now,
        updated_at=now,
    )


def _require_author(member: Membership, thing: Memo | JournalEntry, what: str) -> None:
    if thing.study_id != member.study_id or thing.author_id != member.user_id:
        raise ValidationError(f"Only the author of a {what} changes it.")


@transaction.atomic
def memo_edit(*, member: Membership, memo: Memo, text: str) -> Memo:
    _require_writer(member, "Memos")
    _require_author(member, memo, "memo")
    memo.text = _clean_text(text, limit=MEMO_MAX_CHARS, what="memo")
    memo.updated_at = timezone.now()
    memo.save(update_fields=["text", "updated_at"])
    return memo


@transaction.atomic
def memo_delete(*, member: Membership, memo: Memo) -> None:
    _require_writer(member, "Memos")
    _require_author(member, memo, "memo")
    memo.delete()


# The reflexive journal ---------------------------------------------------------------------


def _passage(
    member: Membership, transcript: Transcript | None, start: int | None, end: int | None
) -> tuple[Transcript | None, int | None, int | None]:
    """A passage is a half-open range [start, end) of the transcript's current locked text, or
    nothing; a transcript alone is a link to the whole of it."""
    if (start is None) != (end is None):
        raise ValidationError("A passage needs both its start and its end, or neither.")
    if transcript is None:
        if start is not None:
            raise ValidationError("Choose the transcript the passage is in.")
        return None, None, None
    _require_locked(member, transcript)
    if start is None:
        return transcript, None, None
    version = transcript.versions.order_by("-number").only("text").first()
    length = len(version.text) if version else 0
    if not 0 <= start < end <= length:
        raise ValidationError(
            f"The passage is outside the transcript: its text has {length:,} characters, "
            "and a passage runs from a start to a later end within it."
        )
    if not version.text[start:end].strip():
        raise ValidationError("The passage holds only spaces: choose some words.")
    return transcript, start, end


def _codes(member: Membership, codes: Iterable[Code]) -> list[Code]:
    codes = list(dict.fromkeys(codes))
    visible = set(
        Code.objects.visible_to(member)
        .filter(pk__in=[code.pk for code in codes])
        .values_list("pk", flat=True)
    )
    if any(code.pk not in visible for code in codes):
        raise ValidationError("A chosen code is not one you can see.")
    return codes


def _decisions(member: Membership, decisions: Iterable[Decision]) -> list[Decision]:
    decisions = list(dict.fromkeys(decisions))
    visible = set(
        decisions_visible_to(member)
        .filter(pk__in=[decision.pk for decision in decisions])
        .values_list("pk", flat=True)
    )
    if any(decision.pk not in visible for decision in decisions):
        raise ValidationError("A chosen decision is not one of this study's that you can see.")
    return decisions


def _fill_entry(
    entry: JournalEntry,
    member: Membership,
    *,
    title: str,
    text: str,
    shared: bool,
    transcript: Transcript | None,
    start: int | None,
    end: int | None,
) -> None:
    title = " ".join(title.split())
    if not title:
        raise ValidationError("A journal entry needs a title.")
    if len(title) > 200:
        raise ValidationError("A journal entry's title has at most 200 characters.")
    entry.title = title
    entry.text = _clean_text(text, limit=JOURNAL_MAX_CHARS, what="journal entry")
    entry.shared = shared
    entry.transcript, entry.start, entry.end = _passage(member, transcript, start, end)


@transaction.atomic
def journal_entry_add(
    *,
    member: Membership,
    title: str,
    text: str,
    shared: bool = False,
    transcript: Transcript | None = None,
    start: int | None = None,
    end: int | None = None,
    codes: Iterable[Code] = (),
    decisions: Iterable[Decision] = (),
) -> JournalEntry:
    """A new entry in the member's reflexive journal: private unless `shared`; it may link to
    codes and to reconciliation decisions the member can see."""
    _require_writer(member, "Journal entries")
    now = timezone.now()
    entry = JournalEntry(
        study_id=member.study_id, author=member.user, created_at=now, updated_at=now
    )
    _fill_entry(
        entry,
        member,
        title=title,
        text=text,
        shared=shared,
        transcript=transcript,
        start=start,
        end=end,
    )
    codes = _codes(member, codes)
    decisions = _decisions(member, decisions)
    entry.save()
    entry.codes.set(codes)
    entry.decisions.set(decisions)
    return entry


@transaction.atomic
def journal_entry_edit(
    *,
    member: Membership,
    entry: JournalEntry,
    title: str,
    text: str,
    shared: bool,
    transcript: Transcript | None = None,
    start: int | None = None,
    end: int | None = None,
    codes: Iterable[Code] = (),
    decisions: Iterable[Decision] = (),
) -> JournalEntry:
    """Rewrite one's own entry. Links to codes or decisions the member cannot see at the moment
    (another coder's, during a blind round) are kept: the member could not have removed them
    knowingly."""
    _require_writer(member, "Journal entries")
    _require_author(member, entry, "journal entry")
    _fill_entry(
        entry,
        member,
        title=title,
        text=text,
        shared=shared,
        transcript=transcript,
        start=start,
        end=end,
    )
    codes = _codes(member, codes)
    decisions = _decisions(member, decisions)
    hidden = entry.codes.exclude(pk__in=Code.objects.visible_to(member).values("pk"))
    hidden_decisions = entry.decisions.exclude(pk__in=decisions_visible_to(member).values("pk"))
    entry.updated_at = timezone.now()
    entry.save()
    entry.codes.set([*codes, *hidden])
    entry.decisions.set([*decisions, *hidden_decisions])
    return entry


@transaction.atomic
def journal_entry_delete(*, member: Membership, entry: JournalEntry) -> None:
    _require_writer(member, "Journal entries")
    _require_author(member, entry, "journal entry")
    entry.delete()
