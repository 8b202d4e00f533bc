from django.urls import path

from pipewise.customers import views

app_name = "customers"

urlpatterns = [
    path("accounts/", views.account_list, name="account_list"),
    path("accounts/new/", views.account_create_view, name="account_create"),
    path("accounts/lookup/", views.account_lookup, name="account_lookup"),
    path("accounts/<int:pk>/", views.account_detail, name="account_detail"),
    path("accounts/<int:pk>/edit/", views.account_edit, name="account_edit"),
    path("contacts/", views.contact_list, name="contact_list"),
    path("contacts/new/", views.contact_create_view, name="contact_create"),
    path("contacts/lookup/", views.contact_lookup, name="contact_lookup"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact_detail"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
]
