import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from studies.demo import DEMO_PASSWORD, DEMO_SLUG
from studies.models import Membership, Protocol, Role, Study

pytestmark = pytest.mark.django_db


class TestDemo:
    def test_creates_the_team_and_the_study_once(self, settings, capsys):
        settings.DEBUG = True
        call_command("demo")
        call_command("demo")
        out = capsys.readouterr().out
        assert f"password for all: {DEMO_PASSWORD}" in out
        study = Study.objects.get(slug=DEMO_SLUG)
        roles = dict(Membership.objects.filter(study=study).values_list("user__username", "role"))
        assert roles == {
            "custodian": Role.CUSTODIAN,
            "lead": Role.LEAD,
            "coder_a": Role.CODER,
            "coder_b": Role.CODER,
            "viewer": Role.VIEWER,
        }
        guide = Protocol.objects.get(study=study)
        assert guide.domains.count() == 4
        assert get_user_model().objects.get(username="coder_b").check_password(DEMO_PASSWORD)

    def test_refuses_without_debug(self, settings):
        settings.DEBUG = False
        with pytest.raises(CommandError, match="DEBUG is off"):
            call_command("demo")
        assert not Study.objects.exists()
        call_command("demo", "--allow-without-debug")
        assert Study.objects.filter(slug=DEMO_SLUG).exists()


class TestAddUser:
    def test_creates_an_account_with_a_one_time_password(self, capsys):
        call_command("add_user", "rowan", "--email", "rowan@example.ac.uk")
        password = capsys.readouterr().out.strip().rsplit(" ", 1)[-1]
        user = get_user_model().objects.get(username="rowan")
        assert user.email == "rowan@example.ac.uk"
        assert user.check_password(password)

    @pytest.mark.parametrize(
        ("name", "message"), [("coder_a", "already exists"), ("no spaces", "not a valid user name")]
    )
    def test_bad_names_are_refused(self, coder_a, name, message):
        with pytest.raises(CommandError, match=message):
            call_command("add_user", name)
        assert get_user_model().objects.count() == 1
