"""Familiarisation notes, memos and the reflexive journal: who may write what, bad input, the
privacy of notes and private entries, and the blind rule for memos."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from coding import notes
from coding.models import (
    Code,
    Coding,
    CodingRound,
    FamiliarisationNote,
    JournalEntry,
    Memo,
    RoundCoder,
)
from coding.services import coding_apply
from coding.tests.factories import make_locked_transcript
from studies.models import Membership
from studies.tests.factories import make_study
from transcripts.models import TranscriptState

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def transcript(study):
    return make_locked_transcript(study)


def member(study, user):
    return Membership.objects.select_related("study", "user").get(study=study, user=user)


def text_of(transcript):
    return transcript.versions.get().text


def span(transcript, words):
    start = text_of(transcript).index(words)
    return start, start + len(words)


def code_passage(study, transcript, user, words, label):
    start, end = span(transcript, words)
    return coding_apply(
        member=member(study, user), transcript=transcript, start=start, end=end, new_label=label
    )[0]


def open_round(study, transcript, lead, *coders):
    round_ = CodingRound.objects.create(study=study, title="Round 1", opened_by=lead)
    round_.transcripts.add(transcript)
    for coder in coders:
        RoundCoder.objects.create(round=round_, coder=coder)
    return round_


def reading_page(study, transcript):
    return reverse("coding-transcript", args=[study.slug, transcript.uuid])


def at_coding(study, transcript, coding):
    """The reading page opened on a coding's highlight, with its codings and memos shown."""
    return f"{reading_page(study, transcript)}?at={coding.start}"


def every_page(study, transcript, *, query="canary"):
    """The pages where someone else's writing could surface."""
    return [
        reverse("coding-notes", args=[study.slug]),
        reverse("coding-note-transcript", args=[study.slug, transcript.uuid]),
        reading_page(study, transcript),
        reverse("coding-journal", args=[study.slug]),
        reverse("coding-memos", args=[study.slug, "transcript", transcript.uuid]),
        reverse("coding-search", args=[study.slug]) + f"?q={query}",
    ]


# Familiarisation notes ---------------------------------------------------------------------


