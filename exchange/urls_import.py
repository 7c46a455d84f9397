"""Exchange: importing a REFI-QDA project (included by `exchange.urls_qdpx`)."""

from django.urls import path

from exchange import views_import

urlpatterns = [
    path("qdpx/import/", views_import.qdpx_import_page, name="exchange-qdpx-import"),
]
