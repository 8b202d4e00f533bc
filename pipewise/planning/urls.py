from django.urls import path

from pipewise.planning import views

app_name = "planning"

urlpatterns = [
    path("targets/", views.target_grid_view, name="targets"),
    path("targets/new/", views.target_create_view, name="target_create"),
    path("targets/import/", views.target_import_view, name="targets_import"),
    path("targets/<int:pk>/", views.target_detail, name="target"),
    path("targets/<int:pk>/split/", views.target_split, name="target_split"),
    path("targets/<int:pk>/allocate/", views.target_allocate, name="target_allocate"),
    path("targets/<int:pk>/delete/", views.target_delete_view, name="target_delete"),
    path("targets/<int:pk>/records/", views.target_records_view, name="target_records"),
    path("attainment/", views.attainment_view, name="attainment"),
    path("seasonality/", views.profile_list, name="profiles"),
    path("seasonality/new/", views.profile_create_view, name="profile_create"),
    path("seasonality/derive-all/", views.profile_derive_all_view, name="profile_derive_all"),
    path("seasonality/derive/", views.profile_derive_view, name="profile_derive"),
    path("seasonality/<int:pk>/", views.profile_detail, name="profile"),
    path("ramps/", views.ramp_save_view, name="ramp_save"),
    path("plans/", views.plan_list, name="plans"),
    path("plans/new/", views.plan_create_view, name="plan_create"),
    path("plans/<int:pk>/", views.plan_detail, name="plan"),
    path(
        "plans/<int:pk>/<slug:action>/",
        views.plan_action,
        name="plan_action",
    ),
]
