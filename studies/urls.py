from django.urls import include, path

from studies import urls_audio, urls_setup
from studies.views import audit, members, studies

# Mounted at /s/<slug:study>/: every view here starts with studies.access.study_access.
study_urlpatterns = [
    path("", studies.study_home, name="study-home"),
    path("settings/", studies.study_settings, name="study-settings"),
    path("members/", members.members, name="study-members"),
    path("members/<str:username>/", members.member_change, name="study-member-change"),
    path("members/<str:username>/remove/", members.member_remove, name="study-member-remove"),
    path("audit/", audit.audit_log, name="study-audit"),
    path("audit.csv", audit.audit_log_csv, name="study-audit-csv"),
    path("", include(urls_setup)),
    path("", include(urls_audio)),
]

urlpatterns = [
    path("", studies.study_list, name="study-list"),
    path("studies/new/", studies.study_create, name="study-create"),
]
