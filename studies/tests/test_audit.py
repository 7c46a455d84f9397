import csv
import io

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from studies.audit import Action, audit
from studies.models import AuditEvent
from studies.tests.factories import make_study

pytestmark = pytest.mark.django_db


def log_url(study, **query):
    from urllib.parse import urlencode

    return reverse("study-audit", args=[study.slug]) + (f"?{urlencode(query)}" if query else "")


def csv_url(study, **query):
    from urllib.parse import urlencode

    return reverse("study-audit-csv", args=[study.slug]) + (f"?{urlencode(query)}" if query else "")


class TestAuditLogPage:
    def test_lead_reads_the_studys_events_only(self, client_for, study, lead, outsider):
        other = make_study(creator=outsider, title="Someone else's study")
        audit(Action.STUDY_UPDATE, actor=outsider, study=other, details={"secret": "elsewhere"})
        response = client_for(lead).get(log_url(study))
        assert response.status_code == 200
        assert "<td>Created the study</td>" in response.text
        assert "elsewhere" not in response.text

    def test_filters_by_action_person_and_dates(self, client_for, study, lead, custodian):
        audit(Action.MEMBER_ADD, actor=lead, study=study, details={"user": "sam"})
        client = client_for(lead)
        by_action = client.get(log_url(study, action="membership.add")).text
        assert "user: sam" in by_action and "<td>Created the study</td>" not in by_action
        by_actor = client.get(log_url(study, actor="custodian")).text
        assert "<td>Created the study</td>" in by_actor and "user: sam" not in by_actor
        assert "No events match." in client.get(log_url(study, since="2999-01-01")).text

    def test_bad_filter_is_explained(self, client_for, study, lead):
        client = client_for(lead)
        text = client.get(log_url(study, since="2025-02-01", until="2025-01-01")).text
        assert "The start date is after the end date." in text
        assert "Select a valid choice." in client.get(log_url(study, action="nope")).text
        response = client.get(csv_url(study, since="yesterday"))
        assert response.status_code == 400
        assert "Enter a valid date." in response.text

    @pytest.mark.parametrize("persona", ["coder_a", "viewer"])
    def test_coder_and_viewer_get_403(self, client_for, study, personas, persona):
        client = client_for(personas[persona])
        assert client.get(log_url(study)).status_code == 403
        assert client.get(csv_url(study)).status_code == 403

    def test_outsider_gets_404(self, client_for, study, outsider):
        assert client_for(outsider).get(log_url(study)).status_code == 404
        assert client_for(outsider).get(csv_url(study)).status_code == 404

    def test_pages_of_fifty_with_a_fixed_query_count(
        self, client_for, study, lead, django_assert_max_num_queries
    ):
        for n in range(120):
            audit(Action.MEMBER_ADD, actor=lead, study=study, details={"user": f"person{n}"})
        client = client_for(lead)
        with django_assert_max_num_queries(9):
            response = client.get(log_url(study))
        assert "Page 1 of 3" in response.text
        assert "person119" in response.text and "person60" not in response.text
        assert "person60" in client.get(log_url(study, page=2)).text


class TestAuditCsv:
    def test_export_has_every_matching_row_and_is_itself_audited(self, client_for, study, lead):
        audit(Action.MEMBER_ADD, actor=lead, study=study, details={"user": "sam"})
        response = client_for(lead).get(csv_url(study))
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith(
            f'attachment; filename="{study.slug}-audit-'
        )
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert rows[0][:3] == ["time (UTC)", "who", "action"]
        assert [row[2] for row in rows[1:]] == ["membership.add", "study.create"]
        assert rows[1][6] == "user=sam"
        export = AuditEvent.objects.get(action=Action.AUDIT_EXPORT)
        assert (export.actor, export.details["rows"]) == (lead, 2)

    def test_formula_cells_are_quoted(self, client_for, study, lead):
        """A spreadsheet would run a cell starting with "=" as a formula."""
        membership = study.memberships.get(user=lead)
        membership.user.username = "=cmd"
        audit(Action.MEMBER_CHANGE, actor=lead, study=study, target=membership)
        rows = list(csv.reader(io.StringIO(client_for(lead).get(csv_url(study)).content.decode())))
        assert rows[1][4] == "'=cmd (Lead author)"


class TestAppendOnly:
    def test_the_application_cannot_change_or_delete_an_event(self, study):
        event = AuditEvent.objects.first()
        event.action = Action.LOGIN
        with pytest.raises(TypeError):
            event.save()
        with pytest.raises(TypeError):
            event.delete()
        with pytest.raises(TypeError):
            AuditEvent.objects.all().delete()
        with pytest.raises(TypeError):
            AuditEvent.objects.update(action=Action.LOGIN)
        assert AuditEvent.objects.get().action == Action.STUDY_CREATE

    def test_on_postgresql_the_database_refuses_too(self, study):
        if connection.vendor != "postgresql":
            pytest.skip("the trigger is PostgreSQL's")
        for statement in (
            "UPDATE studies_auditevent SET action = 'auth.login'",
            "DELETE FROM studies_auditevent",
        ):
            with (
                pytest.raises(DatabaseError, match="append-only"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(statement)
        assert AuditEvent.objects.get().action == Action.STUDY_CREATE
