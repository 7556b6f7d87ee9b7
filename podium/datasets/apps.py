from django.apps import AppConfig


class DatasetsConfig(AppConfig):
    name = "podium.datasets"
    label = "datasets"
