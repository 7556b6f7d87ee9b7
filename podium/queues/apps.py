from django.apps import AppConfig


class QueuesConfig(AppConfig):
    name = "podium.queues"
    label = "queues"
