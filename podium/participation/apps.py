from django.apps import AppConfig


class ParticipationConfig(AppConfig):
    name = "podium.participation"
    label = "participation"
