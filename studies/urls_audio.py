"""Interviews and the life of their audio."""

urlpatterns = []
