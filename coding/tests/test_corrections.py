"""A correction of a coded transcript carries its codings (and journal passages) to the new
version: unchanged words keep their codings exactly, changed words are marked for a look, removed
words leave their coding marked on the old version; uuids, coders and memos stay."""

import pytest

from coding.models import Coding, JournalEntry, Memo
from coding.services import coding_apply
from coding.tests.factories import make_locked_transcript
from studies.models import AuditEvent, Membership
from transcripts.versions import transcript_correct

pytestmark = pytest.mark.django_db


def member(study, user) -> Membership:
    return Membership.objects.select_related("study", "user").get(study=study, user=user)


@pytest.fixture
def transcript(study):
    return make_locked_transcript(study)


def code(study, transcript, user, words: str, label: str) -> Coding:
    text = transcript.versions.get().text
    start = text.index(words)
    me = member(study, user)
    (coding,) = coding_apply(
        member=me,
        transcript=transcript,
        start=start,
        end=start + len(words),
        codes=[],
        new_label=label,
    )
    return coding


def correct(study, lead, transcript, position: int, text: str):
    return transcript_correct(
        member=member(study, lead),
        transcript=transcript,
        turn_position=position,
        text=text,
        reason="Checked against the audio.",
    )


def words(coding: Coding) -> str:
    coding.refresh_from_db()
    return coding.version.text[coding.start : coding.end]


def test_codings_follow_the_words_and_changed_ones_are_marked(
    study, transcript, lead, coder_a, coder_b
):
    before = code(study, transcript, coder_a, "How did you begin", "beginnings")
    after = code(study, transcript, coder_b, "we repair it together", "repair")
    inside = code(study, transcript, coder_a, "the café small talk", "small talk")
    memo = Memo.objects.create(
        study=study, author=coder_a, coding=inside, text="Informal talk as a way in."
    )
    new = correct(
        study,
        lead,
        transcript,
        2,
        "Slowly 🙂 — I listen first, and the café chit-chat matters more than people think.",
    )
    assert words(before) == "How did you begin" and not before.needs_check
    assert words(after) == "we repair it together" and not after.needs_check
    assert words(inside) == "the café chit-chat" and inside.needs_check
    assert before.version == after.version == inside.version == new
    assert (inside.coder, inside.code.label) == (coder_a, "small talk")
    assert Memo.objects.get(pk=memo.pk).coding == inside


def test_a_coding_whose_words_were_removed_stays_on_its_version_marked(
    study, transcript, lead, coder_a
):
    gone = code(study, transcript, coder_a, "when it goes wrong", "rupture")
    old = gone.version
    new = correct(study, lead, transcript, 3, "And?")
    gone.refresh_from_db()
    assert gone.version == old and gone.needs_check
    assert old.text[gone.start : gone.end] == "when it goes wrong"
    assert not Coding.objects.filter(version=new).exists()


def test_two_codings_that_now_cover_the_same_words_become_one_keeping_both_memos(
    study, transcript, lead, coder_a
):
    first = code(study, transcript, coder_a, "Then I name it", "naming")
    me = member(study, coder_a)
    text = transcript.versions.get().text
    start = text.index("I name it")
    (second,) = coding_apply(
        member=me, transcript=transcript, start=start, end=start + len("I name it"),
        codes=[first.code],
    )  # fmt: skip
    for coding in (first, second):
        Memo.objects.create(study=study, author=coder_a, coding=coding, text=f"on {coding.pk}")
    correct(study, lead, transcript, 4, "Ok!")  # no character in common
    (kept,) = Coding.objects.filter(code=first.code)
    assert kept.needs_check
    assert Memo.objects.filter(coding=kept).count() == 2


def test_a_journal_passage_moves_with_the_text(study, transcript, lead, coder_a):
    text = transcript.versions.get().text
    start = text.index("we repair it")
    entry = JournalEntry.objects.create(
        study=study, author=coder_a, title="Repair", text="…", transcript=transcript,
        start=start, end=start + len("we repair it"),
    )  # fmt: skip
    removed = JournalEntry.objects.create(
        study=study, author=coder_a, title="Wrong", text="…", transcript=transcript,
        start=text.index("goes wrong"), end=text.index("goes wrong") + len("goes wrong"),
    )  # fmt: skip
    new = correct(study, lead, transcript, 3, "And?")
    entry.refresh_from_db()
    removed.refresh_from_db()
    assert new.text[entry.start : entry.end] == "we repair it"
    assert removed.transcript == transcript and removed.start is None


def test_the_correction_reports_how_many_codings_need_a_look(study, transcript, lead, coder_a):
    code(study, transcript, coder_a, "when it goes wrong", "rupture")
    code(study, transcript, coder_a, "the café small talk", "small talk")
    code(study, transcript, coder_a, "How did you begin", "beginnings")
    correct(study, lead, transcript, 3, "And when it does not work?")
    event = AuditEvent.objects.filter(action=AuditEvent.Action.TRANSCRIPT_CORRECT).get()
    assert event.details["flagged"] == 1
