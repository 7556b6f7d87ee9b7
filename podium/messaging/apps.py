from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "podium.messaging"
    verbose_name = "Mail"
