import csv
import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from docx import Document
from docx.enum.section import WD_ORIENT
from playwright.sync_api import expect

from studies.models import (
    AuditEvent,
    Interview,
    Membership,
    Participant,
    SourceProject,
)
from studies.services import audio as audio_services
from studies.tests.factories import PASSWORD, make_study

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
Action = AuditEvent.Action
TODAY = timezone.localdate


def days_ago(days: int):
    return TODAY() - timedelta(days=days)


@pytest.fixture
def project(study):
    return SourceProject.objects.create(study=study, name="Project A")


@pytest.fixture
def participant(study, project):
    return Participant.objects.create(study=study, source_project=project, pseudonym="P1")


def make_interview(participant, *, held_on=None, recorded=True, **fields) -> Interview:
    return Interview.objects.create(
        participant=participant,
        held_on=held_on or days_ago(10),
        audio_recorded=recorded,
        audio_copies="Teams cloud\nEncrypted laptop" if recorded else "",
        **fields,
    )


def verified(interview, user) -> Interview:
    interview.verified_by, interview.verified_at = user, timezone.now()
    interview.save()
    return interview


def deleted(interview, user) -> Interview:
    interview.audio_deleted_by, interview.audio_deleted_at = user, timezone.now()
    interview.deleted_copies, interview.deletion_method = "Teams cloud", "Deleted from Teams"
    interview.save()
    return interview


def events(action):
    return list(AuditEvent.objects.filter(action=action))


def list_url(study, **query):
    url = reverse("study-interviews", args=[study.slug])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def create_url(study):
    return reverse("study-interview-create", args=[study.slug])


def edit_url(study, interview):
    return reverse("study-interview-edit", args=[study.slug, interview.uuid])


def verify_url(study, interview):
    return reverse("study-interview-verify", args=[study.slug, interview.uuid])


def delete_url(study, interview):
    return reverse("study-interview-audio-delete", args=[study.slug, interview.uuid])


def record_url(study, extension):
    return reverse(f"study-audio-deletion-record-{extension}", args=[study.slug])


def state(interview) -> tuple:
    """What the ethics trail holds of an interview's audio."""
    interview.refresh_from_db()
    return (
        interview.held_on,
        interview.audio_copies,
        interview.verified_by_id,
        interview.verified_at,
        interview.audio_deleted_by_id,
        interview.audio_deleted_at,
        interview.deleted_copies,
        interview.deletion_method,
    )


