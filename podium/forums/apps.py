from django.apps import AppConfig


class ForumsConfig(AppConfig):
    name = "podium.forums"
    label = "forums"
