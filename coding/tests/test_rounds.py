import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from coding.models import CodingRound, RoundCoder
from coding.rounds import round_mark_done, round_open, round_unblind
from coding.tests.factories import make_locked_transcript
from studies.models import AuditEvent, Membership
from studies.tests.factories import UserFactory, make_study
from transcripts.models import TranscriptState

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
Action = AuditEvent.Action


def member(study, user):
    return Membership.objects.select_related("study", "user").get(study=study, user=user)


@pytest.fixture
def transcripts(study):
    return [make_locked_transcript(study, f"P{n}") for n in (1, 2, 3)]


@pytest.fixture
def open_round(study, transcripts, lead, coder_a, coder_b):
    return round_open(
        member=member(study, lead),
        title="Round 1",
        transcripts=transcripts[:2],
        coders=[coder_a, coder_b],
    )


def rounds_url(study):
    return reverse("coding-rounds", args=[study.slug])


def open_url(study):
    return reverse("coding-round-open", args=[study.slug])


def done_url(study, coding_round):
    return reverse("coding-round-done", args=[study.slug, coding_round.uuid])


def unblind_url(study, coding_round):
    return reverse("coding-round-unblind", args=[study.slug, coding_round.uuid])


def open_data(transcripts, *coders, title="Round 1"):
    return {
        "title": title,
        "transcripts": [str(t.uuid) for t in transcripts],
        "coders": [c.username for c in coders],
    }


class TestPage:
    def test_every_member_sees_the_rounds_coders_and_who_is_done(
        self, client_for, study, open_round, transcripts, coder_a, viewer
    ):
        round_mark_done(member=member(study, coder_a), coding_round=open_round)
        response = client_for(viewer).get(rounds_url(study))
        assert response.status_code == 200
        text = response.text
        assert "Round 1" in text and "Open · blind" in text
        assert transcripts[0].title in text and transcripts[2].title not in text
        part = text.split(f'id="round-{open_round.uuid}-coder_a"')[1].split("</li>")[0]
        assert "done" in part and "not done" not in part
        part = text.split(f'id="round-{open_round.uuid}-coder_b"')[1].split("</li>")[0]
        assert "not done" in part
        assert "Open a blind round" not in text and "Close and unblind" not in text

    def test_a_coder_of_the_round_is_offered_to_mark_done(
        self, client_for, study, open_round, coder_a
    ):
        text = client_for(coder_a).get(rounds_url(study)).text
        assert "I have finished my part" in text and "Open a blind round" not in text

    def test_the_lead_sees_the_form_with_locked_transcripts_and_coders_only(
        self, client_for, study, open_round, transcripts, lead, viewer
    ):
        make_locked_transcript(study, "P9")
        unlocked = make_locked_transcript(study, "P8")
        unlocked.state = TranscriptState.REVIEW
        unlocked.save()
        text = client_for(lead).get(rounds_url(study)).text
        form = text.split('class="card round-open-form"')[1]
        assert "Interview with P9" in form and "Interview with P8" not in form
        busy = form.split(f'value="{transcripts[0].uuid}"')[1].split("</label>")[0]
        assert "disabled" in busy and "in the open round “Round 1”" in busy
        assert 'value="coder_a"' in form and f'value="{viewer.username}"' not in form
        assert "Not finished yet: coder_a, coder_b." in text

    def test_outsider_gets_404(self, client_for, study, outsider):
        assert client_for(outsider).get(rounds_url(study)).status_code == 404

    def test_query_count_does_not_grow_with_rounds(
        self, client_for, study, lead, coder_a, coder_b, django_assert_max_num_queries
    ):
        client = client_for(lead)
        client.get(rounds_url(study))
        for n in range(12):
            transcripts = [make_locked_transcript(study, f"R{n}x{k}") for k in range(2)]
            coding_round = round_open(
                member=member(study, lead),
                title=f"Round {n}",
                transcripts=transcripts,
                coders=[coder_a, coder_b],
            )
            if n % 2:
                round_unblind(member=member(study, lead), coding_round=coding_round)
        with django_assert_max_num_queries(9):
            response = client.get(rounds_url(study))
        assert response.text.count('<article class="card round') == 12


