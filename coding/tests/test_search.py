"""Search: in the current text of locked transcripts, in the memos and journal entries the member
may see; PostgreSQL's full-text search where the database is PostgreSQL (CI), the plain filter
on SQLite."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from coding import notes
from coding.models import CodingRound, RoundCoder
from coding.search import MARK_START, PASSAGES_PER_PAGE, highlight, search
from coding.services import coding_apply
from coding.tests.factories import make_locked_transcript
from studies.models import Membership
from studies.tests.factories import make_study
from transcripts.models import TranscriptState, TranscriptVersion, Turn

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="exercises PostgreSQL's full-text search"
)


@pytest.fixture
def transcript(study):
    return make_locked_transcript(study)


def member(study, user):
    return Membership.objects.select_related("study", "user").get(study=study, user=user)


def url(study, query, **params):
    extra = "".join(f"&{key}={value}" for key, value in params.items())
    return reverse("coding-search", args=[study.slug]) + f"?q={query}{extra}"


def reading_page(study, transcript):
    return reverse("coding-transcript", args=[study.slug, transcript.uuid])


def code_passage(study, transcript, user, words, label):
    start = transcript.versions.get().text.index(words)
    return coding_apply(
        member=member(study, user),
        transcript=transcript,
        start=start,
        end=start + len(words),
        new_label=label,
    )[0]


class TestPassages:
    def test_any_member_finds_a_passage_linked_to_its_turn(
        self, client_for, study, transcript, viewer
    ):
        response = client_for(viewer).get(url(study, "repair"))
        assert response.status_code == 200
        assert f'href="{reading_page(study, transcript)}#turn-4"' in response.text
        assert "<mark>repair</mark>" in response.text
        assert "turn 4 · P1" in response.text

    def test_only_the_current_text_of_locked_transcripts_of_this_study(
        self, client_for, study, transcript, coder_a, outsider
    ):
        draft = make_locked_transcript(study, "P2", [("I", "Hello."), ("P", "zxdraft words")])
        draft.state = TranscriptState.REVIEW
        draft.save()
        elsewhere = make_study(creator=outsider, title="Elsewhere")
        make_locked_transcript(elsewhere, "P1", [("P", "zxforeign words")], user=outsider)
        corrected = make_locked_transcript(study, "P3", [("P", "zxbefore the correction")])
        version = TranscriptVersion.objects.create(
            transcript=corrected, number=2, text="zxafter the correction"
        )
        Turn.objects.create(version=version, position=1, speaker="interviewer", start=0, end=22)
        client = client_for(coder_a)
        for hidden in ("zxdraft", "zxforeign", "zxbefore"):
            assert 'class="hit"' not in client.get(url(study, hidden)).text, hidden
        found = client.get(url(study, "zxafter")).text
        assert f"{reading_page(study, corrected)}#turn-1" in found

    def test_passages_are_paginated(self, client_for, study, coder_a):
        turns = [("P", f"Turn {n} speaks of the frame.") for n in range(PASSAGES_PER_PAGE + 5)]
        make_locked_transcript(study, "P2", turns)
        client = client_for(coder_a)
        first = client.get(url(study, "frame")).text
        assert first.count('class="hit"') == PASSAGES_PER_PAGE
        assert f"({PASSAGES_PER_PAGE + 5})" in first and "Page 1 of 2" in first
        second = client.get(url(study, "frame", page=2)).text
        assert second.count('class="hit"') == 5

    def test_an_outsider_gets_404(self, client_for, study, transcript, outsider):
        assert client_for(outsider).get(url(study, "repair")).status_code == 404


class TestQueries:
    def test_no_query_shows_the_form(self, client_for, study, viewer):
        response = client_for(viewer).get(reverse("coding-search", args=[study.slug]))
        assert response.status_code == 200 and 'name="q"' in response.text

    @pytest.mark.parametrize(
        ("query", "message"),
        [("a", "Type at least 2 characters to search."), ("x" * 201, "at most 200 characters")],
    )
    def test_a_query_too_short_or_too_long_gets_a_clear_message(
        self, client_for, study, transcript, viewer, query, message
    ):
        response = client_for(viewer).get(url(study, query))
        assert response.status_code == 422
        assert message in response.text and 'class="hit"' not in response.text

    def test_the_service_refuses_a_short_query_too(self, study, viewer):
        with pytest.raises(ValidationError, match="at least 2"):
            search(member=member(study, viewer), query="  a ")

    def test_nothing_found_says_so(self, client_for, study, transcript, viewer):
        response = client_for(viewer).get(url(study, "zxnothing"))
        assert response.status_code == 200 and "Nothing matches “zxnothing”." in response.text

    def test_the_query_count_does_not_grow_with_the_results(
        self, client_for, study, transcript, coder_a, coder_b, django_assert_max_num_queries
    ):
        turns = [("P", f"Turn {n} on the frame.") for n in range(40)]
        other = make_locked_transcript(study, "P2", turns)
        coding = code_passage(study, other, coder_a, "Turn 3 on the frame", "frame")
        for n in range(25):
            notes.memo_add(member=member(study, coder_a), coding=coding, text=f"frame memo {n}")
            notes.memo_add(member=member(study, coder_b), code=coding.code, text=f"frame {n}")
            notes.journal_entry_add(
                member=member(study, coder_b),
                title=f"frame entry {n}",
                text="On the frame.",
                shared=True,
                transcript=other,
                start=0,
                end=5,
            )
        client = client_for(coder_a)
        client.get(reverse("study-list"))
        with django_assert_max_num_queries(8):
            response = client.get(url(study, "frame"))
        assert response.text.count('class="hit"') == PASSAGES_PER_PAGE + 20 + 20
        assert "More memos match" in response.text and "More entries match" in response.text


class TestMemosAndJournal:
    def test_memos_and_shared_entries_are_found_and_linked(
        self, client_for, study, transcript, coder_a, coder_b
    ):
        coding = code_passage(study, transcript, coder_a, "I name it", "naming")
        notes.memo_add(member=member(study, coder_a), coding=coding, text="Naming as zxalliance.")
        entry = notes.journal_entry_add(
            member=member(study, coder_a), title="zxalliance doubts", text="Mine.", shared=True
        )
        text = client_for(coder_b).get(url(study, "zxalliance")).text
        assert f'href="{reading_page(study, transcript)}#turn-4"' in text
        assert "Memo on a coding “naming”" in text
        assert reverse("coding-journal-entry", args=[study.slug, entry.uuid]) in text

    def test_private_entries_are_found_by_their_author_only(
        self, client_for, study, coder_a, coder_b, lead
    ):
        notes.journal_entry_add(
            member=member(study, coder_b), title="Private", text="zxsecret doubts"
        )
        assert "zxsecret" in client_for(coder_b).get(url(study, "zxsecret")).text
        for user in (coder_a, lead):
            text = client_for(user).get(url(study, "zxsecret")).text
            assert 'class="hit"' not in text and "doubts" not in text

    def test_the_blind_rule_holds_in_search(
        self, client_for, study, transcript, lead, coder_a, coder_b
    ):
        theirs = code_passage(study, transcript, coder_b, "I name it", "owning")
        notes.memo_add(member=member(study, coder_b), coding=theirs, text="zxcanary coding memo")
        notes.memo_add(member=member(study, coder_b), code=theirs.code, text="zxcanary code memo")
        round_ = CodingRound.objects.create(study=study, title="Round 1", opened_by=lead)
        round_.transcripts.add(transcript)
        for coder in (coder_a, coder_b):
            RoundCoder.objects.create(round=round_, coder=coder)
        text = client_for(coder_a).get(url(study, "zxcanary")).text
        assert 'class="hit"' not in text and "Nothing matches “zxcanary”." in text
        assert (
            "<mark>zxcanary</mark> code memo" in client_for(lead).get(url(study, "zxcanary")).text
        )

    def test_excerpts_are_escaped(self, client_for, study, transcript, coder_a):
        notes.memo_add(
            member=member(study, coder_a),
            transcript=transcript,
            text='zxmark <img src=x onerror="alert(1)">',
        )
        text = client_for(coder_a).get(url(study, "zxmark")).text
        # PostgreSQL's headline leaves tags out; the plain excerpt escapes them.
        assert "<mark>zxmark</mark>" in text and "<img" not in text


class TestHighlight:
    def test_the_fallback_marks_every_occurrence_and_cuts_a_window(self):
        text = "a" * 200 + " Repair, then repair again. " + "b" * 200
        snippet = highlight(text, "repair")
        assert snippet.count("<mark>") == 2 and "<mark>Repair</mark>" in snippet
        assert snippet.startswith("…") and snippet.endswith("…") and len(snippet) < 300

    def test_a_headline_from_postgresql_is_escaped_then_marked(self):
        headline = f"<b>we</b> {MARK_START}repair\ue001 it"
        assert highlight("", "repair", headline) == "&lt;b&gt;we&lt;/b&gt; <mark>repair</mark> it"

    def test_marks_inside_a_text_cannot_be_forged(self):
        assert "<mark>" not in highlight(f"x {MARK_START}forged\ue001 y", "zz")


class TestBackends:
    @on_postgresql
    def test_postgresql_searches_words_by_their_stem_and_ranks(
        self, client_for, study, transcript, coder_a
    ):
        results = search(member=member(study, coder_a), query="repairing")
        (hit,) = results.passages
        assert hit.url.endswith("#turn-4") and "<mark>repair</mark>" in hit.snippet
        # A part of a word is still found, by the plain filter beside the full-text search.
        (part,) = search(member=member(study, coder_a), query="epai").passages
        assert "<mark>epai</mark>" in part.snippet
        phrase = search(member=member(study, coder_a), query='"name it"').passages
        assert [h.url for h in phrase] == [hit.url]

    def test_without_full_text_search_the_text_is_filtered_as_typed(
        self, study, transcript, coder_a, monkeypatch
    ):
        # The fallback is a plain filter, so it runs on any database: CI exercises it on PostgreSQL.
        monkeypatch.setattr("coding.search.full_text_search", lambda: False)
        (hit,) = search(member=member(study, coder_a), query="REPAIR it").passages
        assert hit.url.endswith("#turn-4") and "<mark>repair it</mark>" in hit.snippet
        assert not search(member=member(study, coder_a), query="repairing").passages
