"""`Authorization: Token <key>` against Podium's hashed, named tokens.

Only the header is read: a key in a query string or a form field authenticates nothing
(HOSTILE C28), since URLs end up in logs, histories and Referer headers.
"""

from __future__ import annotations

from rest_framework import authentication, exceptions

from podium.accounts import services
from podium.accounts.models import ApiToken, User


class TokenAuthentication(authentication.TokenAuthentication):
    keyword = "Token"
    model = ApiToken

    def authenticate_credentials(self, key: str) -> tuple[User, ApiToken]:
        token = services.token_for_key(key)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if token.expired():
            assert token.expires is not None
            raise exceptions.AuthenticationFailed(
                f"Token expired on {token.expires:%Y-%m-%d %H:%M} UTC; create a new one."
            )
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return token.user, token
