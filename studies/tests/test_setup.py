"""The study's details, its set-up page (inclusion criteria, analysis mode) and its source
projects."""

import pytest
from django.urls import reverse

from studies.models import (
    AnalysisModeChange,
    AuditEvent,
    InclusionCriterion,
    Participant,
    ScreeningRecord,
    SourceProject,
    Study,
)
from studies.services import guides as guide_services
from studies.services import setup as setup_services
from studies.services import sources as source_services
from studies.tests.factories import make_study

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
Action = AuditEvent.Action


def url(name, study, *args):
    return reverse(name, args=[study.slug, *args])


def criteria_of(study):
    return list(
        InclusionCriterion.objects.filter(study=study)
        .order_by("position")
        .values_list("position", "text")
    )


def criterion_uuid(study, position):
    """The UUID a criterion's URLs name."""
    return InclusionCriterion.objects.get(study=study, position=position).uuid


def add_criteria(study, lead, *texts):
    for text in texts:
        setup_services.criterion_add(study=study, text=text, actor=lead)


def events(action):
    return AuditEvent.objects.filter(action=action)


class TestStudyDetails:
    data = {
        "title": "Endings in brief therapy",
        "research_question": "How do therapists prepare clients for an ending?",
        "epistemological_stance": "Contextualist",
        "ethics_reference": "REC-22/104",
        "ethics_approved_on": "2025-01-15",
        "ethics_committee": "University Research Ethics Committee",
        "withdrawal_policy": "retain",
        "audio_retention_days": "30",
    }

    def test_lead_saves_ethics_and_data_handling_and_it_is_audited(self, client_for, study, lead):
        response = client_for(lead).post(url("study-settings", study), self.data)
        assert response.status_code == 302
        study.refresh_from_db()
        assert (study.ethics_committee, study.withdrawal_policy, study.audio_retention_days) == (
            "University Research Ethics Committee",
            Study.WithdrawalPolicy.RETAIN,
            30,
        )
        details = events(Action.STUDY_UPDATE).get().details
        assert details["audio_retention_days"] == {"from": 90, "to": 30}
        assert details["withdrawal_policy"] == {"from": "either", "to": "retain"}
        assert details["ethics_approved_on"] == {"from": None, "to": "2025-01-15"}

    def test_the_page_offers_every_field_and_links_the_set_up(self, client_for, study, lead):
        text = client_for(lead).get(url("study-settings", study)).text
        for name in ["ethics_committee", "withdrawal_policy", "audio_retention_days"]:
            assert f'name="{name}"' in text
        assert 'name="analysis_mode"' not in text
        assert url("study-setup", study) in text

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"audio_retention_days": "0"}, "Keep audio for at least 1 day."),
            ({"audio_retention_days": "3651"}, "at most 3650 days"),
            ({"audio_retention_days": ""}, "This field is required."),
            ({"ethics_approved_on": "2999-01-01"}, "The approval date cannot be in the future."),
            ({"withdrawal_policy": "shred"}, "Select a valid choice."),
        ],
    )
    def test_bad_input_is_explained_and_nothing_changes(
        self, client_for, study, lead, change, message
    ):
        response = client_for(lead).post(url("study-settings", study), {**self.data, **change})
        assert response.status_code == 422
        assert message in response.text
        study.refresh_from_db()
        assert (study.title, study.audio_retention_days) == ("A study of the working alliance", 90)
        assert not events(Action.STUDY_UPDATE).exists()

    def test_a_submission_without_the_withdrawal_policy_is_refused(self, client_for, study, lead):
        data = {k: v for k, v in self.data.items() if k != "withdrawal_policy"}
        response = client_for(lead).post(url("study-settings", study), data)
        assert response.status_code == 422
        assert "This field is required." in response.text
        study.refresh_from_db()
        assert study.title == "A study of the working alliance"

    @pytest.mark.parametrize("persona", ["coder_a", "viewer"])
    def test_coder_and_viewer_get_403(self, client_for, study, personas, persona):
        response = client_for(personas[persona]).post(url("study-settings", study), self.data)
        assert response.status_code == 403
        study.refresh_from_db()
        assert study.audio_retention_days == 90


