import pytest
from django.urls import reverse

from studies.models import AuditEvent, Membership, Role
from studies.tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def members_url(study):
    return reverse("study-members", args=[study.slug])


def change_url(study, username):
    return reverse("study-member-change", args=[study.slug, username])


def remove_url(study, username):
    return reverse("study-member-remove", args=[study.slug, username])


def role_of(study, user):
    return Membership.objects.get(study=study, user=user).role


class TestMembersPage:
    def test_lead_sees_every_member(self, client_for, study, lead):
        response = client_for(lead).get(members_url(study))
        assert response.status_code == 200
        for name in ["custodian", "lead", "coder_a", "coder_b", "viewer"]:
            assert f'id="member-{name}"' in response.text

    def test_a_lead_is_not_offered_the_custodian_role(self, client_for, study, lead, custodian):
        text = client_for(lead).get(members_url(study)).text
        assert '<option value="custodian"' not in text
        assert "Only a custodian can change this." in text
        assert '<option value="custodian"' in client_for(custodian).get(members_url(study)).text

    @pytest.mark.parametrize("persona", ["coder_a", "viewer"])
    def test_coder_and_viewer_get_403(self, client_for, study, personas, persona):
        client = client_for(personas[persona])
        assert client.get(members_url(study)).status_code == 403
        response = client.post(members_url(study), {"username": "outsider", "role": "lead"})
        assert response.status_code == 403
        assert not Membership.objects.filter(user__username="outsider").exists()

    def test_outsider_gets_404(self, client_for, study, outsider):
        assert (
            client_for(outsider)
            .post(members_url(study), {"username": "outsider", "role": "lead"})
            .status_code
            == 404
        )
        assert not Membership.objects.filter(user=outsider).exists()

    def test_query_count_does_not_grow_with_members(
        self, client_for, study, lead, django_assert_max_num_queries
    ):
        for n in range(15):
            MembershipFactory(study=study, user=UserFactory(username=f"extra{n}"))
        client = client_for(lead)
        with django_assert_max_num_queries(9):
            response = client.get(members_url(study))
        assert "extra14" in response.text


class TestAddMember:
    def test_lead_adds_a_member_and_it_is_audited(self, client_for, study, lead, outsider):
        response = client_for(lead).post(
            members_url(study),
            {"username": "outsider", "role": "coder", "expires_on": "2099-12-31"},
        )
        assert response.status_code == 302
        membership = Membership.objects.get(study=study, user=outsider)
        assert (membership.role, str(membership.expires_on)) == ("coder", "2099-12-31")
        event = AuditEvent.objects.get(action=AuditEvent.Action.MEMBER_ADD)
        assert (event.actor, event.study, event.details["user"]) == (lead, study, "outsider")

    def test_htmx_gets_the_table_with_the_new_member_and_the_message(
        self, client_for, study, lead, outsider
    ):
        response = client_for(lead).post(
            members_url(study), {"username": "outsider", "role": "viewer"}, headers=HTMX
        )
        assert response.status_code == 200
        assert response.text.lstrip().startswith('<div id="members">')
        assert 'id="member-outsider"' in response.text
        assert 'hx-swap-oob="true"' in response.text
        assert "outsider added as viewer." in response.text
        assert "<html" not in response.text

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            (
                {"username": "nobody", "role": "coder"},
                "There is no active account with the user name &#x27;nobody&#x27;.",
            ),
            (
                {"username": "coder_a", "role": "coder"},
                "coder_a is already a member of this study.",
            ),
            ({"username": "outsider", "role": "overlord"}, "Select a valid choice."),
            ({"username": "outsider", "role": "custodian"}, "Select a valid choice."),
            (
                {"username": "outsider", "role": "coder", "expires_on": "2001-01-01"},
                "cannot be in the past",
            ),
            ({"username": "", "role": "coder"}, "This field is required."),
        ],
    )
    def test_bad_input_is_explained_and_nothing_changes(
        self, client_for, study, lead, data, message
    ):
        before = list(Membership.objects.order_by("pk").values_list("user_id", "role"))
        for headers in ({}, HTMX):
            response = client_for(lead).post(members_url(study), data, headers=headers)
            assert response.status_code == 422
            assert message in response.text
        assert list(Membership.objects.order_by("pk").values_list("user_id", "role")) == before
        assert not AuditEvent.objects.filter(action=AuditEvent.Action.MEMBER_ADD).exists()

    def test_an_inactive_account_cannot_be_added(self, client_for, study, lead, outsider):
        outsider.is_active = False
        outsider.save()
        response = client_for(lead).post(
            members_url(study), {"username": "outsider", "role": "coder"}
        )
        assert response.status_code == 422
        assert not Membership.objects.filter(user=outsider).exists()

    def test_a_custodian_may_add_a_custodian(self, client_for, study, custodian, outsider):
        client_for(custodian).post(
            members_url(study), {"username": "outsider", "role": "custodian"}
        )
        assert role_of(study, outsider) == Role.CUSTODIAN


