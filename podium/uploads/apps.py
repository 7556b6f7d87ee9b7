from django.apps import AppConfig


class UploadsConfig(AppConfig):
    name = "podium.uploads"
    verbose_name = "Large uploads"
