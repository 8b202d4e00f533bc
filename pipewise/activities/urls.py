from django.urls import path

from pipewise.activities import views

app_name = "activities"

urlpatterns = [
    path("tasks/", views.task_list, name="task_list"),
    path("tasks/new/", views.task_create_view, name="task_create"),
    path("tasks/<int:pk>/", views.task_detail, name="task_detail"),
    path("tasks/<int:pk>/edit/", views.task_edit, name="task_edit"),
    path("tasks/<int:pk>/complete/", views.task_complete_view, name="task_complete"),
    path("tasks/<int:pk>/todos/", views.task_todos, name="task_todos"),
    path("todos/<int:pk>/toggle/", views.todo_toggle, name="todo_toggle"),
    path("activities/new/", views.activity_create, name="activity_create"),
    path("activities/quick-call/", views.quick_call, name="quick_call"),
    path("activities/quick-task/", views.quick_task, name="quick_task"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/<int:pk>/open/", views.notification_open, name="notification_open"),
    path("notifications/read-all/", views.notification_read_all, name="notification_read_all"),
    path(
        "notifications/preferences/",
        views.notification_preferences_view,
        name="notification_preferences",
    ),
    path("profile/", views.profile, name="profile"),
    path("profile/calendar/", views.calendar_feed_manage, name="calendar_manage"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
]