class TestNotes:
    def dataset_url(self, study):
        return reverse("coding-note-dataset", args=[study.slug])

    def note_url(self, study, transcript):
        return reverse("coding-note-transcript", args=[study.slug, transcript.uuid])

    def test_a_viewer_keeps_a_dataset_note_edited_in_place(self, client_for, study, viewer):
        response = client_for(viewer).post(
            self.dataset_url(study), {"text": "Rupture talk everywhere."}, headers=HTMX
        )
        assert response.status_code == 200
        assert response.text.lstrip().startswith('<details id="note-dataset"')
        assert "Rupture talk everywhere." in response.text and "Saved." in response.text
        note = FamiliarisationNote.objects.get()
        assert (note.author, note.transcript, note.study) == (viewer, None, study)

    def test_a_plain_form_saves_and_returns_to_the_notes_page(self, client_for, study, coder_a):
        client = client_for(coder_a)
        response = client.post(self.dataset_url(study), {"text": "First pass."})
        assert response.status_code == 302
        assert response["Location"] == reverse("coding-notes", args=[study.slug])
        page = client.get(response["Location"])
        assert "First pass." in page.text and "Your notes are saved." in page.text

    def test_a_transcript_note_is_kept_beside_the_reading(
        self, client_for, study, transcript, coder_a
    ):
        client = client_for(coder_a)
        response = client.post(
            self.note_url(study, transcript), {"text": "Warm, hesitant start."}, headers=HTMX
        )
        assert response.status_code == 200
        assert response.text.lstrip().startswith('<details id="note-transcript"')
        page = client.get(reading_page(study, transcript)).text
        assert 'id="note-transcript"' in page and "Warm, hesitant start." in page
        notes_page = client.get(reverse("coding-notes", args=[study.slug])).text
        assert "Warm, hesitant start." in notes_page and transcript.title in notes_page

    def test_saving_again_updates_the_one_note_and_empty_removes_it(
        self, client_for, study, transcript, coder_a
    ):
        client = client_for(coder_a)
        url = self.note_url(study, transcript)
        client.post(url, {"text": "one"})
        response = client.post(url, {"text": "two"})
        assert response.status_code == 302
        assert response["Location"].endswith("#note-transcript")
        assert list(FamiliarisationNote.objects.values_list("text", flat=True)) == ["two"]
        response = client.post(url, {"text": "   "}, headers=HTMX)
        assert response.status_code == 200 and "Removed." in response.text
        assert not FamiliarisationNote.objects.exists()

    def test_a_note_too_long_is_refused_and_nothing_changes(
        self, client_for, study, transcript, coder_a
    ):
        client = client_for(coder_a)
        url = self.note_url(study, transcript)
        client.post(url, {"text": "kept"})
        too_long = "x" * (notes.NOTE_MAX_CHARS + 1)
        response = client.post(url, {"text": too_long}, headers=HTMX)
        assert response.status_code == 422
        assert "at most 50000 characters" in response.text
        plain = client.post(url, {"text": too_long})
        assert plain.status_code == 422 and "at most 50000 characters" in plain.text
        assert FamiliarisationNote.objects.get().text == "kept"

    def test_a_transcript_not_locked_takes_no_note(self, client_for, study, transcript, coder_a):
        transcript.state = TranscriptState.REVIEW
        transcript.save()
        response = client_for(coder_a).post(
            self.note_url(study, transcript), {"text": "early"}, headers=HTMX
        )
        assert response.status_code == 422 and "not locked yet" in response.text
        assert not FamiliarisationNote.objects.exists()

    def test_another_studys_transcript_is_not_found(self, client_for, study, coder_a, outsider):
        other = make_study(creator=outsider, title="Elsewhere")
        foreign = make_locked_transcript(other, user=outsider)
        response = client_for(coder_a).post(self.note_url(study, foreign), {"text": "x"})
        assert response.status_code == 404
        assert not FamiliarisationNote.objects.exists()

    def test_outsider_gets_404(self, client_for, study, transcript, outsider):
        client = client_for(outsider)
        assert client.get(reverse("coding-notes", args=[study.slug])).status_code == 404
        assert client.post(self.dataset_url(study), {"text": "x"}).status_code == 404
        assert client.post(self.note_url(study, transcript), {"text": "x"}).status_code == 404
        assert not FamiliarisationNote.objects.exists()

    def test_notes_are_private_to_their_author_in_every_page(
        self, client_for, study, transcript, personas
    ):
        author = member(study, personas["coder_b"])
        notes.note_save(member=author, transcript=None, text="zx-canary dataset note")
        notes.note_save(member=author, transcript=transcript, text="zx-canary transcript note")
        for persona in ("coder_a", "lead", "custodian", "viewer"):
            client = client_for(personas[persona])
            for url in every_page(study, transcript):
                response = client.get(url)
                assert response.status_code == 200, url
                assert "zx-canary" not in response.text, (persona, url)
        own = client_for(personas["coder_b"]).get(reading_page(study, transcript)).text
        assert "zx-canary transcript note" in own

    def test_the_notes_page_pins_its_queries(
        self, client_for, study, coder_a, django_assert_max_num_queries
    ):
        me = member(study, coder_a)
        notes.note_save(member=me, transcript=None, text="dataset")
        for n in range(8):
            transcript = make_locked_transcript(study, pseudonym=f"P{n + 1}")
            notes.note_save(member=me, transcript=transcript, text=f"note {n}")
        client = client_for(coder_a)
        client.get(reverse("study-list"))
        with django_assert_max_num_queries(6):
            response = client.get(reverse("coding-notes", args=[study.slug]))
        assert response.text.count('class="note-text"') == 8


# Memos -------------------------------------------------------------------------------------


