"""Meetings and the decision log: the service's rules (each bad input refused, nothing stored),
the pages by role, the log's filters, pages and query budget, the CSV download, and the blind
rule for the code labels a decision names."""

import csv
import io
from datetime import date, timedelta
from uuid import UUID

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from coding import notes
from coding.models import (
    CodingRound,
    Decision,
    Meeting,
    Reconciliation,
    RoundCoder,
)
from coding.reconcile import meetings
from coding.reconcile.meetings import meeting_delete, meeting_save
from coding.services import coding_apply
from coding.tests.factories import make_locked_transcript
from studies.models import AuditEvent, Membership
from studies.tests.factories import make_study

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
HELD = date(2026, 3, 3)


def member(study, user):
    return Membership.objects.select_related("study", "user").get(study=study, user=user)


def span(transcript, words):
    start = transcript.versions.get().text.index(words)
    return start, start + len(words)


def coded(study, transcript, user, words, label):
    start, end = span(transcript, words)
    return coding_apply(
        member=member(study, user), transcript=transcript, start=start, end=end, new_label=label
    )[0]


def make_reconciliation(study, transcript, lead, coder_a, coder_b, title="First reconciliation"):
    reconciliation = Reconciliation.objects.create(
        study=study, title=title, coder_a=coder_a, coder_b=coder_b, started_by=lead
    )
    reconciliation.transcripts.add(transcript)
    return reconciliation


def make_decision(reconciliation, transcript, by, *, words="I name it", n=0, **fields):
    start, end = span(transcript, words)
    values = {
        "kind": "boundary",
        "outcome": Decision.Outcome.KEPT_BOTH,
        "rationale": "Both readings hold, each in its own way.",
        **fields,
    }
    return Decision.objects.create(
        reconciliation=reconciliation,
        version=transcript.versions.get(),
        start=start,
        end=end,
        item=f"item-{n}",
        decided_by=by,
        **values,
    )


def open_round(study, transcript, lead, *coders):
    coding_round = CodingRound.objects.create(study=study, title="Round 2", opened_by=lead)
    coding_round.transcripts.add(transcript)
    for coder in coders:
        RoundCoder.objects.create(round=coding_round, coder=coder)
    return coding_round


def events():
    return list(AuditEvent.objects.filter(action=AuditEvent.Action.MEETING).order_by("id"))


@pytest.fixture
def transcript(study):
    return make_locked_transcript(study, "P3")


@pytest.fixture
def codings(study, transcript, coder_a, coder_b):
    a = coded(study, transcript, coder_a, "I name it", "naming the rupture")
    b = coded(study, transcript, coder_b, "Then I name it", "owning the rupture")
    return a, b


@pytest.fixture
def reconciliation(study, transcript, lead, coder_a, coder_b):
    return make_reconciliation(study, transcript, lead, coder_a, coder_b)


@pytest.fixture
def decision(reconciliation, transcript, codings, lead):
    a, b = codings
    return make_decision(
        reconciliation, transcript, lead, codings_a=[str(a.uuid)], codings_b=[str(b.uuid)]
    )


def save(study, user, **fields):
    values = {
        "held_on": HELD,
        "title": "Reconciliation meeting 1",
        "attendees": [fields.pop("_attendee", user)],
        "minutes": "We read P3 together.\nThen we talked about naming.",
    }
    return meeting_save(member=member(study, user), **{**values, **fields})


# The service -----------------------------------------------------------------------------


