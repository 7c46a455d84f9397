"""Reconciliation: meetings pages, and the decision log with its CSV download."""

from django.urls import path

from coding.reconcile import views_meetings as views

urlpatterns = [
    path("reconcile/meetings/", views.meeting_list, name="coding-meetings"),
    path("reconcile/meetings/new/", views.meeting_new, name="coding-meeting-new"),
    path("reconcile/meetings/<uuid:meeting>/", views.meeting_page, name="coding-meeting"),
    path("reconcile/meetings/<uuid:meeting>/edit/", views.meeting_edit, name="coding-meeting-edit"),
    path(
        "reconcile/meetings/<uuid:meeting>/delete/",
        views.meeting_delete,
        name="coding-meeting-delete",
    ),
    path("reconcile/decisions/", views.decision_log, name="coding-decisions"),
    path("reconcile/decisions.csv", views.decision_log_csv, name="coding-decisions-csv"),
]