class TestMemos:
    @pytest.fixture
    def coding(self, study, transcript, coder_a):
        return code_passage(study, transcript, coder_a, "I name it", "naming the rupture")

    def add_url(self, study, on, target):
        return reverse("coding-memo-add", args=[study.slug, on, target.uuid])

    def test_a_coder_adds_a_memo_to_a_coding_in_place(self, client_for, study, coding, coder_a):
        response = client_for(coder_a).post(
            self.add_url(study, "coding", coding), {"text": "Naming as repair."}, headers=HTMX
        )
        assert response.status_code == 200
        assert response.text.lstrip().startswith(f'<div id="memos-coding-{coding.uuid}"')
        assert "Naming as repair." in response.text and "Memo added." in response.text
        memo = Memo.objects.get()
        assert (memo.coding, memo.author, memo.study) == (coding, coder_a, study)

    def test_a_plain_form_returns_to_the_coding_on_the_reading_page(
        self, client_for, study, transcript, coding, coder_a
    ):
        client = client_for(coder_a)
        response = client.post(self.add_url(study, "coding", coding), {"text": "Plain."})
        assert response.status_code == 302
        assert (
            response["Location"]
            == f"{reading_page(study, transcript)}?at={coding.start}#coding-{coding.uuid}"
        )
        page = client.get(response["Location"]).text
        assert "Plain." in page and f'id="memos-coding-{coding.uuid}"' in page

    def test_memos_on_a_code_and_on_a_transcript(
        self, client_for, study, transcript, coding, coder_a
    ):
        client = client_for(coder_a)
        client.post(self.add_url(study, "code", coding.code), {"text": "On the code."})
        client.post(self.add_url(study, "transcript", transcript), {"text": "On the whole."})
        assert Memo.objects.get(code=coding.code).text == "On the code."
        assert Memo.objects.get(transcript=transcript).text == "On the whole."
        page = client.get(reverse("coding-memos", args=[study.slug, "code", coding.code.uuid]))
        assert "On the code." in page.text and "On the whole." not in page.text

    def test_a_viewer_reads_memos_but_may_not_write_one(
        self, client_for, study, transcript, coding, coder_a, viewer
    ):
        notes.memo_add(member=member(study, coder_a), coding=coding, text="Seen by all.")
        client = client_for(viewer)
        assert "Seen by all." in client.get(at_coding(study, transcript, coding)).text
        response = client.post(self.add_url(study, "coding", coding), {"text": "mine"})
        assert response.status_code == 403
        assert Memo.objects.count() == 1

    def test_outsider_gets_404(self, client_for, study, transcript, coding, coder_a, outsider):
        memo = notes.memo_add(member=member(study, coder_a), coding=coding, text="kept")
        client = client_for(outsider)
        assert client.post(self.add_url(study, "coding", coding), {"text": "x"}).status_code == 404
        assert (
            client.get(
                reverse("coding-memos", args=[study.slug, "coding", coding.uuid])
            ).status_code
            == 404
        )
        edit = reverse("coding-memo-edit", args=[study.slug, memo.uuid])
        assert client.post(edit, {"text": "changed"}).status_code == 404
        assert Memo.objects.get().text == "kept"

    def test_an_empty_memo_is_refused_and_nothing_changes(self, client_for, study, coding, coder_a):
        client = client_for(coder_a)
        url = self.add_url(study, "coding", coding)
        htmx = client.post(url, {"text": "  "}, headers=HTMX)
        assert htmx.status_code == 422 and "Write something in the memo." in htmx.text
        assert htmx.text.lstrip().startswith(f'<div id="memos-coding-{coding.uuid}"')
        plain = client.post(url, {"text": ""})
        assert plain.status_code == 422 and "Write something in the memo." in plain.text
        assert not Memo.objects.exists()

    def test_a_memo_on_a_transcript_not_locked_is_refused(
        self, client_for, study, transcript, coder_a
    ):
        transcript.state = TranscriptState.REVIEW
        transcript.save()
        response = client_for(coder_a).post(
            self.add_url(study, "transcript", transcript), {"text": "early"}, headers=HTMX
        )
        assert response.status_code == 422 and "not locked yet" in response.text
        assert not Memo.objects.exists()
        page = client_for(coder_a).get(
            reverse("coding-memos", args=[study.slug, "transcript", transcript.uuid])
        )
        assert "not locked yet" in page.text and "Add a memo" not in page.text

    def test_an_unknown_kind_of_target_is_not_found(self, client_for, study, coding, coder_a):
        url = reverse("coding-memo-add", args=[study.slug, "theme", coding.uuid])
        assert client_for(coder_a).post(url, {"text": "x"}).status_code == 404

    def test_only_the_author_edits_or_deletes_a_memo(
        self, client_for, study, coding, coder_a, coder_b
    ):
        memo = notes.memo_add(member=member(study, coder_a), coding=coding, text="original")
        edit = reverse("coding-memo-edit", args=[study.slug, memo.uuid])
        delete = reverse("coding-memo-delete", args=[study.slug, memo.uuid])
        other = client_for(coder_b)
        assert other.post(edit, {"text": "hijacked"}).status_code == 403
        assert other.post(delete).status_code == 403
        assert Memo.objects.get().text == "original"

        author = client_for(coder_a)
        assert author.get(edit).status_code == 200
        response = author.post(edit, {"text": "revised"}, headers=HTMX)
        assert response.status_code == 200 and "revised" in response.text
        assert "(edited)" in response.text
        refused = author.post(edit, {"text": ""}, headers=HTMX)
        assert refused.status_code == 422 and "Write something in the memo." in refused.text
        plain = author.post(edit, {"text": ""})
        assert plain.status_code == 422 and "Write something in the memo." in plain.text
        assert Memo.objects.get().text == "revised"
        assert author.post(delete).status_code == 302
        assert not Memo.objects.exists()

    def test_the_service_keeps_memos_in_the_members_study(self, study, coding, coder_a, outsider):
        other = make_study(creator=outsider, title="Elsewhere")
        foreign = make_locked_transcript(other, user=outsider)
        with pytest.raises(ValidationError, match="another study"):
            notes.memo_add(member=member(study, coder_a), transcript=foreign, text="x")
        with pytest.raises(ValidationError, match="not one you can see"):
            notes.memo_add(member=member(other, outsider), coding=coding, text="x")
        with pytest.raises(ValidationError, match="one coding, one code or one transcript"):
            notes.memo_add(member=member(study, coder_a), coding=coding, code=coding.code, text="x")
        assert not Memo.objects.exists()

    @pytest.mark.parametrize("n", [6, 60])
    def test_a_highlights_memos_are_fetched_in_one_query(
        self, client_for, study, transcript, coder_a, n, django_assert_num_queries
    ):
        me = member(study, coder_a)
        codes = [
            Code.objects.create(study=study, label=f"code {k}", created_by=coder_a)
            for k in range(10)
        ]
        version = transcript.versions.get()
        for k in range(n):
            coding = Coding.objects.create(
                version=version, code=codes[k % 10], coder=coder_a, start=k, end=k + 100
            )
            notes.memo_add(member=me, coding=coding, text=f"memo number {k}")
        client = client_for(coder_a)
        client.get(reverse("study-list"))
        details = reverse("coding-details", args=[study.slug, transcript.uuid])
        with django_assert_num_queries(7):
            response = client.get(f"{details}?at={n}")
        assert response.text.count('class="memo"') == n
        assert f"memo number {n - 1}" in response.text