class TestInterviewsPage:
    def test_lead_sees_each_interview_and_its_audio(
        self, client_for, study, lead, custodian, participant, project
    ):
        other = Participant.objects.create(study=study, source_project=project, pseudonym="P2")
        first = verified(make_interview(participant, held_on=days_ago(30)), lead)
        second = deleted(verified(make_interview(other, held_on=days_ago(20)), lead), custodian)
        response = client_for(lead).get(list_url(study))
        assert response.status_code == 200
        text = response.text
        for interview in (first, second):
            assert f'id="interview-{interview.uuid}"' in text
        assert "Project A" in text and "Video call" in text
        assert "Transcript verified against audio" in text and "Audio deleted" in text
        assert "Teams cloud<br>Encrypted laptop" in text
        due = first.held_on + timedelta(days=study.audio_retention_days)
        assert f'datetime="{due:%Y-%m-%d}"' in text
        assert text.count(">lead<br>") == 2  # verified both
        assert ">custodian<br>" in text  # deleted the second

    def test_an_interview_held_long_ago_is_marked_overdue(
        self, client_for, study, lead, custodian, participant
    ):
        old = make_interview(participant, held_on=days_ago(study.audio_retention_days + 1))
        due_today = make_interview(participant, held_on=days_ago(study.audio_retention_days))
        gone = deleted(make_interview(participant, held_on=days_ago(400)), custodian)
        text = client_for(lead).get(list_url(study)).text
        assert f'<tr id="interview-{old.uuid}" class="overdue">' in text
        assert f'<tr id="interview-{due_today.uuid}">' in text
        assert f'<tr id="interview-{gone.uuid}">' in text
        assert "1 interview past its deletion date." in text

    def test_overdue_only(self, client_for, study, lead, custodian, participant):
        old = make_interview(participant, held_on=days_ago(200))
        recent = make_interview(participant, held_on=days_ago(5))
        gone = deleted(make_interview(participant, held_on=days_ago(300)), custodian)
        silent = make_interview(participant, held_on=days_ago(300), recorded=False)
        text = client_for(lead).get(list_url(study, overdue="on")).text
        assert f"interview-{old.uuid}" in text
        for interview in (recent, gone, silent):
            assert f"interview-{interview.uuid}" not in text

    def test_filter_by_source_project(self, client_for, study, lead, participant):
        project_b = SourceProject.objects.create(study=study, name="Project B")
        in_b = make_interview(
            Participant.objects.create(study=study, source_project=project_b, pseudonym="P9")
        )
        in_a = make_interview(participant)
        text = client_for(lead).get(list_url(study, source_project=project_b.uuid)).text
        assert f"interview-{in_b.uuid}" in text
        assert f"interview-{in_a.uuid}" not in text

    def test_a_foreign_source_project_is_refused(
        self, client_for, study, lead, custodian, participant
    ):
        foreign = SourceProject.objects.create(study=make_study(creator=custodian), name="X")
        make_interview(participant)
        for value in (foreign.uuid, "not-a-uuid"):
            text = client_for(lead).get(list_url(study, source_project=value)).text
            assert "Choose one of this study&#x27;s source projects." in text
            assert "No interviews match." in text

    @pytest.mark.parametrize("persona", ["coder_a", "viewer"])
    def test_coder_and_viewer_get_403(self, client_for, study, personas, persona):
        assert client_for(personas[persona]).get(list_url(study)).status_code == 403

    def test_outsider_gets_404(self, client_for, study, outsider):
        assert client_for(outsider).get(list_url(study)).status_code == 404

    def test_only_a_custodian_is_offered_the_deletion(
        self, client_for, study, lead, custodian, participant
    ):
        interview = make_interview(participant)
        assert delete_url(study, interview) not in client_for(lead).get(list_url(study)).text
        assert delete_url(study, interview) in client_for(custodian).get(list_url(study)).text

    def test_query_count_does_not_grow_with_interviews(
        self, client_for, study, lead, custodian, project, django_assert_max_num_queries
    ):
        client = client_for(custodian)
        client.get(list_url(study))  # the session's last-seen stamp is written once a minute
        for n in range(12):
            p = Participant.objects.create(study=study, source_project=project, pseudonym=f"P{n}")
            interview = make_interview(p, held_on=days_ago(10 * n))
            if n % 3:
                verified(interview, lead)
            if n % 3 == 2:
                deleted(interview, custodian)
        with django_assert_max_num_queries(7):
            response = client.get(list_url(study, source_project=project.uuid))
        assert response.text.count('<tr id="interview-') == 12


def interview_data(participant, /, **changes) -> dict:
    return {
        "participant": str(participant.uuid),
        "held_on": days_ago(3).isoformat(),
        "medium": "telephone",
        "audio_recorded": "True",
        "audio_copies": "Dictaphone\nEncrypted laptop",
        **changes,
    }


