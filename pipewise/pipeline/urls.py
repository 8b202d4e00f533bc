from django.urls import path

from pipewise.pipeline import views, views_process

app_name = "pipeline"

urlpatterns = [
    path("opportunities/", views.opportunity_list_view, name="list"),
    path("opportunities/new/", views.opportunity_create_view, name="create"),
    path("opportunities/lookup/", views.opportunity_lookup, name="lookup"),
    path("opportunities/<int:pk>/", views.opportunity_detail, name="detail"),
    path("opportunities/<int:pk>/edit/", views.opportunity_edit, name="edit"),
    path("opportunities/<int:pk>/move/", views.opportunity_move, name="move"),
    path(
        "opportunities/<int:pk>/close/<str:outcome>/",
        views.opportunity_close_view,
        name="close",
    ),
    path("opportunities/<int:pk>/reopen/", views.opportunity_reopen_view, name="reopen"),
    path("opportunities/<int:pk>/line-items/", views.opportunity_line_items, name="line_items"),
    path("board/", views.board, name="board"),
    path("board/<int:pipeline_id>/", views.board, name="board_pipeline"),
    path(
        "board/<int:pipeline_id>/stages/<int:stage_id>/cards/",
        views.board_column,
        name="board_column",
    ),
    path("settings/pipelines/", views.pipeline_list, name="pipeline_list"),
    path("settings/pipelines/new/", views.pipeline_edit, name="pipeline_create"),
    path("settings/pipelines/<int:pk>/", views.pipeline_edit, name="pipeline_edit"),
    # the process matrix, its map and milestones; quotes and orders
    path(
        "settings/pipelines/<int:pk>/stages/<int:stage_id>/",
        views_process.stage_playbook_edit,
        name="stage_playbook",
    ),
    path("settings/price-lists/", views_process.price_list_list, name="price_lists"),
    path("settings/price-lists/new/", views_process.price_list_edit, name="price_list_create"),
    path(
        "settings/price-lists/<int:price_list_id>/",
        views_process.price_list_edit,
        name="price_list_edit",
    ),
    path(
        "opportunities/<int:pk>/milestones/<int:milestone_id>/",
        views_process.opportunity_milestone_toggle,
        name="milestone_toggle",
    ),
    path(
        "opportunities/<int:pk>/discount-approval/",
        views_process.discount_request_view,
        name="discount_request",
    ),
    path("opportunities/<int:pk>/quotes/", views_process.quote_create_view, name="quote_create"),
    path("quotes/<int:quote_id>/pdf/", views_process.quote_pdf, name="quote_pdf"),
    path("approvals/", views_process.approval_list, name="approvals"),
    path(
        "approvals/<int:approval_id>/decide/",
        views_process.discount_decide_view,
        name="discount_decide",
    ),
    path("orders/", views_process.order_list, name="orders"),
    path("orders/<int:order_id>/status/", views_process.order_status_view, name="order_status"),
    path("process/", views_process.process_map_view, name="process_map"),
    path(
        "process/<int:pipeline_id>/",
        views_process.process_map_view,
        name="process_map_pipeline",
    ),
    path("process/milestones/", views_process.milestone_report_view, name="milestone_report"),
]
