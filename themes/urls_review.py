"""Themes: review pages."""

urlpatterns = []