class TestRecordInterview:
    def test_lead_records_an_interview_and_it_is_audited(
        self, client_for, study, lead, participant
    ):
        response = client_for(lead).post(create_url(study), interview_data(participant))
        interview = Interview.objects.get()
        assert response.status_code == 302
        assert response["Location"] == list_url(study) + f"#interview-{interview.uuid}"
        assert (interview.participant, interview.held_on, interview.medium) == (
            participant,
            days_ago(3),
            "telephone",
        )
        assert interview.audio_copies == "Dictaphone\nEncrypted laptop"
        [event] = events(Action.INTERVIEW_SAVE)
        assert (event.actor, event.study) == (lead, study)
        assert event.details == {
            "pseudonym": "P1",
            "date": days_ago(3).isoformat(),
            "created": True,
        }

    def test_an_interview_without_audio(self, client_for, study, lead, participant):
        data = interview_data(participant, audio_recorded="False", audio_copies="")
        assert client_for(lead).post(create_url(study), data).status_code == 302
        assert Interview.objects.get().stage == Interview.Stage.NOT_RECORDED

    def test_htmx_is_sent_to_the_list(self, client_for, study, lead, participant):
        response = client_for(lead).post(
            create_url(study), interview_data(participant), headers=HTMX
        )
        assert response.status_code == 200
        assert response["HX-Redirect"].startswith(list_url(study) + "#interview-")

    def test_the_form_offers_participants_still_in_the_study(
        self, client_for, study, lead, participant, project
    ):
        gone = Participant.objects.create(
            study=study, source_project=project, pseudonym="P7", withdrawn_at=timezone.now()
        )
        text = client_for(lead).get(create_url(study)).text
        assert f'<option value="{participant.uuid}">P1</option>' in text
        assert str(gone.uuid) not in text

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"held_on": (TODAY() + timedelta(days=1)).isoformat()}, "cannot be in the future"),
            ({"held_on": ""}, "This field is required."),
            ({"participant": "foreign"}, "Choose one of this study&#x27;s participants."),
            ({"participant": "withdrawn"}, "Choose one of this study&#x27;s participants."),
            ({"audio_copies": ""}, "Say where the audio is kept"),
            ({"audio_recorded": "False"}, "An interview without audio has no copies to keep."),
            ({"medium": "carrier pigeon"}, "Select a valid choice."),
        ],
    )
    def test_bad_input_is_explained_and_nothing_changes(
        self, client_for, study, lead, custodian, participant, project, changes, message
    ):
        elsewhere = make_study(creator=custodian, title="Another study")
        foreign = Participant.objects.create(
            study=elsewhere,
            source_project=SourceProject.objects.create(study=elsewhere, name="Elsewhere"),
            pseudonym="P1",
        )
        withdrawn = Participant.objects.create(
            study=study, source_project=project, pseudonym="P8", withdrawn_at=timezone.now()
        )
        who = {"foreign": foreign, "withdrawn": withdrawn}.get(changes.get("participant"))
        if who:
            changes = {**changes, "participant": str(who.uuid)}
        data = interview_data(participant, **changes)
        for headers in ({}, HTMX):
            response = client_for(lead).post(create_url(study), data, headers=headers)
            assert response.status_code == 422
            assert message in response.text
        assert response.text.lstrip().startswith('<form id="interview-form"')
        assert not Interview.objects.exists()
        assert not events(Action.INTERVIEW_SAVE)

    @pytest.mark.parametrize("persona", ["coder_a", "viewer"])
    def test_coder_and_viewer_get_403(self, client_for, study, participant, personas, persona):
        client = client_for(personas[persona])
        assert client.get(create_url(study)).status_code == 403
        assert client.post(create_url(study), interview_data(participant)).status_code == 403
        assert not Interview.objects.exists()

    def test_outsider_gets_404(self, client_for, study, outsider, participant):
        response = client_for(outsider).post(create_url(study), interview_data(participant))
        assert response.status_code == 404
        assert not Interview.objects.exists()


