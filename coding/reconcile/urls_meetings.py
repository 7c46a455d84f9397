"""Reconciliation: meetings pages."""

urlpatterns = []
