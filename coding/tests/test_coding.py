import pytest
from django.urls import reverse

from coding.models import Code, Coding, CodingRound, Memo, RoundCoder
from coding.services import code_create, coding_apply
from coding.tests.factories import make_locked_transcript
from studies.models import Membership
from transcripts.models import TranscriptState

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def transcript(study):
    return make_locked_transcript(study)


def member(study, user):
    return Membership.objects.get(study=study, user=user)


def text_of(transcript):
    return transcript.versions.get().text


def span(transcript, words):
    start = text_of(transcript).index(words)
    return start, start + len(words)


def page(study, transcript):
    return reverse("coding-transcript", args=[study.slug, transcript.uuid])


def apply_url(study, transcript):
    return reverse("coding-apply", args=[study.slug, transcript.uuid])


class TestBlindRule:
    @pytest.fixture
    def coded(self, study, transcript, coder_a, coder_b):
        start, end = span(transcript, "I name it")
        a = coding_apply(
            member=member(study, coder_a),
            transcript=transcript,
            start=start,
            end=end,
            new_label="naming the rupture",
        )[0]
        b = coding_apply(
            member=member(study, coder_b),
            transcript=transcript,
            start=start,
            end=end,
            new_label="zx-canary-label",
        )[0]
        return a, b

    def open_round(self, study, transcript, lead, *coders):
        round_ = CodingRound.objects.create(study=study, title="Round 1", opened_by=lead)
        round_.transcripts.add(transcript)
        for coder in coders:
            RoundCoder.objects.create(round=round_, coder=coder)
        return round_

    def test_without_a_round_everyone_sees_every_coding(self, study, coded, personas):
        for persona in ("coder_a", "coder_b", "lead", "viewer"):
            assert Coding.objects.visible_to(member(study, personas[persona])).count() == 2

    def test_in_an_open_round_a_coder_sees_only_their_own(
        self, study, transcript, coded, lead, coder_a, coder_b, viewer
    ):
        round_ = self.open_round(study, transcript, lead, coder_a, coder_b)
        a, b = coded
        assert list(Coding.objects.visible_to(member(study, coder_a))) == [a]
        assert list(Coding.objects.visible_to(member(study, coder_b))) == [b]
        assert Coding.objects.visible_to(member(study, lead)).count() == 2  # the lead is not coding
        assert Coding.objects.visible_to(member(study, viewer)).count() == 0
        assert [c.label for c in Code.objects.visible_to(member(study, coder_a))] == [
            "naming the rupture"
        ]
        assert not Code.objects.visible_to(member(study, viewer)).exists()
        round_.closed_at = round_.opened_at
        round_.save()
        assert Coding.objects.visible_to(member(study, coder_a)).count() == 2

    def test_the_canary_code_never_reaches_coder_a_while_blind(
        self, client_for, study, transcript, coded, lead, coder_a, coder_b
    ):
        self.open_round(study, transcript, lead, coder_a, coder_b)
        text = client_for(coder_a).get(page(study, transcript)).text
        assert "naming the rupture" in text and "zx-canary-label" not in text

    def test_another_study_is_never_seen(self, study, coded, outsider):
        from studies.tests.factories import make_study

        other = make_study(creator=outsider, title="Elsewhere")
        assert not Coding.objects.visible_to(member(other, outsider)).exists()


class TestPage:
    def test_a_viewer_reads_the_turns_and_codings(
        self, client_for, study, transcript, viewer, coder_a
    ):
        start, end = span(transcript, "we repair it together")
        coding_apply(
            member=member(study, coder_a),
            transcript=transcript,
            start=start,
            end=end,
            new_label="repair",
        )
        text = client_for(viewer).get(page(study, transcript)).text
        assert "Slowly 🙂" in text and "repair" in text and 'class="coded' in text
        assert "Code the selection" not in text

    def test_outsider_gets_404(self, client_for, study, transcript, outsider):
        assert client_for(outsider).get(page(study, transcript)).status_code == 404

    def test_a_transcript_in_review_shows_no_text(self, client_for, study, transcript, coder_a):
        transcript.state = TranscriptState.REVIEW
        transcript.save()
        text = client_for(coder_a).get(page(study, transcript)).text
        assert "not ready for coding" in text and "Slowly" not in text

    @pytest.mark.parametrize("n", [6, 60])
    def test_query_count_is_constant_in_the_number_of_codings(
        self, client_for, study, transcript, coder_a, n, django_assert_num_queries
    ):
        client = client_for(coder_a)
        client.get(reverse("study-list"))
        me = member(study, coder_a)
        codes = [code_create(member=me, label=f"code {n}") for n in range(10)]
        for k in range(n):
            Coding.objects.create(
                version=transcript.versions.get(),
                code=codes[k % 10],
                coder=coder_a,
                start=k,
                end=k + 5,
            )
        with django_assert_num_queries(11):
            response = client.get(page(study, transcript))
        assert f'<span id="coding-count">{n}</span>' in response.text
        assert response.text.count('<a href="/s/') >= min(n, 10)

    def test_the_codes_used_here_are_listed_with_counts_and_their_extracts(
        self, client_for, study, transcript, coder_a
    ):
        for words in ("I listen first", "we repair it together"):
            start, end = span(transcript, words)
            coding_apply(
                member=member(study, coder_a), transcript=transcript, start=start, end=end,
                new_label="attending",
            )  # fmt: skip
        code = Code.objects.get()
        text = client_for(coder_a).get(page(study, transcript)).text
        retrieve = reverse("coding-retrieve", args=[study.slug, code.uuid])
        assert f'<a href="{retrieve}">attending</a> <span class="muted">2</span>' in text


