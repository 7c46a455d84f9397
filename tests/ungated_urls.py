"""The project's URLs plus two study views that forget the access gate, for the access-matrix
test to prove that it notices."""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path

from alliance_ta.urls import urlpatterns as project_urlpatterns
from studies.models import Study


def leaky(request, study):
    return HttpResponse(get_object_or_404(Study, slug=study).title)


def sneaky(request, study, code):
    get_object_or_404(Study, slug=study)
    raise Http404  # looks like the gate to an outsider, but never asked it


urlpatterns = [
    *project_urlpatterns,
    path("s/<slug:study>/leaky/", leaky),
    path("s/<slug:study>/sneaky/<uuid:code>/", sneaky),
]
