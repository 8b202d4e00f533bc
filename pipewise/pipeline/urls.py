from django.urls import path

from pipewise.pipeline import views

app_name = "pipeline"

urlpatterns = [
    path("opportunities/", views.opportunity_list_view, name="list"),
    path("opportunities/new/", views.opportunity_create_view, name="create"),
    path("opportunities/lookup/", views.opportunity_lookup, name="lookup"),
    path("opportunities/<int:pk>/", views.opportunity_detail, name="detail"),
    path("opportunities/<int:pk>/edit/", views.opportunity_edit, name="edit"),
    path("opportunities/<int:pk>/move/", views.opportunity_move, name="move"),
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
]