class TestDetails:
    """The codings under a highlight, read when it is clicked: code, coder, words, memos."""

    def url(self, study, transcript, at=None):
        url = reverse("coding-details", args=[study.slug, transcript.uuid])
        return url if at is None else f"{url}?at={at}"

    def test_the_codings_under_a_point_with_memos_and_the_owners_buttons(
        self, client_for, study, transcript, coder_a, coder_b
    ):
        start, end = span(transcript, "the café small talk")
        (mine,) = coding_apply(
            member=member(study, coder_a), transcript=transcript, start=start, end=end,
            new_label="small talk",
        )  # fmt: skip
        inner, _ = span(transcript, "small talk")
        (theirs,) = coding_apply(
            member=member(study, coder_b), transcript=transcript, start=inner, end=end,
            new_label="informality",
        )  # fmt: skip
        Memo.objects.create(study=study, author=coder_a, coding=mine, text="Talk as a way in.")
        response = client_for(coder_a).get(self.url(study, transcript, inner), headers=HTMX)
        text = response.text
        assert 'id="coding-details"' in text and 'hx-swap-oob="true"' in text
        assert "small talk" in text and "informality" in text and "Talk as a way in." in text
        assert f"coding-{mine.uuid}" in text and "by coder_b" in text
        assert text.count(">Remove</button>") == 1  # only coder_a's own
        before = client_for(coder_a).get(self.url(study, transcript, start)).text
        assert "small talk" in before and "informality" not in before

    @pytest.mark.parametrize("at", [None, "", "x", "-1", "999999"])
    def test_no_point_or_a_bad_one_shows_the_hint(self, client_for, study, transcript, coder_a, at):
        url = reverse("coding-details", args=[study.slug, transcript.uuid])
        response = client_for(coder_a).get(url if at is None else f"{url}?at={at}")
        assert response.status_code == 200 and "Click a highlight" in response.text

    def test_a_blind_coding_is_not_shown(
        self, client_for, study, transcript, lead, coder_a, coder_b
    ):
        start, end = span(transcript, "I listen first")
        coding_apply(
            member=member(study, coder_b), transcript=transcript, start=start, end=end,
            new_label="canary-code",
        )  # fmt: skip
        round_ = CodingRound.objects.create(study=study, title="Round", opened_by=lead)
        round_.transcripts.add(transcript)
        for coder in (coder_a, coder_b):
            RoundCoder.objects.create(round=round_, coder=coder)
        text = client_for(coder_a).get(self.url(study, transcript, start)).text
        assert "canary-code" not in text and "Click a highlight" in text


class TestApply:
    def test_a_coder_applies_a_new_code_and_sees_it_in_place(
        self, client_for, study, transcript, coder_a
    ):
        start, end = span(transcript, "café small talk")
        response = client_for(coder_a).post(
            apply_url(study, transcript),
            {"start": start, "end": end, "new_code": "small talk"},
            headers=HTMX,
        )
        # Only what changed comes back, swapped in place: the coded turn, the count, the codes here.
        assert response.status_code == 200 and '<div id="reading"' not in response.text
        assert (
            'id="turn-2" tabindex="-1" hx-swap-oob="true"' in response.text
            and 'id="turn-4"' not in response.text
        )
        assert '<mark class="coded' in response.text
        assert '<span id="coding-count" hx-swap-oob="true">1</span>' in response.text
        assert (
            'id="codes-here" hx-swap-oob="true"' in response.text
            and ">small talk</a>" in response.text
        )
        coding = Coding.objects.get()
        assert (
            coding.code.label,
            coding.coder,
            text_of(transcript)[coding.start : coding.end],
        ) == ("small talk", coder_a, "café small talk")
        assert "Coded: small talk." in response.text

    def test_ticked_codes_and_a_double_submit_store_each_coding_once(
        self, client_for, study, transcript, coder_a
    ):
        me = member(study, coder_a)
        first, second = (
            code_create(member=me, label="listening"),
            code_create(member=me, label="pace"),
        )
        start, end = span(transcript, "I listen first")
        data = {"start": start, "end": end, "code": [str(first.uuid), str(second.uuid)]}
        client = client_for(coder_a)
        client.post(apply_url(study, transcript), data)
        client.post(apply_url(study, transcript), data)
        assert Coding.objects.count() == 2

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"start": 5, "end": 2, "new_code": "x"}, "outside the transcript"),
            ({"start": 0, "end": 10**6, "new_code": "x"}, "outside the transcript"),
            ({"start": "", "end": "", "new_code": "x"}, "Select some text first."),
            ({"start": 0, "end": 5}, "Choose a code, or type a new one."),
            ({"start": 0, "end": 5, "new_code": "y" * 130}, "at most 120 characters"),
        ],
    )
    def test_bad_input_is_explained_and_nothing_stored(
        self, client_for, study, transcript, coder_a, data, message
    ):
        response = client_for(coder_a).post(apply_url(study, transcript), data, headers=HTMX)
        assert response.status_code == 422
        assert message in response.text
        assert not Coding.objects.exists()

    def test_a_viewer_cannot_code(self, client_for, study, transcript, viewer):
        assert (
            client_for(viewer)
            .post(apply_url(study, transcript), {"start": 0, "end": 5, "new_code": "x"})
            .status_code
            == 403
        )
        assert not Coding.objects.exists()

    def test_a_transcript_in_review_cannot_be_coded(self, client_for, study, transcript, coder_a):
        transcript.state = TranscriptState.REVIEW
        transcript.save()
        response = client_for(coder_a).post(
            apply_url(study, transcript), {"start": 0, "end": 5, "new_code": "x"}, headers=HTMX
        )
        assert response.status_code == 422 and not Coding.objects.exists()


