"""Reconciliation: aligning codes across coders."""

from django.urls import path

from coding.reconcile import views_alignment as views

urlpatterns = [
    path("reconcile/alignment/", views.alignment_page, name="coding-alignment"),
    path("reconcile/alignment/confirm/", views.alignment_confirm, name="coding-alignment-confirm"),
    path("reconcile/alignment/remove/", views.alignment_remove, name="coding-alignment-remove"),
]
