"""Interviews and the life of their audio."""

from django.urls import path

from studies.views import audio

urlpatterns = [
    path("interviews/", audio.interviews, name="study-interviews"),
    path("interviews/new/", audio.interview_create, name="study-interview-create"),
    path("interviews/<uuid:interview>/", audio.interview_edit, name="study-interview-edit"),
    path(
        "interviews/<uuid:interview>/verify/",
        audio.interview_verify,
        name="study-interview-verify",
    ),
    path(
        "interviews/<uuid:interview>/delete-audio/",
        audio.audio_delete,
        name="study-interview-audio-delete",
    ),
    path(
        "interviews/audio-deletion-record.csv",
        audio.audio_deletion_record,
        {"extension": "csv"},
        name="study-audio-deletion-record-csv",
    ),
    path(
        "interviews/audio-deletion-record.docx",
        audio.audio_deletion_record,
        {"extension": "docx"},
        name="study-audio-deletion-record-docx",
    ),
]