class TestMeetingSave:
    def test_a_coder_records_a_meeting_and_its_decisions(self, study, coder_a, coder_b, decision):
        meeting = save(study, coder_a, attendees=[coder_a, coder_b], decisions=[decision])
        assert (meeting.study, meeting.held_on, meeting.created_by) == (study, HELD, coder_a)
        assert set(meeting.attendees.all()) == {coder_a, coder_b}
        decision.refresh_from_db()
        assert decision.meeting == meeting
        [event] = events()
        assert (event.actor, event.study) == (coder_a, study)
        assert event.details["change"] == "recorded"
        assert event.details["attendees"] == ["coder_a", "coder_b"]
        assert event.details["decisions"] == [str(decision.uuid)]
        assert "P3 together" not in str(event.details) and "P3 together" not in event.target

    def test_whitespace_is_tidied_and_minutes_may_be_empty(self, study, lead):
        meeting = save(study, lead, title="  Second   meeting ", minutes="   ")
        assert (meeting.title, meeting.minutes) == ("Second meeting", "")

    @pytest.mark.parametrize(
        ("fields", "field", "message"),
        [
            ({"title": "   "}, "title", "A meeting needs a title."),
            ({"title": "x" * 201}, "title", "at most 200 characters"),
            ({"held_on": None}, "held_on", "Give the date the meeting was held."),
            ({"held_on": "tomorrow"}, "held_on", "Give the date the meeting was held."),
            ({"attendees": []}, "attendees", "Choose who came to the meeting."),
            ({"minutes": "x" * 50_001}, "minutes", "at most 50,000 characters"),
        ],
    )
    def test_bad_input_is_refused_naming_the_field(
        self, study, coder_a, decision, fields, field, message
    ):
        with pytest.raises(ValidationError) as refused:
            save(study, coder_a, decisions=[decision], **fields)
        assert field in refused.value.message_dict
        assert any(message in text for text in refused.value.message_dict[field])
        assert not Meeting.objects.exists() and not events()
        decision.refresh_from_db()
        assert decision.meeting is None

    def test_a_date_after_today_is_refused(self, study, coder_a):
        tomorrow = timezone.localdate() + timedelta(days=1)
        with pytest.raises(ValidationError) as refused:
            save(study, coder_a, held_on=tomorrow)
        assert "is after today" in refused.value.message_dict["held_on"][0]
        assert not Meeting.objects.exists()

    def test_attendees_must_be_members(self, study, coder_a, outsider):
        with pytest.raises(ValidationError) as refused:
            save(study, coder_a, attendees=[coder_a, outsider])
        assert refused.value.message_dict == {
            "attendees": ["outsider is not a member of this study."]
        }
        assert not Meeting.objects.exists()

    def test_an_expired_member_is_no_attendee(self, study, coder_a, coder_b):
        Membership.objects.filter(user=coder_b).update(expires_on=date(2020, 1, 1))
        with pytest.raises(ValidationError, match="coder_b is not a member"):
            save(study, coder_a, attendees=[coder_b])

    def test_a_decision_of_another_study_is_refused(self, study, coder_a, decision, outsider, lead):
        other = make_study(creator=outsider, title="Elsewhere")
        foreign_transcript = make_locked_transcript(other, user=outsider)
        foreign = make_reconciliation(other, foreign_transcript, outsider, outsider, lead)
        foreign_decision = make_decision(foreign, foreign_transcript, outsider)
        with pytest.raises(ValidationError) as refused:
            save(study, coder_a, decisions=[decision, foreign_decision])
        assert refused.value.message_dict == {
            "decisions": ["A chosen decision is not one of this study's reconciliations."]
        }
        assert not Meeting.objects.exists()
        assert not Decision.objects.filter(meeting__isnull=False).exists()

    def test_a_decision_taken_in_another_meeting_is_not_moved(self, study, coder_a, decision):
        first = save(study, coder_a, title="First", decisions=[decision])
        with pytest.raises(ValidationError) as refused:
            save(study, coder_a, title="Second", decisions=[decision])
        assert "taken in another meeting, “First (03 Mar 2026)”" in str(
            refused.value.message_dict["decisions"]
        )
        assert list(Meeting.objects.all()) == [first]
        decision.refresh_from_db()
        assert decision.meeting == first

    def test_a_viewer_records_no_meeting(self, study, viewer):
        with pytest.raises(ValidationError, match="a viewer reads"):
            save(study, viewer)
        assert not Meeting.objects.exists() and not events()

    def test_editing_changes_the_record_and_unlinks_dropped_decisions(
        self, study, coder_a, coder_b, lead, reconciliation, transcript, decision
    ):
        other = make_decision(reconciliation, transcript, lead, words="we repair it together", n=1)
        meeting = save(study, coder_a, decisions=[decision, other])
        edited = save(
            study,
            coder_b,
            meeting=meeting,
            title="Renamed",
            attendees=[coder_a, coder_b, lead],
            minutes="New minutes.",
            decisions=[other],
        )
        assert edited.pk == meeting.pk and edited.created_by == coder_a
        meeting.refresh_from_db()
        assert (meeting.title, meeting.minutes) == ("Renamed", "New minutes.")
        assert meeting.attendees.count() == 3
        assert list(meeting.decisions.all()) == [other]
        decision.refresh_from_db()
        assert decision.meeting is None and Decision.objects.count() == 2
        assert [event.details["change"] for event in events()] == ["recorded", "changed"]

    def test_a_refused_edit_changes_nothing(self, study, coder_a, decision):
        meeting = save(study, coder_a, decisions=[decision])
        with pytest.raises(ValidationError):
            save(study, coder_a, meeting=meeting, title="", decisions=[])
        meeting.refresh_from_db()
        assert meeting.title == "Reconciliation meeting 1"
        assert list(meeting.decisions.all()) == [decision]
        assert len(events()) == 1

    def test_an_edit_from_a_stale_form_is_refused(self, study, coder_a, coder_b):
        meeting = save(study, coder_a)
        revision = meetings.meeting_fingerprint(meeting)
        save(study, coder_b, meeting=meeting, minutes="B's minutes.", revision=revision)
        with pytest.raises(meetings.Stale, match="changed by someone else"):
            save(study, coder_a, meeting=meeting, minutes="A's minutes.", revision=revision)
        meeting.refresh_from_db()
        assert meeting.minutes == "B's minutes."

    def test_a_meeting_of_another_study_is_not_changed(self, study, coder_a, outsider):
        other = make_study(creator=outsider, title="Elsewhere")
        foreign = meeting_save(
            member=member(other, outsider),
            held_on=HELD,
            title="Theirs",
            attendees=[outsider],
            minutes="",
        )
        with pytest.raises(ValidationError, match="not one of this study's"):
            save(study, coder_a, meeting=foreign, title="Mine")
        with pytest.raises(ValidationError, match="not one of this study's"):
            meeting_delete(member=member(study, coder_a), meeting=foreign)
        foreign.refresh_from_db()
        assert foreign.title == "Theirs"

    def test_deleting_keeps_the_decisions_unlinked(self, study, coder_a, viewer, decision):
        meeting = save(study, coder_a, decisions=[decision])
        with pytest.raises(ValidationError, match="a viewer reads"):
            meeting_delete(member=member(study, viewer), meeting=meeting)
        assert Meeting.objects.exists()
        meeting_delete(member=member(study, coder_a), meeting=meeting)
        assert not Meeting.objects.exists()
        decision.refresh_from_db()
        assert decision.meeting is None
        deleted = events()[-1]
        assert deleted.details["change"] == "deleted"
        assert deleted.details["decisions"] == [str(decision.uuid)]


