"""Coding: codebook."""

urlpatterns = []
