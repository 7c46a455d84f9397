"""Reconciliation: the reconciliations, one of them, and one transcript of it."""

from django.urls import path

from coding.reconcile import views_reconcile as views

base = "reconcile/<uuid:reconciliation>/<uuid:transcript>/"

urlpatterns = [
    path("reconcile/", views.reconciliations, name="coding-reconciliations"),
    path(
        "reconcile/<uuid:reconciliation>/",
        views.reconciliation_page,
        name="coding-reconciliation",
    ),
    path(
        "reconcile/<uuid:reconciliation>/finish/",
        views.finish,
        name="coding-reconciliation-finish",
    ),
    path(base, views.transcript_page, name="coding-reconcile-transcript"),
    path(f"{base}decide/", views.decide, name="coding-reconcile-decide"),
    path(f"{base}merge/", views.merge, name="coding-reconcile-merge"),
    path(f"{base}consensus/", views.consensus_add, name="coding-reconcile-consensus"),
    path(
        f"{base}consensus/<uuid:coding>/remove/",
        views.consensus_remove,
        name="coding-reconcile-consensus-remove",
    ),
]
