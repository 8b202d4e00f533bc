"""The REST API, version 1: every app's viewsets under /api/v1/."""

from rest_framework.routers import DefaultRouter

from pipewise.activities.api import ActivityViewSet, TaskViewSet
from pipewise.catalog.api import ProductViewSet
from pipewise.customers.api import AccountViewSet, ContactViewSet
from pipewise.leads.api import LeadViewSet
from pipewise.org.api import (
    ProductLineViewSet,
    SegmentViewSet,
    TeamViewSet,
    TerritoryViewSet,
    UserViewSet,
)
from pipewise.pipeline.api import OpportunityViewSet, PipelineViewSet, StageViewSet
from pipewise.reports.api import KpiViewSet

router = DefaultRouter()
router.register("users", UserViewSet, basename="user")
router.register("teams", TeamViewSet, basename="team")
router.register("territories", TerritoryViewSet, basename="territory")
router.register("segments", SegmentViewSet, basename="segment")
router.register("product-lines", ProductLineViewSet, basename="productline")
router.register("products", ProductViewSet, basename="product")
router.register("accounts", AccountViewSet, basename="account")
router.register("contacts", ContactViewSet, basename="contact")
router.register("leads", LeadViewSet, basename="lead")
router.register("pipelines", PipelineViewSet, basename="pipeline")
router.register("stages", StageViewSet, basename="stage")
router.register("opportunities", OpportunityViewSet, basename="opportunity")
router.register("activities", ActivityViewSet, basename="activity")
router.register("tasks", TaskViewSet, basename="task")
router.register("kpis", KpiViewSet, basename="kpi")

urlpatterns = router.urls