class TestMemoBlindRule:
    @pytest.fixture
    def blind(self, study, transcript, lead, coder_a, coder_b):
        a = code_passage(study, transcript, coder_a, "I name it", "naming the rupture")
        b = code_passage(study, transcript, coder_b, "I name it", "owning the rupture")
        notes.memo_add(member=member(study, coder_a), coding=a, text="A's own thought")
        notes.memo_add(member=member(study, coder_b), coding=b, text="zx-canary on B's coding")
        notes.memo_add(member=member(study, coder_b), code=b.code, text="zx-canary on B's code")
        open_round(study, transcript, lead, coder_a, coder_b)
        return a, b

    def test_coder_a_never_sees_coder_bs_memos_while_blind(
        self, client_for, study, transcript, blind, coder_a
    ):
        a, b = blind
        client = client_for(coder_a)
        for url in [*every_page(study, transcript), at_coding(study, transcript, b)]:
            response = client.get(url)
            assert "zx-canary" not in response.text, url
        page = client.get(at_coding(study, transcript, a)).text
        assert "A&#x27;s own thought" in page
        assert (
            client.get(reverse("coding-memos", args=[study.slug, "coding", b.uuid])).status_code
            == 404
        )
        assert (
            client.get(reverse("coding-memos", args=[study.slug, "code", b.code.uuid])).status_code
            == 404
        )
        add = reverse("coding-memo-add", args=[study.slug, "coding", b.uuid])
        assert client.post(add, {"text": "peek"}).status_code == 404

    def test_the_lead_sees_both_and_coder_a_after_unblinding(
        self, client_for, study, transcript, blind, lead, coder_a
    ):
        _a, b = blind
        assert (
            "zx-canary on B&#x27;s coding"
            in client_for(lead).get(at_coding(study, transcript, b)).text
        )
        CodingRound.objects.update(closed_at=CodingRound.objects.get().opened_at, closed_by=lead)
        assert (
            "zx-canary on B&#x27;s coding"
            in client_for(coder_a).get(at_coding(study, transcript, b)).text
        )


