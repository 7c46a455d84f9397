import pytest
from django.urls import reverse

from studies.models import AuditEvent, Membership, Role, Study
from studies.tests.factories import MembershipFactory, UserFactory, make_study

pytestmark = pytest.mark.django_db


class TestStudyList:
    def test_lists_only_my_studies_with_my_role(self, client_for, study, coder_a, outsider):
        make_study(creator=outsider, title="A study coder A is not in")
        response = client_for(coder_a).get(reverse("study-list"))
        assert response.status_code == 200
        assert study.title in response.text
        assert "A study coder A is not in" not in response.text
        assert "your role: coder" in response.text

    def test_an_expired_membership_is_not_listed(self, client_for, study):
        former = UserFactory(username="former")
        MembershipFactory(study=study, user=former, expires_on="2021-06-30")
        assert study.title not in client_for(former).get(reverse("study-list")).text

    def test_query_count_does_not_grow_with_studies(
        self, client_for, outsider, django_assert_max_num_queries
    ):
        for n in range(12):
            make_study(creator=outsider, title=f"Study {n}")
        client = client_for(outsider)
        with django_assert_max_num_queries(7):
            response = client.get(reverse("study-list"))
        assert response.text.count('class="card"') == 12


class TestStudyCreate:
    url = reverse("study-create")
    data = {
        "title": "Endings in brief therapy",
        "research_question": "How do therapists prepare clients for an ending?",
        "analysis_mode": "reflexive",
        "ethics_reference": "REC-22/104",
        "ethics_approved_on": "2025-01-15",
    }

    def test_creator_becomes_custodian_and_it_is_audited(self, client_for, outsider):
        response = client_for(outsider).post(self.url, self.data)
        study = Study.objects.get(title="Endings in brief therapy")
        assert response.status_code == 302
        assert response["Location"] == reverse("study-home", args=[study.slug])
        assert study.slug == "endings-in-brief-therapy"
        assert Membership.objects.get(study=study, user=outsider).role == Role.CUSTODIAN
        assert AuditEvent.objects.filter(
            study=study, action=AuditEvent.Action.STUDY_CREATE, actor=outsider
        ).exists()

    def test_same_title_gets_its_own_slug(self, client_for, outsider):
        client_for(outsider).post(self.url, self.data)
        client_for(outsider).post(self.url, self.data)
        assert sorted(Study.objects.values_list("slug", flat=True)) == [
            "endings-in-brief-therapy",
            "endings-in-brief-therapy-2",
        ]

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"title": ""}, "This field is required."),
            ({"analysis_mode": "vibes"}, "Select a valid choice."),
            ({"ethics_approved_on": "2999-01-01"}, "The approval date cannot be in the future."),
            ({"ethics_approved_on": "31/31/2024"}, "Enter a valid date."),
        ],
    )
    def test_bad_input_is_explained_and_nothing_is_stored(
        self, client_for, outsider, change, message
    ):
        response = client_for(outsider).post(self.url, {**self.data, **change})
        assert response.status_code == 200
        assert message in response.text
        assert not Study.objects.exists()
        assert not AuditEvent.objects.exists()


class TestStudyHome:
    def test_every_member_reads_the_overview(self, client_for, study, viewer):
        response = client_for(viewer).get(reverse("study-home", args=[study.slug]))
        assert response.status_code == 200
        assert study.research_question in response.text
        assert "No interview guide yet." in response.text

    def test_a_viewer_sees_no_lead_pages_in_the_navigation(self, client_for, study, viewer, lead):
        url = reverse("study-home", args=[study.slug])
        assert reverse("study-members", args=[study.slug]) not in client_for(viewer).get(url).text
        assert reverse("study-members", args=[study.slug]) in client_for(lead).get(url).text

    def test_outsider_gets_404(self, client_for, study, outsider):
        assert client_for(outsider).get(reverse("study-home", args=[study.slug])).status_code == 404

    def test_the_demo_guide_is_shown_in_order(self, client_for, django_assert_max_num_queries):
        from studies.demo import DEMO_GUIDE, demo_build

        study, _logins = demo_build()
        lead = study.memberships.get(role=Role.LEAD).user
        client = client_for(lead)
        with django_assert_max_num_queries(11):
            text = client.get(reverse("study-home", args=[study.slug])).text
        positions = [text.index(title) for title, _questions in DEMO_GUIDE]
        assert positions == sorted(positions)


SETTINGS = {"withdrawal_policy": "either", "audio_retention_days": "90"}


class TestStudySettings:
    def url(self, study):
        return reverse("study-settings", args=[study.slug])

    def test_lead_changes_the_details_and_it_is_audited(self, client_for, study, lead):
        response = client_for(lead).post(
            self.url(study),
            {
                **SETTINGS,
                "title": "Renamed",
                "research_question": "A sharper question?",
                "ethics_reference": "REC-1",
            },
        )
        assert response.status_code == 302
        study.refresh_from_db()
        assert (study.title, study.research_question, study.ethics_reference) == (
            "Renamed",
            "A sharper question?",
            "REC-1",
        )
        event = AuditEvent.objects.get(action=AuditEvent.Action.STUDY_UPDATE)
        assert event.actor == lead
        assert event.details["title"] == {
            "from": "A study of the working alliance",
            "to": "Renamed",
        }
        assert "analysis_mode" not in event.details

    def test_the_mode_is_not_changed_here(self, client_for, study, lead):
        client_for(lead).post(
            self.url(study),
            {
                "title": study.title,
                "research_question": "Q?",
                "analysis_mode": "coding_reliability",
            },
        )
        study.refresh_from_db()
        assert study.analysis_mode == Study.AnalysisMode.REFLEXIVE

    def test_coder_gets_403(self, client_for, study, coder_a):
        client = client_for(coder_a)
        assert client.get(self.url(study)).status_code == 403
        assert (
            client.post(
                self.url(study), {"title": "Hijacked", "research_question": "?"}
            ).status_code
            == 403
        )
        study.refresh_from_db()
        assert study.title != "Hijacked"

    def test_outsider_gets_404(self, client_for, study, outsider):
        assert client_for(outsider).post(self.url(study), {"title": "x"}).status_code == 404

    def test_bad_input_changes_nothing(self, client_for, study, lead):
        response = client_for(lead).post(
            self.url(study), {**SETTINGS, "title": "", "research_question": "Still?"}
        )
        assert response.status_code == 422
        assert "This field is required." in response.text
        study.refresh_from_db()
        assert study.research_question == "How do therapists describe the alliance?"
        assert not AuditEvent.objects.filter(action=AuditEvent.Action.STUDY_UPDATE).exists()


def test_form_pages_have_a_fixed_query_count(
    client_for, study, lead, django_assert_max_num_queries
):
    client = client_for(lead)
    client.get(reverse("study-list"))  # the session's last-seen stamp is written once a minute
    with django_assert_max_num_queries(4):
        assert client.get(reverse("study-create")).status_code == 200
    with django_assert_max_num_queries(5):
        assert client.get(reverse("study-settings", args=[study.slug])).status_code == 200
