"""Coding: notes."""

urlpatterns = []