class TestDecisionsUnderTheBlindRule:
    """A decision exists only after unblinding; should one come from a round still open, those
    the round blinds do not see it, and a decision's codings show only as the blind rule allows."""

    @pytest.fixture
    def blind_decision(self, study, transcript, lead, coder_a, coder_b, codings):
        coding_round = open_round(study, transcript, lead, coder_a, coder_b)
        reconciliation = make_reconciliation(
            study, transcript, lead, coder_a, coder_b, title="Too early"
        )
        reconciliation.coding_round = coding_round
        reconciliation.save()
        return make_decision(reconciliation, transcript, lead, n=9, rationale="zx-canary")

    def test_hidden_from_those_the_round_blinds(self, study, blind_decision, personas):
        for persona, sees in [
            ("coder_a", False),
            ("coder_b", False),
            ("viewer", False),
            ("lead", True),
            ("custodian", True),
        ]:
            visible = meetings.decisions_visible_to(member(study, personas[persona]))
            assert visible.filter(pk=blind_decision.pk).exists() == sees, persona

    def test_a_blinded_coder_cannot_link_or_read_it(
        self, client_for, study, coder_a, blind_decision
    ):
        with pytest.raises(ValidationError, match="not one of this study's"):
            save(study, coder_a, decisions=[blind_decision])
        client = client_for(coder_a)
        for url in (
            reverse("coding-decisions", args=[study.slug]),
            reverse("coding-decisions-csv", args=[study.slug]),
            reverse("coding-meeting-new", args=[study.slug]),
            reverse("coding-journal-new", args=[study.slug]),
        ):
            assert b"zx-canary" not in client.get(url).content, url

    def test_code_labels_follow_the_blind_rule(
        self, client_for, study, transcript, lead, coder_a, coder_b, decision
    ):
        # A later round on the same transcript blinds A and B to each other's codings again.
        open_round(study, transcript, lead, coder_a, coder_b)
        url = reverse("coding-decisions", args=[study.slug])
        page = client_for(coder_a).get(url).text
        assert "naming the rupture" in page and "owning the rupture" not in page
        rows = read_csv(client_for(coder_a).get(reverse("coding-decisions-csv", args=[study.slug])))
        assert (rows[1][10], rows[1][11]) == ("naming the rupture", "")
        lead_page = client_for(lead).get(url).text
        assert "naming the rupture" in lead_page and "owning the rupture" in lead_page


