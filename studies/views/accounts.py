"""Log in, log out and change password: Django's views, with an audit event for each."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator

from studies.audit import Action, audit


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
