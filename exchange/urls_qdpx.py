"""Exchange: the exchange page, REFI-QDA export (here) and import (`exchange.urls_import`)."""

from django.urls import path

from exchange import views_export
from exchange.urls_import import urlpatterns as import_urlpatterns

urlpatterns = [
    path("", views_export.home, name="exchange-home"),
    path("qdpx/export.qdpx", views_export.qdpx_export, name="exchange-qdpx-export"),
    path("qdpx/codebook.qdc", views_export.qdc_export, name="exchange-qdc-export"),
]
urlpatterns += import_urlpatterns
