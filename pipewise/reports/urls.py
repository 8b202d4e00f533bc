"""Web pages of the reports app."""

from django.urls import path

from pipewise.reports import views

app_name = "reports"

urlpatterns = [
    path("dashboards/", views.dashboard_index, name="dashboards"),
    path("dashboards/records/", views.kpi_record_list, name="records"),
    path("dashboards/<slug:slug>/", views.dashboard, name="dashboard"),
    path("reports/", views.report_list, name="report_list"),
    path("reports/new/", views.report_create, name="report_create"),
    path("reports/filter-row/", views.report_filter_row, name="filter_row"),
    path("reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("reports/<int:pk>/edit/", views.report_edit, name="report_edit"),
    path("reports/<int:pk>/delete/", views.report_delete, name="report_delete"),
]