class TestEditInterview:
    def test_lead_changes_the_details(self, client_for, study, lead, participant):
        interview = make_interview(participant)
        data = interview_data(participant, held_on=days_ago(40).isoformat(), medium="in_person")
        response = client_for(lead).post(edit_url(study, interview), data)
        assert response.status_code == 302
        interview.refresh_from_db()
        assert (interview.held_on, interview.medium) == (days_ago(40), "in_person")
        [event] = events(Action.INTERVIEW_SAVE)
        assert event.details == {
            "pseudonym": "P1",
            "date": days_ago(40).isoformat(),
            "created": False,
        }

    def test_the_form_shows_what_is_stored(self, client_for, study, lead, participant):
        interview = make_interview(participant, medium="telephone")
        text = client_for(lead).get(edit_url(study, interview)).text
        assert f'<option value="{participant.uuid}" selected>P1</option>' in text
        assert '<option value="telephone" selected>' in text
        assert '<option value="True" selected>Yes</option>' in text

    def test_a_withdrawn_participant_keeps_their_interview_editable(
        self, client_for, study, lead, participant
    ):
        interview = make_interview(participant)
        participant.withdrawn_at = timezone.now()
        participant.save()
        response = client_for(lead).post(edit_url(study, interview), interview_data(participant))
        assert response.status_code == 302

    def test_an_interview_whose_audio_was_deleted_is_locked(
        self, client_for, study, lead, custodian, participant
    ):
        interview = deleted(make_interview(participant), custodian)
        before = state(interview)
        client = client_for(lead)
        text = client.get(edit_url(study, interview)).text
        assert "its record can no longer be changed" in text
        assert '<form id="interview-form"' not in text
        data = interview_data(participant, held_on=days_ago(50).isoformat())
        for headers in ({}, HTMX):
            response = client.post(edit_url(study, interview), data, headers=headers)
            assert response.status_code == 422
            assert "its record can no longer be changed" in response.text
        assert response.text.lstrip().startswith('<div id="interview-form"')
        assert state(interview) == before
        assert not events(Action.INTERVIEW_SAVE)

    def test_a_verified_interview_stays_recorded(self, client_for, study, lead, participant):
        interview = verified(make_interview(participant), lead)
        data = interview_data(participant, audio_recorded="False", audio_copies="")
        response = client_for(lead).post(edit_url(study, interview), data, headers=HTMX)
        assert response.status_code == 422
        assert "The transcript was verified against this interview&#x27;s audio" in response.text
        interview.refresh_from_db()
        assert interview.audio_recorded
        assert not events(Action.INTERVIEW_SAVE)

    def test_another_studys_interview_is_not_found(self, client_for, study, lead, custodian):
        elsewhere = make_study(creator=custodian, title="Another study")
        foreign = make_interview(
            Participant.objects.create(
                study=elsewhere,
                source_project=SourceProject.objects.create(study=elsewhere, name="E"),
                pseudonym="P1",
            )
        )
        assert client_for(lead).get(edit_url(study, foreign)).status_code == 404

    def test_coder_gets_403_and_outsider_404(
        self, client_for, study, coder_a, outsider, participant
    ):
        interview = make_interview(participant)
        data = interview_data(participant, held_on=days_ago(50).isoformat())
        assert client_for(coder_a).post(edit_url(study, interview), data).status_code == 403
        assert client_for(outsider).post(edit_url(study, interview), data).status_code == 404
        interview.refresh_from_db()
        assert interview.held_on == days_ago(10)


