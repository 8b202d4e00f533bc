from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "pipewise.activities"
    label = "activities"
    verbose_name = "Activities and tasks"
