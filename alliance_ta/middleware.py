"""Cross-cutting request handling: who must log in, how long a session lives, what is cached."""

import time

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import middleware as auth_middleware
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from django_htmx.http import HttpResponseClientRedirect

# Only write the session again when its last-seen stamp is older than this many seconds.
SEEN_RESOLUTION = 60


class LoginRequiredMiddleware(auth_middleware.LoginRequiredMiddleware):
    """Every view needs a logged-in user unless marked @login_not_required.

    An htmx request gets an HX-Redirect to the log-in page instead of a redirect that htmx would
    follow and swap into the page.
    """

    def handle_no_permission(self, request, view_func):
        response = super().handle_no_permission(request, view_func)
        if request.headers.get("HX-Request") == "true":
            return HttpResponseClientRedirect(response["Location"])
        return response


class SessionLimitsMiddleware:
    """Ends a session after SESSION_IDLE_SECONDS without a request or SESSION_ABSOLUTE_SECONDS
    after log-in, whichever comes first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            session = request.session
            started = session.setdefault("started_at", now)
            seen = session.get("seen_at", now)
            if (
                now - seen > settings.SESSION_IDLE_SECONDS
                or now - started > settings.SESSION_ABSOLUTE_SECONDS
            ):
                auth.logout(request)
                messages.info(request, "Your session has ended. Please log in again.")
                response = redirect_to_login(request.get_full_path())
                if request.headers.get("HX-Request") == "true":
                    return HttpResponseClientRedirect(response["Location"])
                return response
            if now - session.get("seen_at", 0) >= SEEN_RESOLUTION:
                session["seen_at"] = now
        return self.get_response(request)


class NoStoreMiddleware:
    """Pages shown to a logged-in user are never kept by browsers or proxies."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response
