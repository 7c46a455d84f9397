"""Themes: the thematic map, its downloads and its snapshots."""

from django.urls import path

from themes import views_map

urlpatterns = [
    path("map/", views_map.map_page, name="themes-map"),
    path("map.svg", views_map.map_download, name="themes-map-svg"),
    path("map/move/", views_map.map_move, name="themes-map-move"),
    path("map/links/", views_map.map_link_create, name="themes-map-link-add"),
    path(
        "map/links/<uuid:link>/remove/",
        views_map.map_link_delete,
        name="themes-map-link-remove",
    ),
    path("map/snapshots/", views_map.map_snapshots, name="themes-map-snapshots"),
    path("map/snapshots/save/", views_map.map_snapshot_create, name="themes-map-snapshot-save"),
    path(
        "map/snapshots/<uuid:snapshot>.svg",
        views_map.map_snapshot_download,
        name="themes-map-snapshot-svg",
    ),
]