class TestSetupPage:
    def test_lead_sees_criteria_mode_history_and_links(self, client_for, study, lead):
        add_criteria(study, lead, "Qualified psychotherapist", "At least two years in practice")
        setup_services.study_mode_change(
            study=study,
            to_mode="codebook",
            justification="A second coder joined and we agreed a codebook.",
            actor=lead,
        )
        response = client_for(lead).get(url("study-setup", study))
        assert response.status_code == 200
        text = response.text
        assert text.index("Qualified psychotherapist") < text.index("At least two years")
        assert "A second coder joined and we agreed a codebook." in text
        assert "Reflexive thematic analysis</td>" in text
        for name in ["study-source-projects", "study-protocols", "study-settings"]:
            assert url(name, study) in text

    @pytest.mark.parametrize("persona", ["coder_a", "viewer"])
    def test_coder_and_viewer_get_403(self, client_for, study, personas, persona):
        assert client_for(personas[persona]).get(url("study-setup", study)).status_code == 403

    def test_outsider_gets_404(self, client_for, study, outsider):
        assert client_for(outsider).get(url("study-setup", study)).status_code == 404

    def test_query_count_does_not_grow_with_criteria_or_changes(
        self, client_for, study, lead, django_assert_max_num_queries
    ):
        add_criteria(study, lead, *[f"Criterion {n}" for n in range(12)])
        for n, mode in enumerate(["codebook", "reflexive", "coding_reliability"]):
            setup_services.study_mode_change(
                study=study,
                to_mode=mode,
                justification=f"Reason number {n} for a new mode.",
                actor=lead,
            )
        client = client_for(lead)
        client.get(url("study-home", study))  # the session's last-seen stamp: once a minute
        with django_assert_max_num_queries(6):
            response = client.get(url("study-setup", study))
        assert "Criterion 11" in response.text
        assert "Reason number 2" in response.text


