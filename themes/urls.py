"""Themes, mounted at /s/<slug:study>/themes/: every view here starts with
studies.access.study_access."""

from django.urls import include, path

from themes import urls_board, urls_map, urls_review, urls_versions

urlpatterns = [
    path("", include(urls_board)),
    path("", include(urls_review)),
    path("", include(urls_versions)),
    path("", include(urls_map)),
]
