"""Which broker URLs a queue may name.

The server connects to a queue's broker to publish its jobs, so a broker URL is a field
that makes the server open a connection (HOSTILE C29). Anyone may name a broker on the
internet; only platform admins (the operator) may name one on the server's own networks:
loopback, private, link-local and other non-global addresses, and the names that usually
point there (`localhost`, single-label names such as a compose file's `rabbitmq`, `.local`,
`.internal`). Addresses are read the way the resolver reads them, so `2130706433` and
`0x7f.1` are 127.0.0.1.

A name is not resolved here: what it resolves to may change after it is checked, so a
check at connection time is the one that holds against a name that moves.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import urlsplit

SCHEMES = ("amqp", "amqps", "pyamqp", "redis", "rediss")
INTERNAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa", ".intranet")
HOST_NAME = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*")
NUMERIC_IPV4 = re.compile(r"[0-9A-Fa-fXx.]+")


class BrokerUrlRefused(ValueError):
    """A broker URL a queue may not name; the message says why."""


def check_broker_url(url: str, *, trusted: bool) -> None:
    """Refuses a URL that is not a broker's or, unless `trusted`, points into the server's
    own networks. The empty URL means the platform's own broker and is always accepted."""
    if url == "":
        return
    if any(character.isspace() or not character.isprintable() for character in url):
        # urlsplit drops tabs and newlines silently; the broker client might not.
        raise BrokerUrlRefused("the URL holds whitespace or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise BrokerUrlRefused(f"not a valid URL: {exc}") from None
    if parts.scheme not in SCHEMES:
        raise BrokerUrlRefused(
            f"the scheme must be one of {', '.join(SCHEMES)}, not {parts.scheme or 'none'!r}"
        )
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise BrokerUrlRefused("the URL names no host")
    if port == 0:
        raise BrokerUrlRefused("port 0 is not a broker's")
    if _as_address(host) is None and not HOST_NAME.fullmatch(host):
        raise BrokerUrlRefused(f"{host!r} is not a host name")
    if not trusted and is_internal(host):
        raise BrokerUrlRefused(
            f"{host!r} is on the server's own networks; only platform admins may name it"
        )


def is_internal(host: str) -> bool:
    """Whether `host` (a name or an address, without brackets) points into private or
    otherwise non-global networks, or is a name that usually does."""
    address = _as_address(host)
    if address is None:
        name = host.lower()
        return "." not in name or name == "localhost" or name.endswith(INTERNAL_SUFFIXES)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def _as_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    if not NUMERIC_IPV4.fullmatch(host):
        return None
    try:
        # The C resolver's reading of IPv4: decimal, octal and hexadecimal parts, fewer
        # than four of them.
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None
