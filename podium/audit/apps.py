from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "podium.audit"
    label = "audit"
