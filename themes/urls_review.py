"""Themes: review pages. Level 1, a theme's extracts read together; level 2, the coverage of
the dataset and the framework matrix."""

from django.urls import path

from themes import views_review

urlpatterns = [
    path("<uuid:theme>/extracts/", views_review.theme_extracts, name="themes-extracts"),
    path(
        "<uuid:theme>/extracts/<uuid:coding>/review/",
        views_review.extract_review,
        name="themes-extract-review",
    ),
    path(
        "<uuid:theme>/codes/<uuid:code>/move-out/",
        views_review.code_move_out,
        name="themes-code-move-out",
    ),
    path("coverage/", views_review.coverage, name="themes-coverage"),
    path("coverage/framework/", views_review.framework, name="themes-framework"),
    path(
        "coverage/framework/<uuid:theme>/<uuid:participant>/",
        views_review.cell_summary,
        name="themes-cell-summary",
    ),
]