class TestVerify:
    def test_lead_marks_the_transcript_verified(self, client_for, study, lead, participant):
        interview = make_interview(participant)
        response = client_for(lead).post(verify_url(study, interview))
        assert response.status_code == 302
        interview.refresh_from_db()
        assert interview.verified_by == lead
        assert timezone.now() - interview.verified_at < timedelta(minutes=1)
        [event] = events(Action.AUDIO_VERIFIED)
        assert (event.actor, event.study, event.details["pseudonym"]) == (lead, study, "P1")

    def test_htmx_gets_the_row_back(self, client_for, study, lead, participant):
        interview = make_interview(participant)
        response = client_for(lead).post(verify_url(study, interview), headers=HTMX)
        assert response.status_code == 200
        text = response.text
        assert text.lstrip().startswith(f'<tr id="interview-{interview.uuid}"')
        assert "Transcript verified against audio" in text
        assert verify_url(study, interview) not in text  # nothing left to verify
        assert 'hx-swap-oob="true"' in text and "is verified against its audio." in text
        assert "<html" not in text

    @pytest.mark.parametrize(
        ("setup", "message"),
        [
            ("verified", "already verified against the audio"),
            ("not recorded", "No audio was recorded for this interview"),
            ("deleted", "The audio of this interview was already deleted"),
        ],
    )
    def test_refusals_are_explained_and_nothing_changes(
        self, client_for, study, lead, custodian, participant, setup, message
    ):
        interview = make_interview(participant, recorded=setup != "not recorded")
        if setup == "verified":
            verified(interview, custodian)
        if setup == "deleted":
            deleted(interview, custodian)
        before = state(interview)
        for headers in ({}, HTMX):
            response = client_for(lead).post(verify_url(study, interview), headers=headers)
            assert response.status_code == 422
            assert message in response.text
        assert f'<tr id="interview-{interview.uuid}"' in response.text
        assert state(interview) == before
        assert not events(Action.AUDIO_VERIFIED)

    def test_verify_twice(self, client_for, study, lead, custodian, participant):
        interview = make_interview(participant)
        client_for(lead).post(verify_url(study, interview))
        response = client_for(custodian).post(verify_url(study, interview))
        assert response.status_code == 422
        assert "already verified against the audio" in response.text
        interview.refresh_from_db()
        assert interview.verified_by == lead
        assert len(events(Action.AUDIO_VERIFIED)) == 1

    @pytest.mark.parametrize("persona", ["coder_a", "viewer"])
    def test_coder_and_viewer_get_403(self, client_for, study, personas, persona, participant):
        interview = make_interview(participant)
        assert client_for(personas[persona]).post(verify_url(study, interview)).status_code == 403
        assert state(interview)[2] is None

    def test_outsider_gets_404_and_get_is_not_allowed(
        self, client_for, study, lead, outsider, participant
    ):
        interview = make_interview(participant)
        assert client_for(outsider).post(verify_url(study, interview)).status_code == 404
        assert client_for(lead).get(verify_url(study, interview)).status_code == 405
        assert state(interview)[2] is None


def deletion_data(**changes) -> dict:
    return {
        "deleted_copies": "Teams cloud\nEncrypted laptop",
        "deletion_method": "Deleted from Teams cloud and secure-erased from the laptop",
        **changes,
    }


