from django.urls import path

from transcripts import views

# Mounted at /s/<slug:study>/transcripts/: every view here starts with studies.access.study_access.
urlpatterns = [
    path("", views.transcript_list, name="transcript-list"),
    path("import/", views.import_page, name="transcript-import"),
    path("import/jobs/", views.import_jobs, name="transcript-import-jobs"),
    path("import/<uuid:job>/", views.import_job, name="transcript-import-job"),
    path("import/<uuid:job>/file", views.upload_file, name="transcript-upload-file"),
]
