from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "podium.organizations"
    label = "organizations"