class TestDeleteAudio:
    def test_the_form_lists_the_copies_kept(self, client_for, study, custodian, participant):
        interview = make_interview(participant)
        text = client_for(custodian).get(delete_url(study, interview)).text
        assert ">\nTeams cloud\nEncrypted laptop</textarea>" in text
        assert "Delete before the transcript was verified" in text
        assert "hx-post" not in text  # a plain form on its own page

    def test_custodian_records_the_deletion_after_verification(
        self, client_for, study, lead, custodian, participant
    ):
        interview = verified(make_interview(participant), lead)
        response = client_for(custodian).post(delete_url(study, interview), deletion_data())
        assert response.status_code == 302
        interview.refresh_from_db()
        assert interview.stage == Interview.Stage.DELETED
        assert interview.audio_deleted_by == custodian
        assert interview.deleted_copies == "Teams cloud\nEncrypted laptop"
        assert interview.deletion_method.startswith("Deleted from Teams cloud")
        [event] = events(Action.AUDIO_DELETED)
        assert (event.actor, event.details["before_verification"]) == (custodian, False)
        assert event.details["method"].startswith("Deleted from Teams cloud")

    def test_before_verification_it_must_be_confirmed(
        self, client_for, study, custodian, participant
    ):
        interview = make_interview(participant)
        client = client_for(custodian)
        response = client.post(delete_url(study, interview), deletion_data())
        assert response.status_code == 422
        assert "has not been verified against this audio yet" in response.text
        assert state(interview)[4] is None
        response = client.post(
            delete_url(study, interview), deletion_data(before_verification="on")
        )
        assert response.status_code == 302
        interview.refresh_from_db()
        assert interview.stage == Interview.Stage.DELETED
        [event] = events(Action.AUDIO_DELETED)
        assert event.details["before_verification"] is True

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"deletion_method": "  "}, "Say how the audio was deleted."),
            ({"deleted_copies": ""}, "This field is required."),
        ],
    )
    def test_bad_input_is_explained_and_nothing_changes(
        self, client_for, study, lead, custodian, participant, changes, message
    ):
        interview = verified(make_interview(participant), lead)
        before = state(interview)
        for headers in ({}, HTMX):
            response = client_for(custodian).post(
                delete_url(study, interview), deletion_data(**changes), headers=headers
            )
            assert response.status_code == 422
            assert message in response.text
        assert response.text.lstrip().startswith(f'<tr id="interview-{interview.uuid}"')
        assert state(interview) == before
        assert not events(Action.AUDIO_DELETED)

    @pytest.mark.parametrize(
        ("setup", "message"),
        [
            ("deleted", "The audio of this interview was already deleted"),
            ("not recorded", "No audio was recorded for this interview"),
        ],
    )
    def test_refusals_are_explained_and_nothing_changes(
        self, client_for, study, custodian, participant, setup, message
    ):
        interview = make_interview(participant, recorded=setup != "not recorded")
        if setup == "deleted":
            deleted(interview, custodian)
        before = state(interview)
        client = client_for(custodian)
        assert message in client.get(delete_url(study, interview)).text
        response = client.post(
            delete_url(study, interview), deletion_data(before_verification="on")
        )
        assert response.status_code == 422
        assert message in response.text
        assert state(interview) == before
        assert not events(Action.AUDIO_DELETED)

    def test_delete_twice(self, client_for, study, custodian, participant):
        interview = make_interview(participant)
        client = client_for(custodian)
        data = deletion_data(before_verification="on")
        assert client.post(delete_url(study, interview), data).status_code == 302
        response = client.post(delete_url(study, interview), data)
        assert response.status_code == 422
        assert "already deleted" in response.text
        assert len(events(Action.AUDIO_DELETED)) == 1

    def test_htmx_opens_the_form_in_the_row_and_swaps_the_row_back(
        self, client_for, study, lead, custodian, participant
    ):
        interview = verified(make_interview(participant), lead)
        client = client_for(custodian)
        form = client.get(delete_url(study, interview), headers=HTMX).text
        assert form.lstrip().startswith(f'<tr id="interview-{interview.uuid}" class="deletion-row"')
        assert f'hx-post="{delete_url(study, interview)}"' in form
        assert "<html" not in form
        response = client.post(delete_url(study, interview), deletion_data(), headers=HTMX)
        assert response.status_code == 200
        assert response.text.lstrip().startswith(f'<tr id="interview-{interview.uuid}">')
        assert "Audio deleted" in response.text
        assert "Recorded that the audio of P1&#x27;s interview" in response.text
        assert 'hx-swap-oob="true"' in response.text

    @pytest.mark.parametrize("persona", ["lead", "coder_a", "viewer"])
    def test_only_a_custodian_may(self, client_for, study, personas, persona, participant):
        interview = make_interview(participant)
        client = client_for(personas[persona])
        assert client.get(delete_url(study, interview)).status_code == 403
        data = deletion_data(before_verification="on")
        assert client.post(delete_url(study, interview), data).status_code == 403
        assert state(interview)[4] is None

    def test_outsider_gets_404(self, client_for, study, outsider, participant):
        interview = make_interview(participant)
        data = deletion_data(before_verification="on")
        assert client_for(outsider).post(delete_url(study, interview), data).status_code == 404
        assert state(interview)[4] is None

    def test_the_service_refuses_a_lead(self, study, lead, participant):
        interview = make_interview(participant)
        with pytest.raises(ValidationError, match="Only a custodian"):
            audio_services.audio_delete(
                actor=Membership.objects.get(user=lead),
                interview=interview,
                deleted_copies="Teams cloud",
                deletion_method="Deleted",
                before_verification=True,
            )
        assert state(interview)[4] is None


@pytest.fixture
def deletion_trail(study, lead, custodian, participant):
    """One interview deleted after verification, one before it, one whose audio still exists."""
    first = deleted(verified(make_interview(participant, held_on=days_ago(100)), lead), custodian)
    second = deleted(make_interview(participant, held_on=days_ago(50)), custodian)
    kept = make_interview(participant, held_on=days_ago(5))
    return first, second, kept


