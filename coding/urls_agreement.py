"""Agreement statistics pages. Mounted with the rest of coding at /s/<slug:study>/coding/: every
view here starts with studies.access.study_access."""

from django.urls import path

from coding import views_agreement

urlpatterns = [
    path("agreement/", views_agreement.agreement_page, name="coding-agreement"),
    path("agreement/<uuid:run>/", views_agreement.agreement_run, name="coding-agreement-run"),
]
