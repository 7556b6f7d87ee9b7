"""What the client raises: one class per kind of failure, each carrying the server's own words.

Every refusal the server sends keeps DRF's shapes: `{"detail": "..."}`, field errors
(`{"phase": ["..."]}`, nested for structured fields) or, for bundles, `{"errors": [...],
"warnings": [...]}`. `messages` flattens any of them into lines a person can read.
"""

from __future__ import annotations

from typing import Any


class PodiumError(Exception):
    """Anything the client could not do; `str()` says why."""


class NotConfigured(PodiumError):
    """No server address (or no token where one is needed) was given or stored."""


class NotSignedIn(PodiumError):
    """The command needs an account, and no token was given or stored."""


class ConnectionFailed(PodiumError):
    """The server could not be reached, or stopped answering."""


class UnexpectedResponse(PodiumError):
    """The server answered something that is not what this endpoint answers (not JSON, or
    not the shape expected): usually a URL that is not a Podium server."""


class ApiError(PodiumError):
    """The server refused or failed a request. `status` is the HTTP status, `errors` the
    server's messages one per line, `body` the decoded answer (None when it was not JSON)."""

    def __init__(
        self, *, status: int, method: str, path: str, errors: list[str], body: Any = None
    ) -> None:
        self.status = status
        self.method = method
        self.path = path
        self.errors = errors
        self.body = body
        super().__init__("; ".join(errors))

    @property
    def message(self) -> str:
        return str(self)


class BadRequest(ApiError):
    """400: the request was understood and refused; `errors` names each problem."""


class AuthenticationFailed(ApiError):
    """401: no token, or the token is unknown, revoked or its account deactivated."""


class PermissionDenied(ApiError):
    """403: signed in, but not allowed to do this."""


class NotFound(ApiError):
    """404: no such object, or one the caller may not see (the server says the same)."""


class EndpointMissing(NotFound):
    """404 from the URL router rather than from an endpoint: this server has no such
    endpoint (an older Podium, or not Podium at all)."""


class Conflict(ApiError):
    """409: the object's state does not allow this now."""


class TooLarge(ApiError):
    """413: larger than the server takes, or than the caller's storage quota."""


class Throttled(ApiError):
    """429: too many requests; `retry_after` is the seconds to wait, when the server said."""

    retry_after: int | None = None


class ServerError(ApiError):
    """5xx: the server failed; nothing the caller did wrong."""


BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: AuthenticationFailed,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    413: TooLarge,
    429: Throttled,
}


def messages(body: Any, path: str = "") -> list[str]:
    """Every message in a DRF error body, each prefixed with the field path it is about."""
    prefix = f"{path}: " if path else ""
    if body is None:
        return []
    if isinstance(body, str):
        return [prefix + body]
    if isinstance(body, list):
        found: list[str] = []
        for position, item in enumerate(body):
            if isinstance(item, dict | list) and item:
                found.extend(messages(item, f"{path}[{position}]" if path else f"[{position}]"))
            elif not isinstance(item, dict | list):
                found.append(prefix + str(item))
        return found
    if isinstance(body, dict):
        if set(body) <= {"errors", "warnings"} and isinstance(body.get("errors"), list):
            return [str(item) for item in body["errors"]]
        found = []
        for key, value in body.items():
            if key in ("detail", "non_field_errors") and not path:
                found.extend(messages(value))
            else:
                found.extend(messages(value, f"{path}.{key}" if path else str(key)))
        return found
    return [prefix + str(body)]