HEADER = [
    "Participant",
    "Source project",
    "Date held",
    "Copies kept",
    "Verified by",
    "Verified at",
    "Deleted by",
    "Deleted at",
    "Copies deleted",
    "How deleted",
]


class TestDeletionRecord:
    @pytest.mark.parametrize("persona", ["custodian", "lead"])
    def test_csv(self, client_for, study, personas, persona, deletion_trail):
        first, second, _kept = deletion_trail
        response = client_for(personas[persona]).get(record_url(study, "csv"))
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith(
            f'attachment; filename="{study.slug}-audio-deletion-record-'
        )
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[0] == HEADER
        assert [row[:5] for row in rows[1:]] == [
            ["P1", "Project A", first.held_on.isoformat(), "Teams cloud; Encrypted laptop", "lead"],
            [
                "P1",
                "Project A",
                second.held_on.isoformat(),
                "Teams cloud; Encrypted laptop",
                "not verified",
            ],
        ]
        assert rows[1][6:] == [
            "custodian",
            timezone.localtime(first.audio_deleted_at).strftime("%Y-%m-%d %H:%M"),
            "Teams cloud",
            "Deleted from Teams",
        ]
        [event] = events(Action.EXPORT)
        assert (event.actor, event.details["what"], event.details["rows"]) == (
            personas[persona],
            "audio-deletion-record",
            2,
        )

    def test_docx(self, client_for, study, lead, deletion_trail):
        response = client_for(lead).get(record_url(study, "docx"))
        assert response.status_code == 200
        document = Document(io.BytesIO(response.content))
        assert document.sections[0].orientation == WD_ORIENT.LANDSCAPE
        [table] = document.tables
        cells = [[cell.text for cell in row.cells] for row in table.rows]
        assert cells[0] == HEADER
        assert len(cells) == 3
        assert cells[1][:2] == ["P1", "Project A"] and cells[1][4] == "lead"
        assert cells[2][4] == "not verified" and cells[2][9] == "Deleted from Teams"
        [event] = events(Action.EXPORT)
        assert event.details["file"].endswith(".docx")

    @pytest.mark.parametrize("persona", ["coder_a", "viewer"])
    def test_coder_and_viewer_get_403(self, client_for, study, personas, persona):
        for extension in ("csv", "docx"):
            response = client_for(personas[persona]).get(record_url(study, extension))
            assert response.status_code == 403
        assert not events(Action.EXPORT)

    def test_outsider_gets_404(self, client_for, study, outsider):
        assert client_for(outsider).get(record_url(study, "csv")).status_code == 404
        assert not events(Action.EXPORT)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_the_browser_verify_and_delete_update_the_row_in_place(page, study, participant):
    interview = make_interview(participant, held_on=days_ago(200))
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("custodian")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(list_url(study))
    row = page.locator(f"#interview-{interview.uuid}")
    expect(row).to_contain_text("overdue")

    row.get_by_role("button", name="Mark verified").click()
    expect(row).to_contain_text("Transcript verified against audio")
    expect(page.locator("#messages")).to_contain_text("is verified against its audio.")

    row.get_by_role("link", name="Record deletion").click()
    expect(row.get_by_label("Copies deleted")).to_have_value("Teams cloud\nEncrypted laptop")
    row.get_by_role("button", name="Record deletion").click()
    expect(row).to_contain_text("Say how the audio was deleted.")
    row.get_by_label("How they were deleted").fill("Deleted from Teams, laptop secure-erased")
    row.get_by_role("button", name="Record deletion").click()
    expect(row).to_contain_text("Audio deleted")
    expect(row).not_to_contain_text("overdue")
    expect(page.locator("#messages")).to_contain_text("Recorded that the audio of P1")
    assert page.url.endswith(list_url(study))  # all in place, no page load
    interview.refresh_from_db()
    assert interview.stage == Interview.Stage.DELETED
