"""How allauth's flows fit Podium: mail through the outbox, links to SITE_URL, reserved
usernames, and the acceptance of the terms recorded at sign-up."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from podium.accounts.models import DELETED_PREFIX, User
from podium.messaging import services as messaging
from podium.messaging.models import Category

# `me` is the API's name for the caller (/api/users/me/).
RESERVED_USERNAMES = frozenset({"me"})


def site_url(path: str) -> str:
    """Links in mail point at the configured address, never at a request's Host header."""
    return settings.SITE_URL.rstrip("/") + path


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Renders allauth's message and queues it in the outbox: the background sender
        delivers it, and the outbox keeps the record of what was sent."""
        site = SimpleNamespace(name="Podium", domain=urlsplit(settings.SITE_URL).netloc)
        message = self.render_mail(
            template_prefix, email, {"email": email, "current_site": site, **context}
        )
        messaging.queue(
            email, category=Category.ACCOUNT, subject=message.subject, body=str(message.body)
        )

    def get_email_confirmation_url(self, request: HttpRequest | None, confirmation: Any) -> str:
        return site_url(reverse("account_confirm_email", args=[confirmation.key]))

    def get_reset_password_from_key_url(self, key: str) -> str:
        # allauth hands over "<user id in base 36>-<token>"; the id holds no hyphen.
        uidb36, _, token = key.partition("-")
        return site_url(
            reverse("account_reset_password_from_key", kwargs={"uidb36": uidb36, "key": token})
        )

    def clean_username(self, username: str, shallow: bool = False) -> str:
        lowered = username.lower()
        if lowered in RESERVED_USERNAMES or lowered.startswith(DELETED_PREFIX):
            raise ValidationError("This username is reserved; choose another.")
        cleaned: str = super().clean_username(username, shallow=shallow)
        return cleaned

    def save_user(self, request: HttpRequest, user: User, form: Form, commit: bool = True) -> User:
        # The form refuses a sign-up without the box ticked; this is when it was ticked.
        if form.cleaned_data.get("accept_terms"):
            user.terms_accepted_at = timezone.now()
        saved: User = super().save_user(request, user, form, commit=commit)
        return saved
