from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_save


def _vouch_for_operator_created(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    from podium.accounts import services

    if created and not kwargs.get("raw"):
        services.vouch_for_address(instance)


class AccountsConfig(AppConfig):
    name = "podium.accounts"
    label = "accounts"

    def ready(self) -> None:
        # Accounts made without the sign-up form (createuser, createsuperuser, demo, the
        # admin) need no email verification: see services.vouch_for_address.
        post_save.connect(
            _vouch_for_operator_created,
            sender=self.get_model("User"),
            dispatch_uid="podium.accounts.vouch",
        )
