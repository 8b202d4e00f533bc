from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "pipewise.web"
    label = "web"
    verbose_name = "Web workspace"
