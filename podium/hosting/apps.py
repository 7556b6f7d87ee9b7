from django.apps import AppConfig


class HostingConfig(AppConfig):
    name = "podium.hosting"
    label = "hosting"
    verbose_name = "Host pages"
