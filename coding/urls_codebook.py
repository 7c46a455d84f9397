"""Coding: the codebook and a code's page, with the changes to a code."""

from django.urls import path

from coding import views_codebook

urlpatterns = [
    path("codebook/", views_codebook.codebook_page, name="coding-codebook"),
    path("codebook/<uuid:code>/", views_codebook.code_page, name="coding-code"),
    path("codebook/<uuid:code>/rename/", views_codebook.code_rename, name="coding-code-rename"),
    path(
        "codebook/<uuid:code>/redefine/",
        views_codebook.code_redefine,
        name="coding-code-redefine",
    ),
    path("codebook/<uuid:code>/merge/", views_codebook.code_merge, name="coding-code-merge"),
    path("codebook/<uuid:code>/split/", views_codebook.code_split, name="coding-code-split"),
    path("codebook/<uuid:code>/retire/", views_codebook.code_retire, name="coding-code-retire"),
]
