"""Themes: map pages."""

urlpatterns = []
