"""Coding: familiarisation notes, memos, the reflexive journal and search."""

from django.urls import path

from coding import views_notes as views

urlpatterns = [
    path("notes/", views.notes_page, name="coding-notes"),
    path("notes/dataset/", views.note_dataset, name="coding-note-dataset"),
    path("notes/<uuid:transcript>/", views.note_transcript, name="coding-note-transcript"),
    path("memos/<slug:on>/<uuid:target>/", views.memos_page, name="coding-memos"),
    path("memos/<slug:on>/<uuid:target>/add/", views.memo_add, name="coding-memo-add"),
    path("memos/<uuid:memo>/edit/", views.memo_edit, name="coding-memo-edit"),
    path("memos/<uuid:memo>/delete/", views.memo_delete, name="coding-memo-delete"),
    path("journal/", views.journal, name="coding-journal"),
    path("journal/new/", views.journal_new, name="coding-journal-new"),
    path("journal/<uuid:entry>/", views.journal_entry, name="coding-journal-entry"),
    path("journal/<uuid:entry>/edit/", views.journal_edit, name="coding-journal-edit"),
    path("journal/<uuid:entry>/delete/", views.journal_delete, name="coding-journal-delete"),
    path("search/", views.search, name="coding-search"),
]