# The reflexive journal ---------------------------------------------------------------------


class TestJournal:
    def new_url(self, study):
        return reverse("coding-journal-new", args=[study.slug])

    def list_url(self, study):
        return reverse("coding-journal", args=[study.slug])

    def entry(self, study, user, **fields):
        return notes.journal_entry_add(
            member=member(study, user), **{"title": "An entry", "text": "Words.", **fields}
        )

    def test_a_coder_writes_an_entry_on_a_passage_and_codes(
        self, client_for, study, transcript, coder_a
    ):
        coding = code_passage(study, transcript, coder_a, "I name it", "naming the rupture")
        start, end = span(transcript, "we repair it together")
        client = client_for(coder_a)
        assert client.get(self.new_url(study)).status_code == 200
        response = client.post(
            self.new_url(study),
            {
                "title": "Where I stand",
                "text": "I noticed my own hope for repair.",
                "shared": "on",
                "transcript": transcript.uuid,
                "start": start,
                "end": end,
                "codes": [coding.code.uuid],
            },
        )
        entry = JournalEntry.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse(
            "coding-journal-entry", args=[study.slug, entry.uuid]
        )
        assert (entry.author, entry.study, entry.shared, entry.transcript) == (
            coder_a,
            study,
            True,
            transcript,
        )
        assert text_of(transcript)[entry.start : entry.end] == "we repair it together"
        assert list(entry.codes.all()) == [coding.code]
        page = client.get(response["Location"]).text
        assert "we repair it together" in page and "naming the rupture" in page
        assert f"{reading_page(study, transcript)}#turn-4" in page

    def test_a_passage_can_be_offered_from_the_address(
        self, client_for, study, transcript, coder_a
    ):
        url = self.new_url(study) + f"?transcript={transcript.uuid}&start=3&end=9"
        page = client_for(coder_a).get(url).text
        assert 'name="start" value="3"' in page and 'name="end" value="9"' in page

    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({"title": ""}, "This field is required."),
            ({"text": ""}, "Write something in the entry."),
            ({"start": 3}, "Give both ends of the passage."),
            ({"start": 3, "end": 10, "transcript": ""}, "Choose the transcript the passage is in."),
            ({"start": 10, "end": 3}, "outside the transcript"),
            ({"start": 0, "end": 100_000}, "outside the transcript"),
            ({"start": "x", "end": 4}, "Enter a whole number."),
        ],
    )
    def test_bad_input_is_refused_and_nothing_is_stored(
        self, client_for, study, transcript, coder_a, fields, message
    ):
        data = {"title": "T", "text": "Words.", "transcript": transcript.uuid, **fields}
        response = client_for(coder_a).post(self.new_url(study), data)
        assert response.status_code == 422
        assert message in response.text
        assert not JournalEntry.objects.exists()

    def test_a_transcript_not_locked_and_hidden_codes_are_not_choices(
        self, client_for, study, transcript, lead, coder_a, coder_b
    ):
        hidden = code_passage(study, transcript, coder_b, "I name it", "zx-hidden-code")
        open_round(study, transcript, lead, coder_a, coder_b)
        other = make_locked_transcript(study, pseudonym="P2")
        other.state = TranscriptState.REVIEW
        other.save()
        client = client_for(coder_a)
        assert "zx-hidden-code" not in client.get(self.new_url(study)).text
        for data in (
            {"codes": [hidden.code.uuid]},
            {"transcript": other.uuid},
        ):
            response = client.post(self.new_url(study), {"title": "T", "text": "W", **data})
            assert response.status_code == 422
            assert "Select a valid choice" in response.text
        assert not JournalEntry.objects.exists()

    def test_a_viewer_reads_shared_entries_but_writes_none(
        self, client_for, study, coder_a, viewer
    ):
        self.entry(study, coder_a, title="Shared thought", shared=True)
        client = client_for(viewer)
        page = client.get(self.list_url(study))
        assert page.status_code == 200 and "Shared thought" in page.text
        assert "New entry" not in page.text
        assert client.get(self.new_url(study)).status_code == 403
        assert client.post(self.new_url(study), {"title": "T", "text": "W"}).status_code == 403
        assert JournalEntry.objects.count() == 1

    def test_outsider_gets_404(self, client_for, study, coder_a, outsider):
        entry = self.entry(study, coder_a, shared=True)
        client = client_for(outsider)
        assert client.get(self.list_url(study)).status_code == 404
        assert client.post(self.new_url(study), {"title": "T", "text": "W"}).status_code == 404
        detail = reverse("coding-journal-entry", args=[study.slug, entry.uuid])
        assert client.get(detail).status_code == 404
        delete = reverse("coding-journal-delete", args=[study.slug, entry.uuid])
        assert client.post(delete).status_code == 404
        assert JournalEntry.objects.count() == 1

    def test_a_private_entry_never_appears_to_anyone_else(
        self, client_for, study, transcript, personas
    ):
        coder_b = personas["coder_b"]
        code = code_passage(study, transcript, coder_b, "I name it", "owning").code
        start, end = span(transcript, "I listen first")
        private = self.entry(
            study,
            coder_b,
            title="zx-canary private title",
            text="zx-canary private words",
            transcript=transcript,
            start=start,
            end=end,
            codes=[code],
        )
        urls = [
            *every_page(study, transcript),
            reverse("coding-search", args=[study.slug]) + "?q=private",
        ]
        for persona in ("coder_a", "lead", "custodian", "viewer"):
            client = client_for(personas[persona])
            for url in urls:
                assert "zx-canary" not in client.get(url).text, (persona, url)
            for name in ("coding-journal-entry", "coding-journal-edit"):
                url = reverse(name, args=[study.slug, private.uuid])
                assert client.get(url).status_code in {403, 404}, (persona, name)
                assert "zx-canary" not in client.get(url).text
        assert not JournalEntry.objects.visible_to(member(study, personas["lead"])).exists()
        own = client_for(coder_b).get(self.list_url(study)).text
        assert "zx-canary private title" in own and "Private" in own

    def test_only_the_author_changes_a_shared_entry(self, client_for, study, coder_a, coder_b):
        entry = self.entry(study, coder_a, title="Mine", shared=True)
        edit = reverse("coding-journal-edit", args=[study.slug, entry.uuid])
        delete = reverse("coding-journal-delete", args=[study.slug, entry.uuid])
        other = client_for(coder_b)
        assert other.get(edit).status_code == 403
        assert other.post(edit, {"title": "Theirs", "text": "W"}).status_code == 403
        assert other.post(delete).status_code == 403
        assert JournalEntry.objects.get().title == "Mine"

        author = client_for(coder_a)
        assert author.get(edit).status_code == 200
        response = author.post(edit, {"title": "Mine, revised", "text": "More words."})
        assert response.status_code == 302
        entry.refresh_from_db()
        assert (entry.title, entry.text, entry.shared) == ("Mine, revised", "More words.", False)
        refused = author.post(edit, {"title": "", "text": "W"})
        assert refused.status_code == 422
        assert JournalEntry.objects.get().title == "Mine, revised"
        assert author.post(delete).status_code == 302
        assert not JournalEntry.objects.exists()

    def test_editing_keeps_links_to_codes_the_author_cannot_see_now(
        self, study, transcript, lead, coder_a, coder_b
    ):
        theirs = code_passage(study, transcript, coder_b, "I name it", "owning").code
        mine = code_passage(study, transcript, coder_a, "I name it", "naming").code
        entry = self.entry(study, coder_a, codes=[theirs, mine])
        open_round(study, transcript, lead, coder_a, coder_b)
        notes.journal_entry_edit(
            member=member(study, coder_a), entry=entry, title="T", text="W", shared=False
        )
        assert set(entry.codes.all()) == {theirs}

    def test_newest_first_and_paginated(self, client_for, study, coder_a, coder_b):
        for n in range(23):
            self.entry(study, coder_a if n % 2 else coder_b, title=f"Entry {n:02}", shared=True)
        client = client_for(coder_a)
        first = client.get(self.list_url(study)).text
        assert first.index("Entry 22") < first.index("Entry 21")
        assert first.count('class="card journal-entry"') == 20
        second = client.get(self.list_url(study) + "?page=2").text
        assert second.count('class="card journal-entry"') == 3 and "Entry 00" in second

    def test_the_journal_pins_its_queries(
        self, client_for, study, transcript, coder_a, coder_b, django_assert_max_num_queries
    ):
        code = code_passage(study, transcript, coder_a, "I name it", "naming").code
        start, end = span(transcript, "I listen first")
        for n in range(20):
            self.entry(
                study,
                coder_a if n % 2 else coder_b,
                title=f"Entry {n}",
                shared=True,
                transcript=transcript,
                start=start,
                end=end,
                codes=[code],
            )
        client = client_for(coder_a)
        client.get(reverse("study-list"))
        with django_assert_max_num_queries(7):
            response = client.get(self.list_url(study))
        assert response.text.count("I listen first") == 20


