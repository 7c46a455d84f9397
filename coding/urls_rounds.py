"""Coding: blind rounds, and code-and-retrieve."""

from django.urls import path

from coding import views_retrieve, views_rounds

urlpatterns = [
    path("rounds/", views_rounds.round_list, name="coding-rounds"),
    path("rounds/open/", views_rounds.round_open, name="coding-round-open"),
    path("rounds/<uuid:coding_round>/done/", views_rounds.round_done, name="coding-round-done"),
    path(
        "rounds/<uuid:coding_round>/unblind/",
        views_rounds.round_unblind,
        name="coding-round-unblind",
    ),
    path("retrieve/<uuid:code>/", views_retrieve.retrieve, name="coding-retrieve"),
]