class TestOpen:
    def test_the_lead_opens_a_round_and_it_is_audited(
        self, client_for, study, transcripts, lead, coder_a, coder_b
    ):
        response = client_for(lead).post(
            open_url(study), open_data(transcripts[:2], coder_a, coder_b, title="  First   round ")
        )
        assert response.status_code == 302 and response["Location"] == rounds_url(study)
        coding_round = CodingRound.objects.get()
        assert coding_round.title == "First round" and coding_round.is_open
        assert set(coding_round.transcripts.all()) == set(transcripts[:2])
        assert {p.coder for p in coding_round.round_coders.all()} == {coder_a, coder_b}
        event = AuditEvent.objects.get(action=Action.ROUND_OPEN)
        assert (event.actor, event.study, event.target) == (lead, study, "First round")
        assert event.details["coders"] == ["coder_a", "coder_b"]

    def test_htmx_gets_the_region_back(
        self, client_for, study, transcripts, lead, coder_a, coder_b
    ):
        response = client_for(lead).post(
            open_url(study), open_data(transcripts[:1], coder_a, coder_b), headers=HTMX
        )
        assert response.status_code == 200
        assert response.text.lstrip().startswith('<div id="rounds">')
        assert "Opened the round “Round 1”" in response.text

    def test_a_lead_may_code_in_a_round(self, client_for, study, transcripts, lead, coder_a):
        client_for(lead).post(open_url(study), open_data(transcripts, lead, coder_a))
        assert RoundCoder.objects.filter(coder=lead).exists()

    @pytest.mark.parametrize("persona", ["coder_a", "viewer"])
    def test_only_a_lead_opens(self, client_for, study, transcripts, personas, persona):
        response = client_for(personas[persona]).post(
            open_url(study), open_data(transcripts, personas["coder_a"])
        )
        assert response.status_code == 403
        assert not CodingRound.objects.exists()

    def test_outsider_gets_404(self, client_for, study, transcripts, outsider, coder_a):
        response = client_for(outsider).post(open_url(study), open_data(transcripts, coder_a))
        assert response.status_code == 404
        assert not CodingRound.objects.exists()

    @pytest.mark.parametrize(
        ("case", "message"),
        [
            ("no transcripts", "Choose at least one transcript to code."),
            ("no coders", "Choose at least one coder."),
            ("no title", "A round needs a title."),
            ("not locked", "is not locked yet: only a locked transcript is coded."),
            ("viewer as coder", "viewer is a viewer: only coders and leads code."),
            ("outsider as coder", "outsider is not a member of this study."),
            ("foreign transcript", "A chosen transcript is not one of this study&#x27;s."),
            ("malformed transcript", "is not a valid UUID"),
            ("already in a round", "“Interview with P1” is already in the open round “Round 1”."),
        ],
    )
    def test_bad_input_is_explained_and_nothing_changes(
        self,
        client_for,
        study,
        transcripts,
        open_round,
        lead,
        coder_a,
        viewer,
        outsider,
        case,
        message,
    ):
        data = open_data(transcripts[2:], coder_a, title="Round 2")
        if case == "no transcripts":
            data["transcripts"] = []
        elif case == "no coders":
            data["coders"] = []
        elif case == "no title":
            data["title"] = "   "
        elif case == "not locked":
            transcripts[2].state = TranscriptState.SIGNED_OFF
            transcripts[2].save()
        elif case == "viewer as coder":
            data["coders"] = [viewer.username]
        elif case == "outsider as coder":
            data["coders"] = [outsider.username]
        elif case == "foreign transcript":
            other = make_study(creator=outsider, title="Elsewhere")
            data["transcripts"] = [str(make_locked_transcript(other, "P1").uuid)]
        elif case == "malformed transcript":
            data["transcripts"] = ["not-a-uuid"]
        elif case == "already in a round":
            data["transcripts"].append(str(transcripts[0].uuid))
        rounds_before = list(CodingRound.objects.values_list("pk", flat=True))
        events_before = AuditEvent.objects.count()
        for headers in ({}, HTMX):
            response = client_for(lead).post(open_url(study), data, headers=headers)
            assert response.status_code == 422
            assert message in response.text
        assert response.text.lstrip().startswith('<div id="rounds">')
        assert list(CodingRound.objects.values_list("pk", flat=True)) == rounds_before
        assert AuditEvent.objects.count() == events_before

    def test_the_service_refuses_a_transcript_of_another_study(
        self, study, transcripts, lead, coder_a, outsider
    ):
        other = make_study(creator=outsider, title="Elsewhere")
        foreign = make_locked_transcript(other, "P1")
        with pytest.raises(ValidationError, match="belongs to another study"):
            round_open(
                member=member(study, lead), title="R", transcripts=[foreign], coders=[coder_a]
            )

    def test_the_service_refuses_an_expired_member_as_coder(self, study, transcripts, lead):
        former = UserFactory(username="former")
        Membership.objects.create(study=study, user=former, role="coder", expires_on="2020-01-01")
        with pytest.raises(ValidationError, match="former is not a member"):
            round_open(
                member=member(study, lead), title="R", transcripts=transcripts, coders=[former]
            )

    def test_the_service_refuses_a_coder(self, study, transcripts, coder_a):
        with pytest.raises(ValidationError, match="Only a lead or custodian opens"):
            round_open(
                member=member(study, coder_a), title="R", transcripts=transcripts, coders=[coder_a]
            )

    def test_a_transcript_of_a_closed_round_may_go_into_a_new_one(
        self, study, transcripts, open_round, lead, coder_a
    ):
        round_unblind(member=member(study, lead), coding_round=open_round)
        again = round_open(
            member=member(study, lead), title="R2", transcripts=transcripts[:1], coders=[coder_a]
        )
        assert again.is_open


