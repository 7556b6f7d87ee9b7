from django.apps import AppConfig


class ManageConfig(AppConfig):
    name = "podium.manage"
    label = "manage"
    verbose_name = "Management pages"
