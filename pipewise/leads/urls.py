from django.urls import path

from pipewise.leads import views

app_name = "leads"

urlpatterns = [
    path("leads/", views.lead_list, name="list"),
    path("leads/new/", views.lead_create_view, name="create"),
    path("leads/bulk/", views.lead_bulk, name="bulk"),
    path("leads/lookup/", views.lead_lookup, name="lookup"),
    path("leads/<int:pk>/", views.lead_detail, name="detail"),
    path("leads/<int:pk>/edit/", views.lead_edit, name="edit"),
    path("leads/<int:pk>/status/", views.lead_status, name="status"),
    path("leads/<int:pk>/convert/", views.lead_convert_view, name="convert"),
]
