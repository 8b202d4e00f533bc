"""URL map: the API under /api/v1/, its schema and docs, health, the web workspace."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from pipewise.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("pipewise.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("", include("pipewise.web.urls")),
]

handler403 = "pipewise.web.views.permission_denied"
handler404 = "pipewise.web.views.page_not_found"
handler500 = "pipewise.web.views.server_error"
