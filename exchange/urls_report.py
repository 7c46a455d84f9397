"""Exchange: the report builder and its .docx export."""

from django.urls import path

from exchange import views_report

urlpatterns = [
    path("report/", views_report.report_page, name="exchange-report"),
    path("report.docx", views_report.report_download, name="exchange-report-docx"),
    path(
        "report/<uuid:theme>/choose/",
        views_report.extract_choose,
        name="exchange-report-choose",
    ),
    path(
        "report/<uuid:theme>/order/",
        views_report.extracts_order,
        name="exchange-report-order",
    ),
    path(
        "report/quotes/<uuid:extract>/remove/",
        views_report.extract_remove,
        name="exchange-report-remove",
    ),
    path(
        "report/quotes/<uuid:extract>/refresh/",
        views_report.extract_refresh,
        name="exchange-report-refresh",
    ),
]
