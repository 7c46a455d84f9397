"""Log in, log out and change password: Django's views, with an audit event for each."""

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from studies.audit import Action, audit
from studies.second_factor import SETUP_KEY, key_matches, provisioning_uri, qr_data_uri, setup_key


class SecondFactorForm(forms.Form):
    code = forms.CharField(
        label="Six-digit code",
        max_length=8,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
        ),
    )


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        audit(Action.LOGIN, request=self.request)
        return response

    def form_invalid(self, form):
        username = form.data.get("username", "")[:150]
        audit(Action.LOGIN_FAILED, request=self.request, details={"username": username})
        return super().form_invalid(form)


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            audit(Action.LOGOUT, request=request)
        return super().post(request, *args, **kwargs)


class PasswordChangeView(auth_views.PasswordChangeView):
    success_url = reverse_lazy("study-list")

    def form_valid(self, form):
        response = super().form_valid(form)
        audit(Action.PASSWORD_CHANGE, request=self.request)
        messages.success(self.request, "Your password has been changed.")
        return response


@require_http_methods(["GET", "POST"])
def second_factor(request: HttpRequest) -> HttpResponse:
    """Pass the second factor, setting up an authenticator app the first time."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = ""
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    key = None if device else setup_key(request)
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["code"]
        if device is None:
            if key_matches(key, token):
                device = TOTPDevice.objects.create(
                    user=request.user, name="Authenticator app", key=key, confirmed=True
                )
                del request.session[SETUP_KEY]
                audit(Action.OTP_SETUP, request=request)
                otp_login(request, device)
                audit(Action.OTP_VERIFY, request=request)
                return redirect(next_url or "study-list")
        else:
            allowed, _why = device.verify_is_allowed()
            if not allowed:
                form.add_error("code", "Too many wrong codes: wait a minute before trying again.")
            elif device.verify_token(token):
                otp_login(request, device)
                audit(Action.OTP_VERIFY, request=request)
                return redirect(next_url or "study-list")
        if not form.errors:
            form.add_error(
                "code",
                "That code is not right. Codes change every 30 seconds: try the current one.",
            )
        audit(Action.OTP_FAILED, request=request)
    context = {"form": form, "next": next_url, "device": device}
    if key:
        uri = provisioning_uri(key, request.user.get_username())
        context |= {"qr": qr_data_uri(uri), "secret": uri.split("secret=")[1].split("&")[0]}
    return render(
        request, "registration/second_factor.html", context, status=422 if form.errors else 200
    )