class TestCriteria:
    def test_lead_adds_a_criterion_and_it_is_audited(self, client_for, study, lead):
        add_criteria(study, lead, "Qualified psychotherapist")
        response = client_for(lead).post(
            url("study-criterion-add", study), {"text": "  Seeing adult clients  "}
        )
        assert response.status_code == 302
        assert response["Location"] == url("study-setup", study)
        assert criteria_of(study) == [(1, "Qualified psychotherapist"), (2, "Seeing adult clients")]
        event = events(Action.CRITERIA_UPDATE).first()
        assert (event.actor, event.study) == (lead, study)
        assert event.details == {"change": "added", "position": 2, "text": "Seeing adult clients"}

    def test_htmx_gets_the_criteria_region_with_the_message(self, client_for, study, lead):
        response = client_for(lead).post(
            url("study-criterion-add", study), {"text": "Seeing adult clients"}, headers=HTMX
        )
        assert response.status_code == 200
        assert response.text.lstrip().startswith('<section id="criteria"')
        assert "Seeing adult clients" in response.text
        assert 'hx-swap-oob="true"' in response.text
        assert "Criterion 1 added." in response.text
        assert "<html" not in response.text
        assert 'id="analysis-mode"' not in response.text

    def test_an_empty_criterion_is_refused(self, client_for, study, lead):
        for headers in ({}, HTMX):
            response = client_for(lead).post(
                url("study-criterion-add", study), {"text": "  "}, headers=headers
            )
            assert response.status_code == 422
            assert "This field is required." in response.text
        assert criteria_of(study) == []
        assert not events(Action.CRITERIA_UPDATE).exists()

    def test_lead_edits_a_criterion(self, client_for, study, lead):
        add_criteria(study, lead, "Qualified", "Practising")
        response = client_for(lead).post(
            url("study-criterion-edit", study, criterion_uuid(study, 2)),
            {"text": "Practising for two years or more"},
            headers=HTMX,
        )
        assert response.status_code == 200
        assert "Practising for two years or more" in response.text
        assert criteria_of(study) == [(1, "Qualified"), (2, "Practising for two years or more")]
        assert events(Action.CRITERIA_UPDATE).first().details == {
            "change": "edited",
            "position": 2,
            "from": "Practising",
            "to": "Practising for two years or more",
        }

    def test_the_page_names_each_criterion_by_its_uuid(self, client_for, study, lead):
        add_criteria(study, lead, "Qualified", "Practising")
        text = client_for(lead).get(url("study-setup", study)).text
        for position in (1, 2):
            uuid = criterion_uuid(study, position)
            assert f'id="criterion-{uuid}"' in text
            assert url("study-criterion-edit", study, uuid) in text
        assert 'name="expected"' not in text

    def test_an_edit_of_a_criterion_that_is_gone_or_elsewhere_gets_404(
        self, client_for, study, lead
    ):
        add_criteria(study, lead, "Qualified", "Practising")
        gone = criterion_uuid(study, 2)
        setup_services.criterion_remove(
            criterion=InclusionCriterion.objects.get(uuid=gone), actor=lead
        )
        other = make_study(creator=lead, title="Another study")
        add_criteria(other, lead, "Elsewhere")
        before = events(Action.CRITERIA_UPDATE).count()
        client = client_for(lead)
        for uuid in (gone, criterion_uuid(other, 1)):
            for name, data in [
                ("study-criterion-edit", {"text": "Changed"}),
                ("study-criterion-move", {"direction": "up"}),
                ("study-criterion-remove", {}),
            ]:
                response = client.post(url(name, study, uuid), data)
                assert response.status_code == 404
        assert criteria_of(study) == [(1, "Qualified")]
        assert criteria_of(other) == [(1, "Elsewhere")]
        assert events(Action.CRITERIA_UPDATE).count() == before

    @pytest.mark.parametrize(
        ("position", "direction", "after"),
        [
            (2, "up", ["B", "A", "C"]),
            (2, "down", ["A", "C", "B"]),
            (1, "down", ["B", "A", "C"]),
            (3, "up", ["A", "C", "B"]),
        ],
    )
    def test_lead_moves_a_criterion(self, client_for, study, lead, position, direction, after):
        add_criteria(study, lead, "A", "B", "C")
        expected = "ABC"[position - 1]
        response = client_for(lead).post(
            url("study-criterion-move", study, criterion_uuid(study, position)),
            {"direction": direction},
        )
        assert response.status_code == 302
        assert criteria_of(study) == list(enumerate(after, start=1))
        details = events(Action.CRITERIA_UPDATE).first().details
        assert details["change"] == f"moved {direction}"
        assert details["text"] == expected

    def test_moving_past_the_end_changes_nothing(self, client_for, study, lead):
        add_criteria(study, lead, "A", "B")
        before = events(Action.CRITERIA_UPDATE).count()
        client = client_for(lead)
        client.post(
            url("study-criterion-move", study, criterion_uuid(study, 1)), {"direction": "up"}
        )
        client.post(
            url("study-criterion-move", study, criterion_uuid(study, 2)), {"direction": "down"}
        )
        assert criteria_of(study) == [(1, "A"), (2, "B")]
        assert events(Action.CRITERIA_UPDATE).count() == before

    def test_lead_removes_a_criterion_and_the_rest_close_up(self, client_for, study, lead):
        add_criteria(study, lead, "A", "B", "C")
        response = client_for(lead).post(
            url("study-criterion-remove", study, criterion_uuid(study, 1)), headers=HTMX
        )
        assert response.status_code == 200
        assert criteria_of(study) == [(1, "B"), (2, "C")]
        assert "Criterion “A” removed." in response.text
        assert events(Action.CRITERIA_UPDATE).first().details == {
            "change": "removed",
            "position": 1,
            "text": "A",
        }

    def test_a_criterion_used_in_screening_cannot_be_removed(
        self, client_for, study, lead, custodian
    ):
        add_criteria(study, lead, "Qualified", "Practising")
        project = source_services.source_project_save(
            study=study,
            project=None,
            name="Alliance 2019",
            ethics_reference="",
            protocol=None,
            consent_covers_secondary_analysis=True,
            actor=lead,
        )
        participant = Participant.objects.create(
            study=study, source_project=project, pseudonym="P1"
        )
        ScreeningRecord.objects.create(
            participant=participant,
            criterion=InclusionCriterion.objects.get(study=study, position=1),
            met=True,
            assessed_by=custodian,
        )
        before = events(Action.CRITERIA_UPDATE).count()
        for headers in ({}, HTMX):
            response = client_for(lead).post(
                url("study-criterion-remove", study, criterion_uuid(study, 1)), headers=headers
            )
            assert response.status_code == 422
            assert (
                "“Qualified” cannot be removed: 1 screening record refers to it." in response.text
            )
        assert criteria_of(study) == [(1, "Qualified"), (2, "Practising")]
        assert events(Action.CRITERIA_UPDATE).count() == before

    @pytest.mark.parametrize("persona", ["coder_a", "viewer"])
    def test_coder_and_viewer_get_403(self, client_for, study, lead, personas, persona):
        add_criteria(study, lead, "A")
        client = client_for(personas[persona])
        assert client.post(url("study-criterion-add", study), {"text": "B"}).status_code == 403
        assert (
            client.post(
                url("study-criterion-remove", study, criterion_uuid(study, 1)), headers=HTMX
            ).status_code
            == 403
        )
        assert criteria_of(study) == [(1, "A")]

    def test_outsider_gets_404(self, client_for, study, lead, outsider):
        add_criteria(study, lead, "A")
        client = client_for(outsider)
        assert client.post(url("study-criterion-add", study), {"text": "B"}).status_code == 404
        assert (
            client.post(
                url("study-criterion-edit", study, criterion_uuid(study, 1)), {"text": "X"}
            ).status_code
            == 404
        )
        assert criteria_of(study) == [(1, "A")]


