"""Themes: board pages."""

from django.urls import path

from themes import views_board

urlpatterns = [
    path("", views_board.board_page, name="themes-board"),
    path("new/", views_board.theme_create, name="themes-create"),
    path("codes/place/", views_board.code_place, name="themes-place"),
    path("codes/remove/", views_board.code_unplace, name="themes-unplace"),
    path("<uuid:theme>/", views_board.theme_page, name="themes-theme"),
    path("<uuid:theme>/edit/", views_board.theme_edit, name="themes-edit"),
    path("<uuid:theme>/status/", views_board.theme_status, name="themes-status"),
    path("<uuid:theme>/move/", views_board.theme_move, name="themes-move"),
]
