"""Web workspace URLs: the workspace's own pages, then each app's pages."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from pipewise.web import views

web_patterns = (
    [
        path("", views.my_day, name="my_day"),
        path("search/", views.search, name="search"),
        path("login/", views.LoginView.as_view(), name="login"),
        path("logout/", auth_views.LogoutView.as_view(), name="logout"),
        path("password/", views.PasswordChangeView.as_view(), name="password_change"),
        path(
            "password/done/", views.PasswordChangeDoneView.as_view(), name="password_change_done"
        ),
    ],
    "web",
)

urlpatterns = [
    path("", include(web_patterns)),
    path("", include("pipewise.leads.urls")),
    path("", include("pipewise.customers.urls")),
    path("", include("pipewise.pipeline.urls")),
    path("", include("pipewise.activities.urls")),
    path("", include("pipewise.planning.urls")),
    path("", include("pipewise.org.urls")),
    path("", include("pipewise.reports.urls")),
]
