"""The API against its own schema: schemathesis generates requests for every operation.

Requests go in-process to the WSGI application, signed in as an organizer with a token, in
a world with a competition, a phase, a task and submissions, so that most generated ids and
bodies reach real code rather than stopping at authentication.

The checks, and why these: `not_a_server_error` (no input may cause a 5xx),
`response_schema_conformance` and `content_type_conformance` (what the API answers is what
its schema documents), `response_headers_conformance` (documented headers are present).
Left out: `status_code_conformance`, because DRF answers 400, 401, 403, 404 and 429 on every
operation by design and the schema documents only the successes; and the negative and
positive data checks, because the schema cannot express every validation rule (a phase's
dates in order, a file that must be a zip), so a valid-looking body may rightly be refused.
"""

from __future__ import annotations

import gc
import warnings

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
)

from podium.wsgi import application
from tests.api import test_authorization as table


@schemathesis.serializer("application/zip", "text/html")
def raw_body(ctx: schemathesis.SerializationContext, value: object) -> bytes:
    """The worker's output uploads are raw bodies: what was generated, as bytes."""
    return value if isinstance(value, bytes) else str(value).encode()


schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)

# The world of the authorization table: published and draft competitions, a phase, tasks,
# submissions in several states, scores and leaderboards.
world = table.world

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    content_type_conformance,
    response_headers_conformance,
]


@pytest.fixture
def in_process():
    """Django's test client does this too: a request handled in the test's thread must not
    close the database connection the test's transaction lives in."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def harness_files():
    """Werkzeug's test client, which schemathesis drives, spools a large generated multipart
    body to an unnamed temporary file it never closes. Those ResourceWarnings are the
    harness's, not the API's: they are let go with its objects, here, and nowhere else."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "unclosed file <_io.BufferedRandom", ResourceWarning)
        yield
        gc.collect()


@pytest.fixture
def token(world, organizer, in_process, harness_files):
    from podium.accounts import services as accounts

    return accounts.create_token(user=organizer, name="schemathesis")[1]


@pytest.mark.django_db(transaction=False)
@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_keeps_its_schema(case, token):
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
