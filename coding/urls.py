from django.urls import include, path

from coding import urls_agreement, urls_codebook, urls_notes, urls_rounds, views
from coding.reconcile import urls as urls_reconcile

# Mounted at /s/<slug:study>/coding/: every view here starts with studies.access.study_access.
urlpatterns = [
    path("<uuid:transcript>/", views.transcript_page, name="coding-transcript"),
    path("<uuid:transcript>/apply/", views.apply, name="coding-apply"),
    path("<uuid:transcript>/codings/", views.details, name="coding-details"),
    path("<uuid:transcript>/codings/<uuid:coding>/remove/", views.remove, name="coding-remove"),
    path("<uuid:transcript>/codings/<uuid:coding>/checked/", views.confirm, name="coding-confirm"),
    path("", include(urls_codebook)),
    path("", include(urls_rounds)),
    path("", include(urls_notes)),
    path("", include(urls_agreement)),
    path("", include(urls_reconcile)),
]
