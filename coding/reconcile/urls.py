"""Reconciliation's pages, mounted with the rest of coding at /s/<slug:study>/coding/: every view
here starts with studies.access.study_access."""

from django.urls import include, path

from coding.reconcile import urls_alignment, urls_meetings, urls_reconcile

urlpatterns = [
    path("", include(urls_alignment)),
    path("", include(urls_meetings)),
    path("", include(urls_reconcile)),
]
