from django.urls import include, path

from studies import urls_audio, urls_setup
from studies.views import audit, members, participants, studies, vault

# Mounted at /s/<slug:study>/: every view here starts with studies.access.study_access.
study_urlpatterns = [
    path("", studies.study_home, name="study-home"),
    path("settings/", studies.study_settings, name="study-settings"),
    path("members/", members.members, name="study-members"),
    path("members/<str:username>/", members.member_change, name="study-member-change"),
    path("members/<str:username>/remove/", members.member_remove, name="study-member-remove"),
    path("audit/", audit.audit_log, name="study-audit"),
    path("audit.csv", audit.audit_log_csv, name="study-audit-csv"),
    path("participants/", participants.participant_list, name="study-participants"),
    path(
        "participants.<str:fmt>",
        participants.participant_table_export,
        name="study-participants-export",
    ),
    path("participants/new/", participants.participant_create, name="study-participant-new"),
    path(
        "participants/<uuid:participant>/",
        participants.participant_edit,
        name="study-participant-edit",
    ),
    path("attributes/", participants.attribute_list, name="study-attributes"),
    path("attributes/<uuid:attribute>/", participants.attribute_edit, name="study-attribute-edit"),
    path(
        "attributes/<uuid:attribute>/remove/",
        participants.attribute_delete,
        name="study-attribute-delete",
    ),
    # The identity vault: custodians only, after the second factor; 404 for everyone else.
    path("vault/", vault.vault_roster, name="vault-roster"),
    path("vault/<uuid:participant>/", vault.vault_participant, name="vault-participant"),
    path("vault/<uuid:participant>/withdraw/", vault.vault_withdraw, name="vault-withdraw"),
    path("", include(urls_setup)),
    path("", include(urls_audio)),
]

urlpatterns = [
    path("", studies.study_list, name="study-list"),
    path("studies/new/", studies.study_create, name="study-create"),
]
