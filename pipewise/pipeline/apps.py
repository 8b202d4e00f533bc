from django.apps import AppConfig


class PipelineConfig(AppConfig):
    name = "pipewise.pipeline"
    label = "pipeline"
    verbose_name = "Sales processes and opportunities"
