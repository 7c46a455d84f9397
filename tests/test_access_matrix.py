"""Every URL of the project, walked without a list to keep up to date.

A study-scoped view must pass the access gate: an outsider cannot tell a foreign study from one
that does not exist (404), an anonymous visitor is sent to log in, and a member's request is seen
to go through `studies.access.study_access`. Every other URL needs a log-in unless it is public.
"""

import re
import uuid
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver

from studies.models import AuditEvent
from studies.tests.factories import MembershipFactory, UserFactory

STUDY_PREFIX = "s/<slug:study>/"
PUBLIC = {"login"}
SAMPLE = {"int": "1", "uuid": str(uuid.UUID(int=1)), "path": "x/y", "slug": "x", "str": "x"}


def walk(resolver=None, prefix=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry, prefix + str(entry.pattern))
        else:
            yield prefix + str(entry.pattern), entry


def without_tokens(content: bytes) -> bytes:
    """The page without its CSRF tokens, which differ on every response."""
    return re.sub(rb"[A-Za-z0-9]{64}", b"<token>", content)


def url_for(route: str, study_slug: str) -> str:
    """A concrete URL for a route, the study parameter set and every other parameter a sample."""

    def fill(match: re.Match) -> str:
        converter, name = match.group(1) or "str", match.group(2)
        return study_slug if name == "study" else SAMPLE[converter]

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", fill, route)


ROUTES = sorted(walk(), key=lambda item: item[0])
STUDY_ROUTES = [(route, p) for route, p in ROUTES if "<slug:study>" in route]
OTHER_ROUTES = [(route, p) for route, p in ROUTES if "<slug:study>" not in route]


def test_the_walk_finds_the_study_views():
    names = {p.name for _route, p in STUDY_ROUTES}
    assert {"study-home", "study-members", "study-audit"} <= names


def test_only_regular_routes():
    # Regex routes would escape the URL builder above.
    assert all(isinstance(p, URLPattern) and "(?" not in route for route, p in ROUTES)


@pytest.mark.parametrize(("route", "pattern"), STUDY_ROUTES, ids=[r for r, _ in STUDY_ROUTES])
def test_study_scoped_routes_live_under_the_study_prefix(route, pattern):
    assert route.startswith(STUDY_PREFIX), f"{pattern.name}: study-scoped URLs are /s/<study>/…"


def check_outsider_sees_nothing(client, route: str, study, outsider) -> None:
    client.force_login(outsider)
    for method in ("get", "post"):
        foreign = getattr(client, method)(url_for(route, study.slug))
        missing = getattr(client, method)(url_for(route, "no-such-study"))
        assert foreign.status_code in {404, 405}, f"{method.upper()} {route}: {foreign.status_code}"
        assert foreign.status_code == missing.status_code
        assert without_tokens(foreign.content) == without_tokens(missing.content)


def check_gate_is_called(client, route: str, study, member) -> None:
    """A member's request reaches the view, which must have asked the gate before anything else
    could answer: whatever the view then does, the gate has left the membership on the request."""
    client.force_login(member)
    url = url_for(route, study.slug)
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url)
    assert getattr(response.wsgi_request, "membership", None) is not None, (
        f"{route} answered {response.status_code} without calling studies.access.study_access"
    )


@pytest.mark.parametrize(("route", "pattern"), STUDY_ROUTES, ids=[r for r, _ in STUDY_ROUTES])
def test_outsider_cannot_tell_a_foreign_study_from_a_missing_one(
    route, pattern, client, study, outsider
):
    check_outsider_sees_nothing(client, route, study, outsider)


@pytest.mark.parametrize(("route", "pattern"), STUDY_ROUTES, ids=[r for r, _ in STUDY_ROUTES])
def test_every_study_view_calls_the_gate(route, pattern, client, study, custodian):
    check_gate_is_called(client, route, study, custodian)


@pytest.mark.parametrize(("route", "pattern"), STUDY_ROUTES, ids=[r for r, _ in STUDY_ROUTES])
def test_expired_member_is_an_outsider(route, pattern, client, study):
    expired = UserFactory(username="former")
    MembershipFactory(study=study, user=expired, expires_on="2020-01-01")
    client.force_login(expired)
    for method in ("get", "post"):
        assert getattr(client, method)(url_for(route, study.slug)).status_code in {404, 405}


@pytest.mark.parametrize(("route", "pattern"), STUDY_ROUTES, ids=[r for r, _ in STUDY_ROUTES])
def test_anonymous_visitor_is_sent_to_log_in(route, pattern, client, study):
    url = url_for(route, study.slug)
    for method in ("get", "post"):
        response = getattr(client, method)(url)
        assert response.status_code == 302
        assert urlsplit(response["Location"]).path == "/accounts/login/"
        htmx = getattr(client, method)(url, headers={"HX-Request": "true"})
        assert urlsplit(htmx["HX-Redirect"]).path == "/accounts/login/"


@pytest.mark.urls("tests.ungated_urls")
def test_the_checks_catch_a_view_without_the_gate(client, study, custodian, outsider):
    """The checks above fail for a study view that forgets the gate, whether it leaks the study
    outright or hides behind a 404 of its own."""
    routes = {route for route, _pattern in walk(get_resolver("tests.ungated_urls"))}
    assert {"s/<slug:study>/leaky/", "s/<slug:study>/sneaky/<uuid:code>/"} <= routes
    with pytest.raises(AssertionError):
        check_outsider_sees_nothing(client, "s/<slug:study>/leaky/", study, outsider)
    check_outsider_sees_nothing(client, "s/<slug:study>/sneaky/<uuid:code>/", study, outsider)
    with pytest.raises(AssertionError, match="without calling"):
        check_gate_is_called(client, "s/<slug:study>/sneaky/<uuid:code>/", study, custodian)


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model is not AuditEvent  # reading the vault or exporting is audited, by design
    }


@pytest.mark.parametrize(("route", "pattern"), ROUTES, ids=[r for r, _ in ROUTES])
def test_get_changes_nothing(route, pattern, client, study, custodian):
    client.force_login(custodian)
    before = row_counts()
    client.get(url_for(route, study.slug))
    client.head(url_for(route, study.slug))
    assert row_counts() == before


@pytest.mark.parametrize(("route", "pattern"), OTHER_ROUTES, ids=[r for r, _ in OTHER_ROUTES])
def test_other_routes_need_a_log_in_unless_public(route, pattern, client):
    response = client.get(url_for(route, "x"))
    if pattern.name in PUBLIC:
        assert response.status_code == 200
    else:
        assert response.status_code in {302, 405}
        if response.status_code == 302:
            assert urlsplit(response["Location"]).path == "/accounts/login/"
