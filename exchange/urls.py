"""Write-up and interchange, mounted at /s/<slug:study>/exchange/: every view here starts with
studies.access.study_access."""

from django.urls import include, path

from exchange import urls_extracts, urls_qdpx, urls_report

urlpatterns = [
    path("", include(urls_report)),
    path("", include(urls_extracts)),
    path("", include(urls_qdpx)),
]
