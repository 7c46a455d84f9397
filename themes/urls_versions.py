"""Themes: versions of the theme set, and the lead author's review."""

from django.urls import path

from themes import views_versions as views

urlpatterns = [
    path("versions/", views.versions_page, name="themes-versions"),
    path("versions/save/", views.version_save_view, name="themes-version-save"),
    path("versions/compare/", views.version_compare_page, name="themes-version-compare"),
    path("versions/<uuid:version>/", views.version_page, name="themes-version"),
    path("review/", views.review_page, name="themes-review"),
    path("review/comment/", views.comment_post, name="themes-comment"),
    path(
        "review/comment/<uuid:comment>/resolve/",
        views.comment_resolve_post,
        name="themes-comment-resolve",
    ),
    path("review/verdict/", views.verdict_post, name="themes-verdict"),
]
