"""Fixtures for the whole suite: the personas of a study, and how a missing service is treated."""

import os

import pytest

from studies.models import Role
from studies.tests.factories import MembershipFactory, UserFactory, make_study


def pytest_addoption(parser):
    parser.addoption(
        "--require-services",
        action="store_true",
        help="Fail, instead of skipping, a test whose service (PostgreSQL, Redis, Chromium) is missing.",
    )


def require_service(config, name: str, problem: str) -> None:
    """Skip a test that needs a missing service, or fail it under --require-services (CI)."""
    message = f"{name} is not available: {problem}"
    if config.getoption("--require-services"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def pytest_sessionstart(session):
    if session.config.getoption("--require-services"):
        from django.db import connection

        if connection.vendor != "postgresql":
            raise pytest.UsageError("--require-services: DATABASE_URL must point at PostgreSQL")


@pytest.fixture
def redis_url(request, settings) -> str:
    """The Redis the full stack uses (REDIS_URL), answering."""
    import redis

    if not settings.REDIS_URL:
        require_service(request.config, "Redis", "REDIS_URL is not set")
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        require_service(request.config, "Redis", f"{settings.REDIS_URL}: {error}")
    return settings.REDIS_URL


@pytest.fixture
def full_stack(request, redis_url, settings, tmp_path):
    """Start real Celery workers (as many as the test asks for); tasks queued by this process go
    to them. Needs PostgreSQL and Redis."""
    import signal
    import uuid

    from django.db import connection

    from alliance_ta.celery import app

    if connection.vendor != "postgresql":
        require_service(
            request.config,
            "PostgreSQL",
            "the worker needs a database it can share (set DATABASE_URL)",
        )
    queue = f"tests-{uuid.uuid4().hex[:8]}"
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    settings.MEDIA_ROOT = tmp_path
    workers = []

    def start(**env):
        from tests.workers import Worker

        worker = Worker(queue, tmp_path, **env)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop(signal.SIGKILL)
    app.conf.task_default_queue = previous


@pytest.fixture
def tasks_in_process():
    """Celery tasks run in this process, as on the embedded default, even when REDIS_URL is set."""
    from alliance_ta.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Argon2 is deliberately slow; tests that check hashing set it back themselves.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def custodian(db):
    return UserFactory(username="custodian")


@pytest.fixture
def lead(db):
    return UserFactory(username="lead")


@pytest.fixture
def coder_a(db):
    return UserFactory(username="coder_a")


@pytest.fixture
def coder_b(db):
    return UserFactory(username="coder_b")


@pytest.fixture
def viewer(db):
    return UserFactory(username="viewer")


@pytest.fixture
def outsider(db):
    return UserFactory(username="outsider")


@pytest.fixture
def study(custodian, lead, coder_a, coder_b, viewer):
    """A study with a member in every role; `outsider` is not a member."""
    study = make_study(creator=custodian)
    for user, role in [
        (lead, Role.LEAD),
        (coder_a, Role.CODER),
        (coder_b, Role.CODER),
        (viewer, Role.VIEWER),
    ]:
        MembershipFactory(study=study, user=user, role=role)
    return study


@pytest.fixture
def personas(custodian, lead, coder_a, coder_b, viewer, outsider) -> dict:
    return {
        "custodian": custodian,
        "lead": lead,
        "coder_a": coder_a,
        "coder_b": coder_b,
        "viewer": viewer,
        "outsider": outsider,
    }


@pytest.fixture
def client_for(client):
    """A test client logged in as the given user."""

    def log_in(user):
        client.force_login(user)
        return client

    return log_in


@pytest.fixture
def vault_client(custodian, study):
    """A client of its own, logged in as the study's custodian, past the second factor."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=custodian, name="Test authenticator", confirmed=True)
    client = Client()
    client.force_login(custodian)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture(scope="session")
def browser(request):
    """The system's Chromium, driven by Playwright (it never downloads a browser of its own)."""
    executable = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not os.path.exists(executable):
        require_service(request.config, "Chromium", f"{executable} does not exist")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # between page actions are still synchronous.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