class TestChangeMember:
    def test_lead_changes_a_role_and_expiry(self, client_for, study, lead, coder_b):
        response = client_for(lead).post(
            change_url(study, "coder_b"),
            {"coder_b-role": "viewer", "coder_b-expires_on": "2099-01-31"},
        )
        assert response.status_code == 302
        membership = Membership.objects.get(study=study, user=coder_b)
        assert (membership.role, str(membership.expires_on)) == ("viewer", "2099-01-31")
        event = AuditEvent.objects.get(action=AuditEvent.Action.MEMBER_CHANGE)
        assert event.details["role"] == {"from": "coder", "to": "viewer"}
        assert event.details["expires_on"] == {"from": None, "to": "2099-01-31"}

    def test_saving_without_a_change_writes_no_audit_event(self, client_for, study, lead):
        client_for(lead).post(change_url(study, "coder_b"), {"coder_b-role": "coder"})
        assert not AuditEvent.objects.filter(action=AuditEvent.Action.MEMBER_CHANGE).exists()

    def test_a_lead_cannot_make_anyone_custodian(self, client_for, study, lead, coder_b):
        for username in ("coder_b", "lead"):
            response = client_for(lead).post(
                change_url(study, username), {f"{username}-role": "custodian"}
            )
            assert response.status_code == 422
        assert (role_of(study, coder_b), role_of(study, lead)) == (Role.CODER, Role.LEAD)

    def test_a_lead_cannot_demote_a_custodian(self, client_for, study, lead, custodian):
        response = client_for(lead).post(
            change_url(study, "custodian"), {"custodian-role": "viewer"}, headers=HTMX
        )
        assert response.status_code == 422
        assert "Only a custodian can give or take away the custodian role." in response.text
        assert role_of(study, custodian) == Role.CUSTODIAN

    def test_the_last_custodian_cannot_step_down(self, client_for, study, custodian):
        response = client_for(custodian).post(
            change_url(study, "custodian"), {"custodian-role": "lead"}
        )
        assert response.status_code == 422
        assert "A study needs at least one custodian" in response.text
        assert role_of(study, custodian) == Role.CUSTODIAN

    def test_a_custodian_hands_over_then_steps_down(self, client_for, study, custodian, lead):
        client = client_for(custodian)
        client.post(change_url(study, "lead"), {"lead-role": "custodian"})
        client.post(change_url(study, "custodian"), {"custodian-role": "lead"})
        assert (role_of(study, lead), role_of(study, custodian)) == (Role.CUSTODIAN, Role.LEAD)

    def test_coder_gets_403_and_outsider_404(self, client_for, study, coder_a, outsider, coder_b):
        assert (
            client_for(coder_a)
            .post(change_url(study, "coder_b"), {"coder_b-role": "lead"})
            .status_code
            == 403
        )
        assert (
            client_for(outsider)
            .post(change_url(study, "coder_b"), {"coder_b-role": "lead"})
            .status_code
            == 404
        )
        assert role_of(study, coder_b) == Role.CODER

    def test_unknown_member_is_404(self, client_for, study, lead):
        assert (
            client_for(lead).post(change_url(study, "nobody"), {"nobody-role": "coder"}).status_code
            == 404
        )

    def test_past_expiry_is_refused(self, client_for, study, lead, coder_b):
        response = client_for(lead).post(
            change_url(study, "coder_b"),
            {"coder_b-role": "coder", "coder_b-expires_on": "2000-01-01"},
        )
        assert response.status_code == 422
        assert "coder_b: The last day of access cannot be in the past." in response.text
        assert Membership.objects.get(study=study, user=coder_b).expires_on is None


class TestRemoveMember:
    def test_lead_removes_a_coder_who_then_cannot_open_the_study(
        self, client_for, study, lead, coder_b
    ):
        response = client_for(lead).post(remove_url(study, "coder_b"), headers=HTMX)
        assert response.status_code == 200
        assert 'id="member-coder_b"' not in response.text
        assert not Membership.objects.filter(study=study, user=coder_b).exists()
        assert AuditEvent.objects.get(action=AuditEvent.Action.MEMBER_REMOVE).details == {
            "user": "coder_b",
            "role": "coder",
        }
        assert client_for(coder_b).get(reverse("study-home", args=[study.slug])).status_code == 404

    def test_removing_yourself_sends_you_to_your_studies(self, client_for, study, lead):
        client = client_for(lead)
        assert client.post(remove_url(study, "lead"))["Location"] == reverse("study-list")
        assert client.post(remove_url(study, "lead"), headers=HTMX).status_code == 404

    def test_the_last_custodian_cannot_be_removed(self, client_for, study, custodian):
        response = client_for(custodian).post(remove_url(study, "custodian"))
        assert response.status_code == 422
        assert Membership.objects.filter(study=study, user=custodian).exists()

    def test_a_lead_cannot_remove_a_custodian(self, client_for, study, lead, custodian, outsider):
        MembershipFactory(study=study, user=outsider, role=Role.CUSTODIAN)
        assert client_for(lead).post(remove_url(study, "custodian")).status_code == 422
        assert Membership.objects.filter(study=study, user=custodian).exists()

    def test_viewer_gets_403_and_outsider_404(self, client_for, study, viewer, outsider):
        assert client_for(viewer).post(remove_url(study, "coder_b")).status_code == 403
        assert client_for(outsider).post(remove_url(study, "coder_b")).status_code == 404
        assert Membership.objects.filter(study=study, user__username="coder_b").exists()

    def test_get_is_not_allowed(self, client_for, study, lead):
        assert client_for(lead).get(remove_url(study, "coder_b")).status_code == 405
