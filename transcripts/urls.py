from django.urls import path

from transcripts.views import imports, review

# Mounted at /s/<slug:study>/transcripts/: every view here starts with studies.access.study_access.
urlpatterns = [
    path("", imports.transcript_list, name="transcript-list"),
    path("import/", imports.import_page, name="transcript-import"),
    path("import/jobs/", imports.import_jobs, name="transcript-import-jobs"),
    path("import/<uuid:job>/", imports.import_job, name="transcript-import-job"),
    path("import/<uuid:job>/file", imports.upload_file, name="transcript-upload-file"),
    path("identifiers/", review.identifiers, name="transcript-identifiers"),
    path("identifiers/search/", review.search_all, name="transcript-search-all"),
    path("identifiers/search/progress/", review.search_progress, name="transcript-search-progress"),
    path(
        "identifiers/<uuid:entry>/remove/",
        review.identifier_remove,
        name="transcript-identifier-remove",
    ),
    path("<uuid:transcript>/anonymise/", review.workspace, name="transcript-review"),
    path("<uuid:transcript>/anonymise/decide/", review.decide, name="transcript-review-decide"),
    path("<uuid:transcript>/anonymise/add/", review.add, name="transcript-review-add"),
    path("<uuid:transcript>/anonymise/detect/", review.detect, name="transcript-review-detect"),
    path("<uuid:transcript>/anonymise/apply/", review.apply, name="transcript-review-apply"),
    path(
        "<uuid:transcript>/anonymise/sign-off/", review.sign_off, name="transcript-review-sign-off"
    ),
    path("<uuid:transcript>/anonymise/check/", review.check, name="transcript-review-check"),
    path("<uuid:transcript>/anonymise/lock/", review.lock, name="transcript-review-lock"),
    path(
        "<uuid:transcript>/anonymise/verified/", review.verify_audio, name="transcript-verify-audio"
    ),
    path("<uuid:transcript>/correct/", review.correct, name="transcript-correct"),
    # The custodians' copy of the text before anonymisation, and the log: 404 for everyone else.
    path("<uuid:transcript>/original/", review.original, name="transcript-original"),
]
