"""Reconciliation: reconcile pages."""

urlpatterns = []