class TestModeChange:
    data = {
        "to_mode": "codebook",
        "justification": "Two coders now share a codebook agreed in week six.",
    }

    def test_lead_changes_the_mode_with_a_justification(self, client_for, study, lead):
        response = client_for(lead).post(url("study-mode-change", study), self.data)
        assert response.status_code == 302
        study.refresh_from_db()
        assert study.analysis_mode == Study.AnalysisMode.CODEBOOK
        change = AnalysisModeChange.objects.get(study=study)
        assert (change.from_mode, change.to_mode, change.changed_by) == (
            "reflexive",
            "codebook",
            lead,
        )
        event = events(Action.MODE_CHANGE).get()
        assert (event.actor, event.details) == (
            lead,
            {"from": "reflexive", "to": "codebook", "justification": self.data["justification"]},
        )

    def test_htmx_gets_the_mode_region_with_the_history(self, client_for, study, lead):
        response = client_for(lead).post(url("study-mode-change", study), self.data, headers=HTMX)
        assert response.status_code == 200
        assert response.text.lstrip().startswith('<section id="analysis-mode"')
        assert "Two coders now share a codebook" in response.text
        assert "The study now uses codebook thematic analysis." in response.text
        assert 'id="criteria"' not in response.text

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"justification": "Because."}, "Give a justification of at least 20 characters"),
            ({"justification": ""}, "This field is required."),
            ({"to_mode": "reflexive"}, "The study already uses reflexive thematic analysis"),
            ({"to_mode": "vibes"}, "Select a valid choice."),
            ({"to_mode": ""}, "This field is required."),
        ],
    )
    def test_bad_input_is_explained_and_nothing_changes(
        self, client_for, study, lead, change, message
    ):
        for headers in ({}, HTMX):
            response = client_for(lead).post(
                url("study-mode-change", study), {**self.data, **change}, headers=headers
            )
            assert response.status_code == 422
            assert message in response.text
        study.refresh_from_db()
        assert study.analysis_mode == Study.AnalysisMode.REFLEXIVE
        assert not AnalysisModeChange.objects.exists()
        assert not events(Action.MODE_CHANGE).exists()

    def test_the_service_refuses_a_change_to_the_same_mode(self, study, lead):
        with pytest.raises(Exception, match="already uses"):
            setup_services.study_mode_change(
                study=study, to_mode="reflexive", justification="x" * 30, actor=lead
            )
        assert not AnalysisModeChange.objects.exists()

    @pytest.mark.parametrize("persona", ["coder_a", "viewer"])
    def test_coder_and_viewer_get_403(self, client_for, study, personas, persona):
        assert (
            client_for(personas[persona])
            .post(url("study-mode-change", study), self.data)
            .status_code
            == 403
        )
        assert not AnalysisModeChange.objects.exists()

    def test_outsider_gets_404(self, client_for, study, outsider):
        assert (
            client_for(outsider).post(url("study-mode-change", study), self.data).status_code == 404
        )
        assert not AnalysisModeChange.objects.exists()


