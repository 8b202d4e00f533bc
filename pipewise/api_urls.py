"""The REST API, version 1: every app's viewsets under /api/v1/."""

from rest_framework.routers import DefaultRouter

from pipewise.activities.api import (
    ActivityViewSet,
    CalendarViewSet,
    NotificationPreferenceViewSet,
    NotificationViewSet,
    TaskViewSet,
)
from pipewise.catalog.api import PriceListItemViewSet, PriceListViewSet, ProductViewSet
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
from pipewise.pipeline.api_matrix import (
    DiscountApprovalViewSet,
    FollowUpTemplateViewSet,
    MilestoneReportViewSet,
    MilestoneViewSet,
    OpportunityMilestoneViewSet,
    OrderViewSet,
    QuoteViewSet,
    StageToolViewSet,
)
from pipewise.planning.api import (
    AttainmentViewSet,
    ProfileViewSet,
    RampViewSet,
    SalesPlanViewSet,
    TargetViewSet,
)
from pipewise.reports.api import KpiViewSet, SavedReportViewSet

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
router.register("price-lists", PriceListViewSet, basename="pricelist")
router.register("price-list-items", PriceListItemViewSet, basename="pricelistitem")
router.register("milestones", MilestoneViewSet, basename="milestone")
router.register("stage-tools", StageToolViewSet, basename="stagetool")
router.register("follow-up-templates", FollowUpTemplateViewSet, basename="followuptemplate")
router.register(
    "opportunity-milestones", OpportunityMilestoneViewSet, basename="opportunitymilestone"
)
router.register("milestone-report", MilestoneReportViewSet, basename="milestonereport")
router.register("discount-approvals", DiscountApprovalViewSet, basename="discountapproval")
router.register("quotes", QuoteViewSet, basename="quote")
router.register("orders", OrderViewSet, basename="order")
router.register("activities", ActivityViewSet, basename="activity")
router.register("tasks", TaskViewSet, basename="task")
router.register("notifications", NotificationViewSet, basename="notification")
router.register(
    "notification-preferences", NotificationPreferenceViewSet, basename="notificationpreference"
)
router.register("calendar", CalendarViewSet, basename="calendar")
router.register("kpis", KpiViewSet, basename="kpi")
router.register("targets", TargetViewSet, basename="target")
router.register("attainment", AttainmentViewSet, basename="attainment")
router.register("seasonality-profiles", ProfileViewSet, basename="seasonalityprofile")
router.register("ramps", RampViewSet, basename="ramp")
router.register("sales-plans", SalesPlanViewSet, basename="salesplan")
router.register("saved-reports", SavedReportViewSet, basename="savedreport")

urlpatterns = router.urls