# The pages -------------------------------------------------------------------------------


def urls(study, meeting):
    return {
        "list": reverse("coding-meetings", args=[study.slug]),
        "new": reverse("coding-meeting-new", args=[study.slug]),
        "page": reverse("coding-meeting", args=[study.slug, meeting.uuid]),
        "edit": reverse("coding-meeting-edit", args=[study.slug, meeting.uuid]),
        "delete": reverse("coding-meeting-delete", args=[study.slug, meeting.uuid]),
        "log": reverse("coding-decisions", args=[study.slug]),
        "csv": reverse("coding-decisions-csv", args=[study.slug]),
    }


def form_data(**fields):
    return {
        "held_on": "2026-03-03",
        "title": "Reconciliation meeting 1",
        "attendees": ["coder_a", "coder_b"],
        "minutes": "Line one.\nLine two.",
        **fields,
    }


class TestMeetingPages:
    @pytest.fixture
    def meeting(self, study, coder_a, coder_b, decision):
        return save(study, coder_a, attendees=[coder_a, coder_b], decisions=[decision])

    def test_an_outsider_finds_nothing(self, client_for, study, meeting, outsider):
        client = client_for(outsider)
        for name, url in urls(study, meeting).items():
            assert client.get(url).status_code in {404, 405}, name
            assert client.post(url, form_data(title="x")).status_code in {404, 405}, name
        assert Meeting.objects.get().title == "Reconciliation meeting 1"
        assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()

    def test_a_viewer_reads_but_changes_nothing(self, client_for, study, meeting, viewer):
        client = client_for(viewer)
        where = urls(study, meeting)
        listing = client.get(where["list"])
        assert listing.status_code == 200 and meeting.title in listing.text
        assert "New meeting" not in listing.text
        page = client.get(where["page"])
        assert page.status_code == 200 and "Edit</a>" not in page.text
        assert client.get(where["log"]).status_code == 200
        assert client.get(where["csv"]).status_code == 200
        assert client.get(where["new"]).status_code == 403
        assert client.get(where["edit"]).status_code == 403
        assert client.post(where["new"], form_data(title="Viewer's")).status_code == 403
        assert client.post(where["edit"], form_data(title="Viewer's")).status_code == 403
        assert client.post(where["delete"]).status_code == 403
        assert list(Meeting.objects.values_list("title", flat=True)) == [meeting.title]

    def test_a_coder_records_a_meeting_through_the_form(self, client_for, study, coder_a, decision):
        client = client_for(coder_a)
        new = reverse("coding-meeting-new", args=[study.slug])
        form = client.get(new).text
        assert 'name="held_on"' in form and "Kept both — boundary, Interview with P3" in form
        response = client.post(new, form_data(decisions=[decision.uuid]))
        meeting = Meeting.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("coding-meeting", args=[study.slug, meeting.uuid])
        assert meeting.created_by == coder_a and meeting.held_on == HELD
        decision.refresh_from_db()
        assert decision.meeting == meeting
        page = client.get(response["Location"]).text
        assert "Line one.<br>Line two." in page and "coder_a, coder_b" in page
        assert "Meeting “Reconciliation meeting 1” saved." in page

    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({"title": ""}, "A meeting needs a title."),
            ({"held_on": ""}, "Give the date the meeting was held."),
            ({"held_on": "3 March"}, "Enter a valid date."),
            ({"held_on": "2999-01-01"}, "is after today"),
            ({"attendees": []}, "Choose who came to the meeting."),
            ({"attendees": ["outsider"]}, "outsider is not a member of this study."),
            ({"decisions": ["not-a-uuid"]}, "is not a valid UUID"),
            ({"decisions": [str(UUID(int=1))]}, "A chosen decision is not one of this study"),
        ],
    )
    def test_bad_input_is_refused_and_nothing_is_stored(
        self, client_for, study, coder_a, outsider, fields, message
    ):
        response = client_for(coder_a).post(
            reverse("coding-meeting-new", args=[study.slug]), form_data(**fields)
        )
        assert response.status_code == 422
        assert message in response.text
        assert not Meeting.objects.exists() and not events()

    def test_the_meeting_page_shows_its_decisions_and_the_journal_on_them(
        self, client_for, study, meeting, decision, transcript, coder_a, coder_b
    ):
        b = member(study, coder_b)
        notes.journal_entry_add(
            member=b, title="Shared on the boundary", text="W", shared=True, decisions=[decision]
        )
        notes.journal_entry_add(
            member=b, title="zx-private on the boundary", text="W", decisions=[decision]
        )
        page = client_for(coder_a).get(reverse("coding-meeting", args=[study.slug, meeting.uuid]))
        text = page.text
        assert f'id="decision-{decision.uuid}"' in text
        for shown in (
            "Kept both",
            "boundary",
            "Interview with P3",
            f"characters {decision.start}–{decision.end}",
            "Both readings hold",
            "naming the rupture",
            "owning the rupture",
            "First reconciliation",
            "Shared on the boundary",
        ):
            assert shown in text, shown
        assert "<q>I name it</q>" in text
        assert "zx-private" not in text
        own = client_for(coder_b).get(reverse("coding-meeting", args=[study.slug, meeting.uuid]))
        assert "zx-private on the boundary" in own.text

    def test_editing_through_the_form(self, client_for, study, meeting, decision, lead):
        client = client_for(lead)
        edit = reverse("coding-meeting-edit", args=[study.slug, meeting.uuid])
        form = client.get(edit).text
        assert "We read P3 together." in form and f'value="{decision.uuid}"' in form
        assert 'type="date" name="held_on" value="2026-03-03"' in form
        revision = meetings.meeting_fingerprint(meeting)
        response = client.post(
            edit, form_data(title="Renamed", attendees=["lead"], revision=revision)
        )
        assert response.status_code == 302
        meeting.refresh_from_db()
        assert meeting.title == "Renamed" and [u.username for u in meeting.attendees.all()] == [
            "lead"
        ]
        decision.refresh_from_db()
        assert decision.meeting is None  # not ticked in the form: unlinked

    def test_a_stale_edit_gets_409_and_the_meeting_as_it_is(
        self, client_for, study, meeting, coder_a, coder_b
    ):
        revision = meetings.meeting_fingerprint(meeting)
        save(study, coder_b, meeting=meeting, minutes="B wrote this meanwhile.")
        response = client_for(coder_a).post(
            reverse("coding-meeting-edit", args=[study.slug, meeting.uuid]),
            form_data(minutes="A's lost words.", revision=revision),
        )
        assert response.status_code == 409
        assert "changed by someone else" in response.text
        assert (
            "B wrote this meanwhile." in response.text and "A&#x27;s lost words." in response.text
        )
        meeting.refresh_from_db()
        assert meeting.minutes == "B wrote this meanwhile."

    def test_deleting_returns_to_the_list(self, client_for, study, meeting, decision, coder_b):
        client = client_for(coder_b)
        response = client.post(reverse("coding-meeting-delete", args=[study.slug, meeting.uuid]))
        assert response.status_code == 302
        assert response["Location"] == reverse("coding-meetings", args=[study.slug])
        assert not Meeting.objects.exists()
        decision.refresh_from_db()
        assert decision.meeting is None
        assert "stay in the decision log" in client.get(response["Location"]).text

    def test_htmx_deletes_after_a_confirmation_and_goes_to_the_list(
        self, client_for, study, meeting, coder_a
    ):
        client = client_for(coder_a)
        page = client.get(reverse("coding-meeting", args=[study.slug, meeting.uuid])).text
        assert 'hx-confirm="Delete the record of “Reconciliation meeting 1”?' in page
        response = client.post(
            reverse("coding-meeting-delete", args=[study.slug, meeting.uuid]), headers=HTMX
        )
        assert response.status_code == 200
        assert response["HX-Redirect"] == reverse("coding-meetings", args=[study.slug])
        assert not Meeting.objects.exists()

    def test_a_meeting_of_another_study_is_not_found(self, client_for, study, coder_a, outsider):
        other = make_study(creator=outsider, title="Elsewhere")
        foreign = meeting_save(
            member=member(other, outsider), held_on=HELD, title="Theirs", attendees=[outsider],
            minutes="",
        )  # fmt: skip
        client = client_for(coder_a)
        for name in ("coding-meeting", "coding-meeting-edit"):
            assert client.get(reverse(name, args=[study.slug, foreign.uuid])).status_code == 404
        delete = reverse("coding-meeting-delete", args=[study.slug, foreign.uuid])
        assert client.post(delete).status_code == 404
        assert Meeting.objects.filter(pk=foreign.pk).exists()

    def test_the_list_is_newest_first_and_pins_its_queries(
        self, client_for, study, coder_a, coder_b, lead, reconciliation, transcript,
        django_assert_num_queries,
    ):  # fmt: skip
        client = client_for(coder_a)
        client.get(reverse("study-list"))
        url = reverse("coding-meetings", args=[study.slug])

        def add(n):
            decisions = [
                make_decision(reconciliation, transcript, lead, n=100 + n * 3 + k)
                for k in range(n % 3)
            ]
            save(
                study,
                coder_a,
                held_on=HELD + timedelta(days=n - 30),
                title=f"Meeting {n:02}",
                attendees=[coder_a, coder_b],
                decisions=decisions,
            )

        add(0)
        with django_assert_num_queries(6):
            client.get(url)
        for n in range(1, 12):
            add(n)
        with django_assert_num_queries(6):
            page = client.get(url).text
        assert page.index("Meeting 11") < page.index("Meeting 10") < page.index("Meeting 00")
        assert "2 decisions" in page and "1 decision<" in page and "coder_a, coder_b" in page