def make_guide(study, lead, version="v1"):
    return guide_services.protocol_create(study=study, version=version, actor=lead)


class TestSourceProjects:
    def data(self, guide=None, **change):
        return {
            "name": "Alliance 2019",
            "ethics_reference": "REC-19/22",
            "protocol": str(guide.uuid) if guide else "",
            "consent_covers_secondary_analysis": "on",
            **change,
        }

    def test_lead_creates_a_source_project_and_it_is_audited(self, client_for, study, lead):
        guide = make_guide(study, lead)
        response = client_for(lead).post(url("study-source-project-new", study), self.data(guide))
        assert response.status_code == 302
        assert response["Location"] == url("study-source-projects", study)
        project = SourceProject.objects.get(study=study)
        assert (
            project.name,
            project.ethics_reference,
            project.protocol,
            project.consent_covers_secondary_analysis,
        ) == (
            "Alliance 2019",
            "REC-19/22",
            guide,
            True,
        )
        assert events(Action.SOURCE_PROJECT_SAVE).get().details == {
            "created": True,
            "name": "Alliance 2019",
            "ethics_reference": "REC-19/22",
            "protocol": "v1",
            "consent_covers_secondary_analysis": True,
        }

    def test_lead_edits_one_by_its_uuid(self, client_for, study, lead):
        client = client_for(lead)
        client.post(url("study-source-project-new", study), self.data())
        project = SourceProject.objects.get()
        guide = make_guide(study, lead)
        edit = url("study-source-project-edit", study, project.uuid)
        assert 'value="Alliance 2019"' in client.get(edit).text
        response = client.post(edit, self.data(guide, consent_covers_secondary_analysis=""))
        assert response.status_code == 302
        project.refresh_from_db()
        assert (project.protocol, project.consent_covers_secondary_analysis) == (guide, False)
        assert events(Action.SOURCE_PROJECT_SAVE).first().details == {
            "created": False,
            "name": "Alliance 2019",
            "changes": {
                "protocol": {"from": None, "to": "v1"},
                "consent_covers_secondary_analysis": {"from": True, "to": False},
            },
        }

    def test_saving_without_a_change_writes_no_audit_event(self, client_for, study, lead):
        client = client_for(lead)
        client.post(url("study-source-project-new", study), self.data())
        project = SourceProject.objects.get()
        client.post(url("study-source-project-edit", study, project.uuid), self.data())
        assert events(Action.SOURCE_PROJECT_SAVE).count() == 1

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"name": "alliance 2019"}, "This study already has a source project named"),
            ({"name": ""}, "This field is required."),
            (
                {"protocol": "not-a-uuid"},
                "Choose one of this study&#x27;s interview guide versions.",
            ),
            (
                {"protocol": "00000000-0000-0000-0000-000000000001"},
                "Choose one of this study&#x27;s interview guide versions.",
            ),
        ],
    )
    def test_bad_input_is_explained_and_nothing_changes(
        self, client_for, study, lead, change, message
    ):
        client = client_for(lead)
        client.post(url("study-source-project-new", study), self.data())
        before = list(SourceProject.objects.values_list("name", "protocol"))
        response = client.post(url("study-source-project-new", study), self.data(**change))
        assert response.status_code == 422
        assert message in response.text
        assert list(SourceProject.objects.values_list("name", "protocol")) == before
        assert events(Action.SOURCE_PROJECT_SAVE).count() == 1

    def test_a_guide_of_another_study_is_refused(self, client_for, study, lead, outsider):
        other = make_study(creator=outsider, title="Another study")
        foreign = make_guide(other, outsider)
        response = client_for(lead).post(url("study-source-project-new", study), self.data(foreign))
        assert response.status_code == 422
        assert "Choose one of this study&#x27;s interview guide versions." in response.text
        assert not SourceProject.objects.exists()
        with pytest.raises(Exception, match="this study's interview guide"):
            source_services.source_project_save(
                study=study,
                project=None,
                name="Sneaky",
                ethics_reference="",
                protocol=foreign,
                consent_covers_secondary_analysis=False,
                actor=lead,
            )
        assert not SourceProject.objects.exists()

    def test_every_member_reads_the_list_but_only_a_lead_edits(
        self, client_for, study, lead, viewer
    ):
        client_for(lead).post(url("study-source-project-new", study), self.data())
        project = SourceProject.objects.get()
        text = client_for(viewer).get(url("study-source-projects", study)).text
        assert "Alliance 2019" in text
        assert url("study-source-project-edit", study, project.uuid) not in text
        lead_text = client_for(lead).get(url("study-source-projects", study)).text
        assert url("study-source-project-edit", study, project.uuid) in lead_text

    @pytest.mark.parametrize("persona", ["coder_a", "viewer"])
    def test_coder_and_viewer_get_403(self, client_for, study, lead, personas, persona):
        client_for(lead).post(url("study-source-project-new", study), self.data())
        project = SourceProject.objects.get()
        client = client_for(personas[persona])
        assert client.get(url("study-source-project-new", study)).status_code == 403
        new = client.post(url("study-source-project-new", study), self.data(name="Other"))
        assert new.status_code == 403
        edit = url("study-source-project-edit", study, project.uuid)
        assert client.post(edit, self.data(name="Renamed")).status_code == 403
        assert list(SourceProject.objects.values_list("name", flat=True)) == ["Alliance 2019"]

    def test_outsider_gets_404(self, client_for, study, lead, outsider):
        client_for(lead).post(url("study-source-project-new", study), self.data())
        project = SourceProject.objects.get()
        client = client_for(outsider)
        assert client.get(url("study-source-projects", study)).status_code == 404
        edit = url("study-source-project-edit", study, project.uuid)
        assert client.post(edit, self.data(name="Renamed")).status_code == 404
        assert SourceProject.objects.get().name == "Alliance 2019"

    def test_a_project_of_another_study_is_404(self, client_for, study, lead, outsider):
        other = make_study(creator=outsider, title="Another study")
        foreign = source_services.source_project_save(
            study=other,
            project=None,
            name="Theirs",
            ethics_reference="",
            protocol=None,
            consent_covers_secondary_analysis=False,
            actor=outsider,
        )
        edit = url("study-source-project-edit", study, foreign.uuid)
        assert client_for(lead).post(edit, self.data()).status_code == 404
        foreign.refresh_from_db()
        assert foreign.name == "Theirs"

    def test_list_query_count_does_not_grow_with_projects(
        self, client_for, study, lead, django_assert_max_num_queries
    ):
        guide = make_guide(study, lead)
        for n in range(10):
            source_services.source_project_save(
                study=study,
                project=None,
                name=f"Project {n}",
                ethics_reference=f"REC-{n}",
                protocol=guide,
                consent_covers_secondary_analysis=True,
                actor=lead,
            )
        client = client_for(lead)
        client.get(url("study-home", study))  # the session's last-seen stamp: once a minute
        with django_assert_max_num_queries(5):
            response = client.get(url("study-source-projects", study))
        assert response.text.count('id="source-project-') == 10
