"""Themes: board pages."""

urlpatterns = []