def test_only_the_owner_removes_a_coding(client_for, study, transcript, coder_a, coder_b):
    start, end = span(transcript, "we repair it together")
    (coding,) = coding_apply(
        member=member(study, coder_a),
        transcript=transcript,
        start=start,
        end=end,
        new_label="repair",
    )
    remove = reverse("coding-remove", args=[study.slug, transcript.uuid, coding.uuid])
    assert client_for(coder_b).post(remove, headers=HTMX).status_code == 422
    assert Coding.objects.exists()
    assert client_for(coder_a).post(remove, headers=HTMX).status_code == 200
    assert not Coding.objects.exists()


def test_removing_from_the_panel_refreshes_it(client_for, study, transcript, coder_a):
    start, end = span(transcript, "we repair it together")
    (coding,) = coding_apply(
        member=member(study, coder_a), transcript=transcript, start=start, end=end,
        new_label="repair",
    )  # fmt: skip
    remove = reverse("coding-remove", args=[study.slug, transcript.uuid, coding.uuid])
    response = client_for(coder_a).post(remove, {"at": start}, headers=HTMX)
    assert 'id="coding-details"' in response.text and "Click a highlight" in response.text
    assert '<span id="coding-count" hx-swap-oob="true">0</span>' in response.text


class TestCorrectedCodings:
    """A coding whose words a correction changed is marked until its coder says it still fits."""

    @pytest.fixture
    def changed(self, study, transcript, lead, coder_a):
        from transcripts.versions import transcript_correct

        start, end = span(transcript, "the café small talk")
        (coding,) = coding_apply(
            member=member(study, coder_a), transcript=transcript, start=start, end=end,
            new_label="small talk",
        )  # fmt: skip
        transcript_correct(
            member=member(study, lead), transcript=transcript, turn_position=2,
            text="Slowly 🙂 — I listen first, and the café chit-chat matters more than people think.",
            reason="Audio.",
        )  # fmt: skip
        coding.refresh_from_db()
        return coding

    def test_it_is_marked_in_the_text_and_the_panel_until_confirmed(
        self, client_for, study, transcript, coder_a, coder_b, changed
    ):
        client = client_for(coder_a)
        assert 'class="coded check' in client.get(page(study, transcript)).text
        details = reverse("coding-details", args=[study.slug, transcript.uuid])
        panel = client.get(f"{details}?at={changed.start}").text
        assert "A correction of the transcript changed these words" in panel
        assert ">Still fits</button>" in panel
        confirm = reverse("coding-confirm", args=[study.slug, transcript.uuid, changed.uuid])
        assert client_for(coder_b).post(confirm, headers=HTMX).status_code == 422
        client = client_for(coder_a)  # the same client, logged in as coder_a again
        response = client.post(confirm, {"at": changed.start}, headers=HTMX)
        assert response.status_code == 200 and ">Still fits</button>" not in response.text
        changed.refresh_from_db()
        assert not changed.needs_check
        assert 'class="coded check' not in client.get(page(study, transcript)).text
        assert client.post(confirm, headers=HTMX).status_code == 422  # nothing left to confirm

    def test_a_coding_whose_words_were_removed_is_listed_apart(
        self, client_for, study, transcript, lead, coder_a
    ):
        from transcripts.versions import transcript_correct

        start, end = span(transcript, "when it goes wrong")
        (gone,) = coding_apply(
            member=member(study, coder_a), transcript=transcript, start=start, end=end,
            new_label="rupture",
        )  # fmt: skip
        transcript_correct(
            member=member(study, lead), transcript=transcript, turn_position=3, text="And?",
            reason="Audio.",
        )  # fmt: skip
        text = client_for(coder_a).get(page(study, transcript)).text
        assert "Codings whose words a correction removed" in text
        assert "“when it goes wrong”" in text and "version 1" in text
        confirm = reverse("coding-confirm", args=[study.slug, transcript.uuid, gone.uuid])
        response = client_for(coder_a).post(confirm, headers=HTMX)
        assert response.status_code == 422 and "removed this coding" in response.text
