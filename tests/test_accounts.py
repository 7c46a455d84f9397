"""Log-in, lock-out, sessions and the headers every page carries."""

import time

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import identify_hasher
from django.urls import reverse
from django.utils import timezone

from studies.models import AuditEvent
from studies.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")


def log_in(client, username, password, address="10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


class TestLogIn:
    def test_log_in_lands_on_my_studies_and_is_audited(self, client, coder_a):
        response = log_in(client, "coder_a", PASSWORD)
        assert response.status_code == 302 and response["Location"] == reverse("study-list")
        event = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN)
        assert (event.actor, event.address) == (coder_a, "10.0.0.1")

    def test_a_wrong_password_is_refused_and_audited(self, client, coder_a):
        response = log_in(client, "coder_a", "wrong")
        assert response.status_code == 200
        assert "Please enter a correct username and password." in response.text
        event = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN_FAILED)
        assert event.details == {"username": "coder_a"}
        assert "_auth_user_id" not in client.session

    def test_log_in_gives_a_new_session_key(self, client, coder_a):
        client.get(LOGIN)
        client.session.save()
        before = client.session.session_key
        log_in(client, "coder_a", PASSWORD)
        assert client.session.session_key != before

    def test_passwords_are_hashed_with_argon2(self, client, settings):
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
        user = get_user_model().objects.create_user("rowan", password="a long enough password")
        assert identify_hasher(user.password).algorithm == "argon2"

    def test_log_out_is_a_post_that_ends_the_session(self, client, coder_a):
        log_in(client, "coder_a", PASSWORD)
        assert client.get(reverse("logout")).status_code == 405
        assert client.post(reverse("logout")).status_code == 302
        assert client.get(reverse("study-list")).status_code == 302
        assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGOUT, actor=coder_a).exists()


class TestLockOut:
    def test_five_failures_lock_that_username_from_that_address(self, client, coder_a, coder_b):
        for _ in range(5):
            log_in(client, "coder_a", "wrong")
        locked = log_in(client, "coder_a", PASSWORD)
        assert locked.status_code == 429
        assert (
            "After 5 failed attempts this account cannot log in from your address for 15 minutes."
            in " ".join(locked.text.split())
        )
        assert "_auth_user_id" not in client.session
        # The same person from another address, and another person from this one, can still log in.
        assert log_in(client, "coder_a", PASSWORD, address="10.0.0.2").status_code == 302
        client.post(reverse("logout"))
        assert log_in(client, "coder_b", PASSWORD).status_code == 302

    def test_the_lock_lifts_after_fifteen_minutes(self, client, coder_a):
        for _ in range(5):
            log_in(client, "coder_a", "wrong")
        assert log_in(client, "coder_a", PASSWORD).status_code == 429
        AccessAttempt.objects.update(attempt_time=timezone.now() - timezone.timedelta(minutes=16))
        assert log_in(client, "coder_a", PASSWORD).status_code == 302

    def test_four_failures_and_a_success_start_the_count_again(self, client, coder_a):
        for _ in range(4):
            log_in(client, "coder_a", "wrong")
        assert log_in(client, "coder_a", PASSWORD).status_code == 302
        client.post(reverse("logout"))
        for _ in range(4):
            log_in(client, "coder_a", "wrong")
        assert log_in(client, "coder_a", PASSWORD).status_code == 302


class TestSessionLimits:
    def age_session(self, client, **seconds_ago):
        session = client.session
        now = int(time.time())
        for key, ago in seconds_ago.items():
            session[key] = now - ago
        session.save()

    def test_thirty_minutes_idle_ends_the_session(self, client, coder_a):
        log_in(client, "coder_a", PASSWORD)
        assert client.get(reverse("study-list")).status_code == 200
        self.age_session(client, seen_at=29 * 60)
        assert client.get(reverse("study-list")).status_code == 200
        self.age_session(client, seen_at=31 * 60)
        response = client.get(reverse("study-list"))
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)
        assert client.get(reverse("study-list")).status_code == 302

    def test_twelve_hours_after_log_in_the_session_ends_however_active(self, client, coder_a):
        log_in(client, "coder_a", PASSWORD)
        self.age_session(client, started_at=12 * 3600 + 60, seen_at=10)
        response = client.get(reverse("study-list"), headers={"HX-Request": "true"})
        assert response["HX-Redirect"].startswith(LOGIN)

    def test_activity_is_written_at_most_once_a_minute(
        self, client, coder_a, django_assert_num_queries
    ):
        log_in(client, "coder_a", PASSWORD)
        client.get(reverse("study-list"))
        with django_assert_num_queries(4):  # session, user, two lists; no session write
            client.get(reverse("study-list"))


class TestHeaders:
    def test_every_page_has_a_content_security_policy(self, client, coder_a, study):
        policy = client.get(LOGIN)["Content-Security-Policy"]
        for directive in [
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "script-src 'self'",
        ]:
            assert directive in policy
        assert "unsafe-eval" not in policy and "unsafe-inline" not in policy
        client.force_login(coder_a)
        assert "Content-Security-Policy" in client.get(reverse("study-home", args=[study.slug]))

    def test_pages_for_a_logged_in_user_are_not_stored(self, client, coder_a, study):
        client.force_login(coder_a)
        for url in [reverse("study-list"), reverse("study-home", args=[study.slug])]:
            assert "no-store" in client.get(url)["Cache-Control"]

    def test_htmx_keeps_no_history_and_csrf_is_set_once_on_body(self, client, coder_a):
        client.force_login(coder_a)
        text = client.get(reverse("study-list")).text
        assert '"historyCacheSize": 0' in text
        assert '"allowEval": false' in text
        assert '<body hx-headers=\'{"X-CSRFToken": "' in text
        assert "/static/django_htmx/htmx-2.min.js" in text


class TestPasswordChange:
    url = reverse("password_change")

    def test_change_password_and_log_in_with_the_new_one(self, client, coder_a):
        log_in(client, "coder_a", PASSWORD)
        response = client.post(
            self.url,
            {
                "old_password": PASSWORD,
                "new_password1": "a new long passphrase",
                "new_password2": "a new long passphrase",
            },
        )
        assert response.status_code == 302
        assert AuditEvent.objects.filter(
            action=AuditEvent.Action.PASSWORD_CHANGE, actor=coder_a
        ).exists()
        client.post(reverse("logout"))
        assert log_in(client, "coder_a", "a new long passphrase").status_code == 302

    @pytest.mark.parametrize(
        ("old", "new1", "new2", "message"),
        [
            (
                "wrong",
                "a new long passphrase",
                "a new long passphrase",
                "Your old password was entered incorrectly.",
            ),
            (
                PASSWORD,
                "a new long passphrase",
                "another one entirely",
                "The two password fields didn",
            ),
            (PASSWORD, "short", "short", "This password is too short."),
            (PASSWORD, "1234567890123", "1234567890123", "This password is entirely numeric."),
        ],
    )
    def test_bad_input_is_explained_and_the_password_stays(self, client, old, new1, new2, message):
        user = UserFactory(username="rowan")
        client.force_login(user)
        response = client.post(
            self.url, {"old_password": old, "new_password1": new1, "new_password2": new2}
        )
        assert response.status_code == 200
        assert message in response.text
        user.refresh_from_db()
        assert user.check_password(PASSWORD)

    def test_anonymous_is_sent_to_log_in(self, client):
        assert client.get(self.url)["Location"].startswith(LOGIN)
