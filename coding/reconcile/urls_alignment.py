"""Reconciliation: alignment pages."""

urlpatterns = []