class TestDone:
    def test_a_coder_marks_their_part_done_and_it_is_audited(
        self, client_for, study, open_round, coder_a
    ):
        response = client_for(coder_a).post(done_url(study, open_round))
        assert response.status_code == 302
        part = RoundCoder.objects.get(round=open_round, coder=coder_a)
        assert part.done_at is not None
        assert not RoundCoder.objects.get(round=open_round, coder__username="coder_b").done_at
        event = AuditEvent.objects.get(action=Action.ROUND_DONE)
        assert (event.actor, event.target) == (coder_a, "Round 1")

    def test_htmx_shows_it_done(self, client_for, study, open_round, coder_a):
        response = client_for(coder_a).post(done_url(study, open_round), headers=HTMX)
        assert response.status_code == 200
        assert "Marked your part of “Round 1” done." in response.text
        assert "I have finished my part" not in response.text

    def test_a_viewer_gets_403(self, client_for, study, open_round, viewer):
        assert client_for(viewer).post(done_url(study, open_round)).status_code == 403

    def test_outsider_gets_404(self, client_for, study, open_round, outsider):
        assert client_for(outsider).post(done_url(study, open_round)).status_code == 404

    def test_an_unknown_round_is_404(self, client_for, study, open_round, coder_a):
        open_round.uuid = "00000000-0000-0000-0000-000000000001"
        assert client_for(coder_a).post(done_url(study, open_round)).status_code == 404

    @pytest.mark.parametrize(
        ("case", "message"),
        [
            ("not a coder of it", "You are not a coder in this round."),
            ("twice", "You have already marked your part of this round done."),
            ("closed", "This round is closed already."),
        ],
    )
    def test_bad_requests_are_explained_and_nothing_changes(
        self, client_for, study, open_round, lead, coder_a, case, message
    ):
        user = lead if case == "not a coder of it" else coder_a
        if case == "twice":
            round_mark_done(member=member(study, coder_a), coding_round=open_round)
        if case == "closed":
            round_unblind(member=member(study, lead), coding_round=open_round)
        done_before = list(RoundCoder.objects.values_list("done_at", flat=True))
        events = AuditEvent.objects.filter(action=Action.ROUND_DONE).count()
        response = client_for(user).post(done_url(study, open_round), headers=HTMX)
        assert response.status_code == 422 and message in response.text
        assert list(RoundCoder.objects.values_list("done_at", flat=True)) == done_before
        assert AuditEvent.objects.filter(action=Action.ROUND_DONE).count() == events


class TestUnblind:
    def test_the_lead_unblinds_before_everyone_is_done_and_it_is_audited(
        self, client_for, study, open_round, lead, coder_a
    ):
        round_mark_done(member=member(study, coder_a), coding_round=open_round)
        response = client_for(lead).post(unblind_url(study, open_round), headers=HTMX)
        assert response.status_code == 200
        open_round.refresh_from_db()
        assert not open_round.is_open and open_round.closed_by == lead
        event = AuditEvent.objects.get(action=Action.UNBLIND)
        assert (event.actor, event.study, event.target) == (lead, study, "Round 1")
        assert event.details["not_done"] == ["coder_b"]
        text = response.text
        assert "Closed" in text and "closed and unblinded by lead" in text
        assert "Close and unblind" not in text

    def test_plain_post_redirects(self, client_for, study, open_round, lead):
        response = client_for(lead).post(unblind_url(study, open_round))
        assert response.status_code == 302 and response["Location"] == rounds_url(study)

    @pytest.mark.parametrize("persona", ["coder_a", "viewer"])
    def test_only_a_lead_unblinds(self, client_for, study, open_round, personas, persona):
        assert client_for(personas[persona]).post(unblind_url(study, open_round)).status_code == 403
        open_round.refresh_from_db()
        assert open_round.is_open

    def test_outsider_gets_404(self, client_for, study, open_round, outsider):
        assert client_for(outsider).post(unblind_url(study, open_round)).status_code == 404

    def test_a_closed_round_is_not_unblinded_twice(self, client_for, study, open_round, lead):
        round_unblind(member=member(study, lead), coding_round=open_round)
        closed_at = CodingRound.objects.get().closed_at
        response = client_for(lead).post(unblind_url(study, open_round), headers=HTMX)
        assert response.status_code == 422
        assert "This round is closed already." in response.text
        assert CodingRound.objects.get().closed_at == closed_at
        assert AuditEvent.objects.filter(action=Action.UNBLIND).count() == 1

    def test_a_round_of_another_study_is_404(self, client_for, study, lead, outsider, coder_a):
        other = make_study(creator=outsider, title="Elsewhere")
        foreign = CodingRound.objects.create(study=other, title="Theirs", opened_by=outsider)
        assert client_for(lead).post(unblind_url(study, foreign)).status_code == 404
        foreign.refresh_from_db()
        assert foreign.is_open
