"""Coding: rounds."""

urlpatterns = []