class TestJournalDecisions:
    """A journal entry links to reconciliation decisions: chosen in the form among the study's
    decisions the member may see, shown on the entry as links to where each decision is read."""

    @pytest.fixture
    def decisions(self, study, transcript, lead, coder_a, coder_b):
        from coding.models import Decision, Reconciliation

        reconciliation = Reconciliation.objects.create(
            study=study, title="First reconciliation", coder_a=coder_a, coder_b=coder_b,
            started_by=lead,
        )  # fmt: skip
        reconciliation.transcripts.add(transcript)

        def decide(words, n, outcome):
            start, end = span(transcript, words)
            return Decision.objects.create(
                reconciliation=reconciliation,
                version=transcript.versions.get(),
                kind="boundary",
                start=start,
                end=end,
                item=f"item-{n}",
                outcome=outcome,
                rationale="Both readings hold.",
                decided_by=lead,
            )

        return decide("I name it", 1, "kept_both"), decide("I listen first", 2, "deferred")

    def test_a_coder_links_an_entry_to_decisions(self, client_for, study, coder_a, decisions):
        import re

        from django.utils import timezone

        from coding.reconcile.meetings import meeting_save

        kept, deferred = decisions
        meeting = meeting_save(
            member=member(study, coder_a),
            held_on=timezone.localdate(),
            title="Meeting 1",
            attendees=[coder_a],
            minutes="",
            decisions=[kept],
        )
        client = client_for(coder_a)
        form = client.get(reverse("coding-journal-new", args=[study.slug])).text
        when = f"{timezone.localtime(kept.decided_at):%-d %b %Y}"
        assert f"Kept both — boundary, Interview with P1 [{kept.start}–{kept.end}], {when}" in form
        response = client.post(
            reverse("coding-journal-new", args=[study.slug]),
            {"title": "After the meeting", "text": "W", "decisions": [kept.uuid, deferred.uuid]},
        )
        assert response.status_code == 302
        entry = JournalEntry.objects.get()
        assert set(entry.decisions.all()) == {kept, deferred}
        page = client.get(response["Location"]).text
        meeting_url = reverse("coding-meeting", args=[study.slug, meeting.uuid])
        assert f'href="{meeting_url}#decision-{kept.uuid}"' in page
        log_url = reverse("coding-decisions", args=[study.slug])
        log_link = (
            f"{log_url}?reconciliation={deferred.reconciliation.uuid}#decision-{deferred.uuid}"
        )
        assert f'href="{log_link}"' in page
        assert f'href="{log_link}"' in client.get(reverse("coding-journal", args=[study.slug])).text
        edit = client.get(reverse("coding-journal-edit", args=[study.slug, entry.uuid])).text
        for decision in decisions:
            assert re.search(f'value="{decision.uuid}"[^>]*checked', edit)

    def test_a_decision_of_another_study_is_refused(
        self, client_for, study, coder_a, outsider, decisions
    ):
        from coding.models import Decision, Reconciliation

        other = make_study(creator=outsider, title="Elsewhere")
        foreign_transcript = make_locked_transcript(other, user=outsider)
        theirs = Reconciliation.objects.create(
            study=other, title="Theirs", coder_a=outsider, coder_b=coder_a, started_by=outsider
        )
        foreign = Decision.objects.create(
            reconciliation=theirs,
            version=foreign_transcript.versions.get(),
            kind="boundary",
            start=0,
            end=4,
            item="x",
            outcome="agreed",
            rationale="R",
            decided_by=outsider,
        )
        response = client_for(coder_a).post(
            reverse("coding-journal-new", args=[study.slug]),
            {"title": "T", "text": "W", "decisions": [foreign.uuid]},
        )
        assert response.status_code == 422 and "Select a valid choice" in response.text
        with pytest.raises(ValidationError, match="not one of this study's that you can see"):
            notes.journal_entry_add(
                member=member(study, coder_a), title="T", text="W", decisions=[foreign]
            )
        assert not JournalEntry.objects.exists()

    def test_a_hidden_decision_is_no_choice_and_its_link_is_kept_on_edit(
        self, study, transcript, lead, coder_a, coder_b, decisions
    ):
        from coding.reconcile.meetings import decisions_visible_to

        kept, deferred = decisions
        entry = notes.journal_entry_add(
            member=member(study, coder_a), title="T", text="W", decisions=[kept, deferred]
        )
        # A reconciliation taken while its round is still open is hidden from the round's coders.
        round_ = open_round(study, transcript, lead, coder_a, coder_b)
        kept.reconciliation.coding_round = round_
        kept.reconciliation.save()
        me = member(study, coder_a)
        assert not decisions_visible_to(me).exists()
        with pytest.raises(ValidationError, match="not one of this study's that you can see"):
            notes.journal_entry_add(member=me, title="T2", text="W", decisions=[kept])
        notes.journal_entry_edit(member=me, entry=entry, title="T", text="W", shared=False)
        assert set(entry.decisions.all()) == {kept, deferred}

    def test_the_journal_pins_its_queries_with_decisions(
        self, client_for, study, coder_a, coder_b, decisions, django_assert_num_queries
    ):
        client = client_for(coder_a)
        client.get(reverse("study-list"))
        url = reverse("coding-journal", args=[study.slug])
        for n in range(2):
            notes.journal_entry_add(
                member=member(study, coder_b), title=f"E{n}", text="W", shared=True,
                decisions=decisions,
            )  # fmt: skip
        with django_assert_num_queries(8):
            client.get(url)
        for n in range(2, 20):
            notes.journal_entry_add(
                member=member(study, coder_a if n % 2 else coder_b), title=f"E{n}", text="W",
                shared=True, decisions=decisions,
            )  # fmt: skip
        with django_assert_num_queries(8):
            response = client.get(url)
        assert response.text.count("Deferred — boundary") == 20
