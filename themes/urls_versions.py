"""Themes: versions pages."""

urlpatterns = []