# The decision log ------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


class TestDecisionLog:
    @pytest.fixture
    def log(self, study, transcript, lead, coder_a, coder_b, reconciliation, codings):
        """Two reconciliations; decisions of each outcome; one meeting holding two of them."""
        other = make_reconciliation(study, transcript, lead, coder_a, coder_b, title="Second look")
        made = [
            make_decision(reconciliation, transcript, lead, n=0, outcome="agreed"),
            make_decision(reconciliation, transcript, lead, n=1, outcome="kept_both"),
            make_decision(reconciliation, transcript, lead, n=2, outcome="deferred"),
            make_decision(other, transcript, lead, n=3, outcome="unresolved"),
        ]
        meeting = save(study, coder_a, decisions=made[:2])
        return {"decisions": made, "meeting": meeting, "other": other}

    def rows(self, response) -> int:
        return response.text.count('<tr id="decision-')

    def test_every_decision_newest_first(self, client_for, study, log, viewer):
        response = client_for(viewer).get(reverse("coding-decisions", args=[study.slug]))
        assert response.status_code == 200 and self.rows(response) == 4
        ids = [f'id="decision-{d.uuid}"' for d in log["decisions"]]
        assert response.text.index(ids[3]) < response.text.index(ids[0])
        assert "Reconciliation meeting 1" in response.text

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            (lambda log: {"outcome": "deferred"}, [2]),
            (lambda log: {"reconciliation": log["other"].uuid}, [3]),
            (lambda log: {"meeting": log["meeting"].uuid}, [0, 1]),
            (lambda log: {"meeting": "none"}, [2, 3]),
            (lambda log: {"meeting": log["meeting"].uuid, "outcome": "agreed"}, [0]),
        ],
    )
    def test_filters(self, client_for, study, log, coder_b, query, expected):
        response = client_for(coder_b).get(
            reverse("coding-decisions", args=[study.slug]), query(log)
        )
        assert response.status_code == 200
        shown = {n for n, d in enumerate(log["decisions"]) if f"decision-{d.uuid}" in response.text}
        assert shown == set(expected)
        rows = read_csv(
            client_for(coder_b).get(reverse("coding-decisions-csv", args=[study.slug]), query(log))
        )
        assert len(rows) == 1 + len(expected)

    @pytest.mark.parametrize(
        "query",
        [
            {"outcome": "maybe"},
            {"reconciliation": "x"},
            {"meeting": "00000000-0000-0000-0000-000000000001"},
        ],
    )
    def test_a_bad_filter_is_refused(self, client_for, study, log, coder_a, query):
        client = client_for(coder_a)
        response = client.get(reverse("coding-decisions", args=[study.slug]), query)
        assert response.status_code == 400 and self.rows(response) == 0
        assert 'class="error"' in response.text
        refused = client.get(reverse("coding-decisions-csv", args=[study.slug]), query)
        assert refused.status_code == 400
        assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()

    def test_htmx_gets_the_log_alone(self, client_for, study, log, coder_a):
        response = client_for(coder_a).get(
            reverse("coding-decisions", args=[study.slug]), {"outcome": "agreed"}, headers=HTMX
        )
        assert response.status_code == 200
        assert response.text.lstrip().startswith('<div id="decision-log">')
        assert self.rows(response) == 1 and "<html" not in response.text
        assert "HX-Request" in response["Vary"]

    def test_paginated_by_fifty_with_a_constant_query_count(
        self, client_for, study, transcript, lead, coder_a, reconciliation, codings,
        django_assert_num_queries,
    ):  # fmt: skip
        a, b = codings
        meeting = save(study, coder_a)

        def add(first, count):
            for n in range(first, first + count):
                decision = make_decision(
                    reconciliation,
                    transcript,
                    lead,
                    n=n,
                    codings_a=[str(a.uuid)],
                    codings_b=[str(b.uuid), "not-a-uuid"],
                )
                Decision.objects.filter(pk=decision.pk).update(meeting=meeting)

        client = client_for(coder_a)
        client.get(reverse("study-list"))
        url = reverse("coding-decisions", args=[study.slug])
        add(0, 2)
        with django_assert_num_queries(9):
            assert self.rows(client.get(url)) == 2
        add(2, 53)
        with django_assert_num_queries(9):
            first = client.get(url)
        assert self.rows(first) == 50 and "Page 1 of 2" in first.text
        assert first.text.count("owning the rupture") == 50
        second = client.get(url, {"page": 2})
        assert self.rows(second) == 5


