from django.urls import include, path

from studies.urls import study_urlpatterns
from studies.views import accounts

account_urlpatterns = [
    path("login/", accounts.LoginView.as_view(), name="login"),
    path("logout/", accounts.LogoutView.as_view(), name="logout"),
    path("password/", accounts.PasswordChangeView.as_view(), name="password_change"),
    path("second-factor/", accounts.second_factor, name="second-factor"),
]

urlpatterns = [
    path("accounts/", include(account_urlpatterns)),
    path("", include("studies.urls")),
    # Every study-scoped URL lives under /s/<study>/ and passes the access gate.
    path("s/<slug:study>/", include(study_urlpatterns)),
    path("s/<slug:study>/transcripts/", include("transcripts.urls")),
    path("s/<slug:study>/coding/", include("coding.urls")),
    path("s/<slug:study>/themes/", include("themes.urls")),
    path("s/<slug:study>/exchange/", include("exchange.urls")),
]
