"""Which broker URLs a queue may name (HOSTILE C29): a corpus, each URL with its verdict
for a user and for a platform admin. No database, no network."""

from __future__ import annotations

import pytest

from podium.queues.brokers import BrokerUrlRefused, check_broker_url, is_internal

OWN_NETWORKS = "is on the server's own networks; only platform admins may name it"

# (url, verdict for a user, verdict for a platform admin): None is accepted, a string is
# the refusal's message.
CORPUS = [
    ("", None, None),
    ("amqp://worker:secret@rabbit.example.org:5672/podium", None, None),
    ("amqps://rabbit.example.org/vhost", None, None),
    ("pyamqp://rabbit.example.org//", None, None),
    ("redis://cache.example.org:6379/0", None, None),
    ("rediss://:token@cache.example.org:6380/1", None, None),
    ("amqp://8.8.8.8/", None, None),
    ("amqp://[2001:4860:4860::8888]:5672/", None, None),
    ("amqp://127.0.0.1:5672/", f"'127.0.0.1' {OWN_NETWORKS}", None),
    ("amqp://localhost/", f"'localhost' {OWN_NETWORKS}", None),
    ("amqp://LOCALHOST./", f"'localhost' {OWN_NETWORKS}", None),
    ("amqp://rabbitmq:5672/", f"'rabbitmq' {OWN_NETWORKS}", None),
    ("redis://db.internal/", f"'db.internal' {OWN_NETWORKS}", None),
    ("redis://printer.local/", f"'printer.local' {OWN_NETWORKS}", None),
    ("redis://api.localhost/", f"'api.localhost' {OWN_NETWORKS}", None),
    ("amqp://10.1.2.3/", f"'10.1.2.3' {OWN_NETWORKS}", None),
    ("amqp://172.16.0.9/", f"'172.16.0.9' {OWN_NETWORKS}", None),
    ("amqp://192.168.1.1/", f"'192.168.1.1' {OWN_NETWORKS}", None),
    ("amqp://100.64.0.1/", f"'100.64.0.1' {OWN_NETWORKS}", None),
    ("amqp://169.254.169.254/", f"'169.254.169.254' {OWN_NETWORKS}", None),
    ("amqp://0.0.0.0/", f"'0.0.0.0' {OWN_NETWORKS}", None),
    ("amqp://224.0.0.1/", f"'224.0.0.1' {OWN_NETWORKS}", None),
    # IPv4 as the C resolver reads it: one number, hexadecimal, octal, fewer parts
    ("amqp://2130706433/", f"'2130706433' {OWN_NETWORKS}", None),
    ("amqp://0x7f.1/", f"'0x7f.1' {OWN_NETWORKS}", None),
    ("amqp://0177.0.0.1/", f"'0177.0.0.1' {OWN_NETWORKS}", None),
    ("amqp://10.1/", f"'10.1' {OWN_NETWORKS}", None),
    ("redis://[::1]:6379/", f"'::1' {OWN_NETWORKS}", None),
    ("redis://[::ffff:127.0.0.1]/", f"'::ffff:127.0.0.1' {OWN_NETWORKS}", None),
    ("redis://[fe80::1%25eth0]/", f"'fe80::1%25eth0' {OWN_NETWORKS}", None),
    ("redis://[fd00::5]/", f"'fd00::5' {OWN_NETWORKS}", None),
    # not a broker's URL at all: refused for everyone
    (
        "http://rabbit.example.org/",
        "the scheme must be one of amqp, amqps, pyamqp, redis, rediss, not 'http'",
        "the scheme must be one of amqp, amqps, pyamqp, redis, rediss, not 'http'",
    ),
    (
        "filesystem:///var/lib/podium",
        "the scheme must be one of amqp, amqps, pyamqp, redis, rediss, not 'filesystem'",
        "the scheme must be one of amqp, amqps, pyamqp, redis, rediss, not 'filesystem'",
    ),
    (
        "rabbit.example.org",
        "the scheme must be one of amqp, amqps, pyamqp, redis, rediss, not 'none'",
        "the scheme must be one of amqp, amqps, pyamqp, redis, rediss, not 'none'",
    ),
    ("amqp:///vhost", "the URL names no host", "the URL names no host"),
    (
        "amqp://rabbit.example.org:99999/",
        "not a valid URL: Port out of range 0-65535",
        "not a valid URL: Port out of range 0-65535",
    ),
    ("amqp://rabbit.example.org:0/", "port 0 is not a broker's", "port 0 is not a broker's"),
    (
        "amqp://rabbit.example.org\n/",
        "the URL holds whitespace or control characters",
        "the URL holds whitespace or control characters",
    ),
    (
        "amqp://rab\tbit.example.org/",
        "the URL holds whitespace or control characters",
        "the URL holds whitespace or control characters",
    ),
    (
        "amqp://rabbit.example.org%00/",
        "'rabbit.example.org%00' is not a host name",
        "'rabbit.example.org%00' is not a host name",
    ),
]


def verdict(url: str, *, trusted: bool) -> str | None:
    try:
        check_broker_url(url, trusted=trusted)
    except BrokerUrlRefused as exc:
        return str(exc)
    return None


@pytest.mark.parametrize(("url", "for_user", "for_admin"), CORPUS, ids=[c[0] for c in CORPUS])
def test_each_broker_url_gets_its_verdict(url, for_user, for_admin):
    assert (verdict(url, trusted=False), verdict(url, trusted=True)) == (for_user, for_admin)


@pytest.mark.parametrize(
    ("host", "internal"),
    [
        ("rabbit.example.org", False),
        ("8.8.8.8", False),
        ("rabbitmq", True),
        ("127.0.0.2", True),
        ("::", True),
        ("::ffff:10.0.0.1", True),
        ("::ffff:8.8.8.8", False),
        ("cafe.be", False),
    ],
)
def test_a_host_is_internal_when_it_points_into_non_global_networks(host, internal):
    assert is_internal(host) is internal
