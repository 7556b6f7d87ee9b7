"""Podium's command-line and Python client. It speaks HTTP to the REST API and nothing else.

`Client` is the Python client; `podium` (podium_client.cli) is the command line over it.
"""

from podium_client.client import VERSION, Client, StillRunning
from podium_client.errors import (
    ApiError,
    AuthenticationFailed,
    BadRequest,
    ConnectionFailed,
    EndpointMissing,
    NotFound,
    PermissionDenied,
    PodiumError,
)

__version__ = VERSION
__all__ = [
    "ApiError",
    "AuthenticationFailed",
    "BadRequest",
    "Client",
    "ConnectionFailed",
    "EndpointMissing",
    "NotFound",
    "PermissionDenied",
    "PodiumError",
    "StillRunning",
]
