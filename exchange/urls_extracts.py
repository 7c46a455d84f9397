"""Exchange: extracts pages."""

from django.urls import path

from exchange import views_extracts

urlpatterns = [
    path("extracts.csv", views_extracts.extracts_csv, name="exchange-extracts-csv"),
    path("extracts.xlsx", views_extracts.extracts_xlsx, name="exchange-extracts-xlsx"),
]
