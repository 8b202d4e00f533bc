from django.urls import path

from pipewise.org import views

app_name = "org"

urlpatterns = [
    path("settings/users/", views.user_list_view, name="user_list"),
    path("settings/users/new/", views.user_edit, name="user_create"),
    path("settings/users/<int:pk>/", views.user_edit, name="user_edit"),
    path("settings/teams/", views.team_list, name="team_list"),
    path("settings/teams/new/", views.team_edit, name="team_create"),
    path("settings/teams/<int:pk>/", views.team_edit, name="team_edit"),
    path("settings/territories/", views.territory_list, name="territory_list"),
    path("settings/territories/new/", views.territory_edit, name="territory_create"),
    path("settings/territories/<int:pk>/", views.territory_edit, name="territory_edit"),
]
