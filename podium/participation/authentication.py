"""`Authorization: Key <key>`: how an external system reads one competition's applicants
(`GET /api/competitions/{id}/applicants/`), with a key an organizer created for it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from podium.participation import services
from podium.participation.models import ApplicantsKey


class ApplicantsKeyAuthentication(BaseAuthentication):
    """`Authorization: Key <key>`: an external system reading one competition's applicants.
    It signs in no user; the key is `request.auth`."""

    keyword = "Key"

    def authenticate(self, request: Request) -> tuple[AnonymousUser, ApplicantsKey] | None:
        words = get_authorization_header(request).split()
        if not words or words[0].lower() != self.keyword.lower().encode():
            return None
        if len(words) != 2:
            raise exceptions.AuthenticationFailed("Send the header as: Authorization: Key <key>")
        try:
            secret = words[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("This key is unknown or revoked.") from None
        key = services.key_for(secret)
        if key is None:
            raise exceptions.AuthenticationFailed("This key is unknown or revoked.")
        return AnonymousUser(), key

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


class ApplicantsKeyScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = ApplicantsKeyAuthentication
    name = "applicantsKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Key <key>`: a key an organizer created for one competition.",
        }