class TestDecisionCsv:
    def test_header_and_a_row(self, client_for, study, transcript, coder_a, decision):
        save(study, coder_a, decisions=[decision])
        response = client_for(coder_a).get(reverse("coding-decisions-csv", args=[study.slug]))
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"].startswith(
            f'attachment; filename="{study.slug}-decisions-'
        )
        header, row = read_csv(response)
        assert header == [
            "reconciliation",
            "coder A",
            "coder B",
            "transcript",
            "participant pseudonym",
            "version",
            "kind",
            "start",
            "end",
            "passage text",
            "codes A",
            "codes B",
            "outcome",
            "rationale",
            "meeting",
            "decided by",
            "decided at",
        ]
        assert row[:13] == [
            "First reconciliation",
            "coder_a",
            "coder_b",
            "Interview with P3",
            "P3",
            "1",
            "boundary",
            str(decision.start),
            str(decision.end),
            "I name it",
            "naming the rupture",
            "owning the rupture",
            "Kept both",
        ]
        assert row[13:16] == [
            decision.rationale,
            "2026-03-03 Reconciliation meeting 1",
            "lead",
        ]
        assert row[16].startswith(timezone.localdate().isoformat())
        export = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
        assert export.actor == coder_a and export.details["what"] == "decisions"
        assert export.details["rows"] == 1

    def test_cells_are_formula_safe(self, client_for, study, transcript, lead, reconciliation):
        make_decision(
            reconciliation, transcript, lead, rationale='=HYPERLINK("http://evil.example","x")'
        )
        Reconciliation.objects.update(title="+SUM(A1:A2)")
        _header, row = read_csv(
            client_for(lead).get(reverse("coding-decisions-csv", args=[study.slug]))
        )
        assert row[13] == '\'=HYPERLINK("http://evil.example","x")'
        assert row[0] == "'+SUM(A1:A2)"

    def test_a_deleted_coding_leaves_its_cell_blank(
        self, client_for, study, coder_a, codings, decision
    ):
        codings[1].delete()
        _header, row = read_csv(
            client_for(coder_a).get(reverse("coding-decisions-csv", args=[study.slug]))
        )
        assert (row[10], row[11]) == ("naming the rupture", "")
        assert row[14] == ""  # taken in no meeting
