"""Study set-up: inclusion criteria, analysis mode, source projects, interview guides."""

from django.urls import path

from studies.views import protocol, setup

# Mounted at /s/<slug:study>/ (studies.urls): every view here starts with the access gate.
urlpatterns = [
    path("setup/", setup.study_setup, name="study-setup"),
    path("setup/criteria/", setup.criterion_add, name="study-criterion-add"),
    path("setup/criteria/<uuid:criterion>/", setup.criterion_edit, name="study-criterion-edit"),
    path(
        "setup/criteria/<uuid:criterion>/move/",
        setup.criterion_move,
        name="study-criterion-move",
    ),
    path(
        "setup/criteria/<uuid:criterion>/remove/",
        setup.criterion_remove,
        name="study-criterion-remove",
    ),
    path("setup/mode/", setup.mode_change, name="study-mode-change"),
    path("sources/", setup.source_projects, name="study-source-projects"),
    path("sources/new/", setup.source_project_new, name="study-source-project-new"),
    path("sources/<uuid:project>/", setup.source_project_edit, name="study-source-project-edit"),
    path("guides/", protocol.protocols, name="study-protocols"),
    path("guides/new/", protocol.protocol_new, name="study-protocol-new"),
    path("guides/<uuid:protocol>/", protocol.protocol_detail, name="study-protocol"),
    path("guides/<uuid:protocol>/delete/", protocol.protocol_delete, name="study-protocol-delete"),
    path(
        "guides/<uuid:protocol>/table.<str:extension>",
        protocol.protocol_export,
        name="study-protocol-export",
    ),
    # Editing a guide in place; <kind> is domain, question or prompt.
    path(
        "guides/<uuid:protocol>/domains/new/",
        protocol.guide_domain_add,
        name="study-protocol-domain-add",
    ),
    path(
        "guides/<uuid:protocol>/<str:kind>/<uuid:item>/",
        protocol.guide_item_edit,
        name="study-protocol-item-edit",
    ),
    path(
        "guides/<uuid:protocol>/<str:kind>/<uuid:item>/move/",
        protocol.guide_item_move,
        name="study-protocol-item-move",
    ),
    path(
        "guides/<uuid:protocol>/<str:kind>/<uuid:item>/remove/",
        protocol.guide_item_remove,
        name="study-protocol-item-remove",
    ),
    path(
        "guides/<uuid:protocol>/<str:kind>/<uuid:item>/new/",
        protocol.guide_item_add,
        name="study-protocol-item-add",
    ),
]
