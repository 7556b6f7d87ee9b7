"""Who may call the platform hosts' endpoints (queues, data groups, analytics, the quota
cleanup): every endpoint against every persona with the exact status code, as the shared
table in tests/api/test_authorization.py does for the rest of the API. Whenever a call is
refused (or only reads), the database and the storage folder are exactly as before."""

from __future__ import annotations

from typing import Any

import pytest

from podium.datasets.models import Data, DataGroup, DataGroupEntry
from podium.queues.models import Queue
from tests.api import test_authorization as table
from tests.api.test_authorization import Case, check, codes
from tests.conftest import ROLES
from tests.factories import make_data, make_phase, make_task, make_user

pytestmark = pytest.mark.django_db

EVERYONE = codes(200, 200, 200, 200, 200, 200, 200)
SIGNED_IN = codes(401, 200, 200, 200, 200, 200, 200)
SIGNED_IN_CREATE = codes(401, 201, 201, 201, 201, 201, 201)
OWNER_ONLY_SEE = codes(401, 404, 404, 404, 404, 200, 200)
ADMINS_ONLY = codes(401, 403, 403, 403, 403, 403, 200)
# `queue` is the organizer's, private, with the collaborator listed as its organizer and
# used by `competition`; `spare_queue` is the organizer's, private and unused;
# `public_queue` is another user's, public and unused.
QUEUE_ORGANIZERS_SEE = codes(404, 404, 404, 404, 200, 200, 200)
QUEUE_OWNER_CHANGES = codes(401, 404, 404, 404, 403, 200, 200)

CASES = [
    # queues
    Case("GET", "/api/queues/", None, EVERYONE),
    Case("GET", "/api/queues/{queue}/", None, QUEUE_ORGANIZERS_SEE),
    Case("GET", "/api/queues/{spare_queue}/", None, codes(404, 404, 404, 404, 404, 200, 200)),
    Case("GET", "/api/queues/{public_queue}/", None, EVERYONE),
    Case("POST", "/api/queues/", lambda ids: {"name": "New"}, SIGNED_IN_CREATE),
    Case(
        "POST",
        "/api/queues/",
        lambda ids: {"name": "Inside", "broker_url": "amqp://10.0.0.5/"},
        codes(401, 400, 400, 400, 400, 400, 201),
    ),
    Case("PUT", "/api/queues/{queue}/", lambda ids: {"name": "X"}, QUEUE_OWNER_CHANGES),
    Case("PATCH", "/api/queues/{queue}/", lambda ids: {"name": "X"}, QUEUE_OWNER_CHANGES),
    Case("PUT", "/api/queues/{public_queue}/", lambda ids: {"name": "X"}, ADMINS_ONLY),
    Case("PATCH", "/api/queues/{public_queue}/", lambda ids: {"is_public": False}, ADMINS_ONLY),
    Case("DELETE", "/api/queues/{queue}/", None, codes(401, 404, 404, 404, 403, 409, 409)),
    Case("DELETE", "/api/queues/{spare_queue}/", None, codes(401, 404, 404, 404, 404, 204, 204)),
    Case("DELETE", "/api/queues/{public_queue}/", None, ADMINS_ONLY | {"admin": 204}),
    # data groups: `group` is the organizer's and holds `program`, private, used by a task
    Case("GET", "/api/data_groups/", None, SIGNED_IN),
    Case("GET", "/api/data_groups/{group}/", None, OWNER_ONLY_SEE),
    Case(
        "POST",
        "/api/data_groups/",
        lambda ids: {"name": "Mine", "data": [ids["public_program"]]},
        SIGNED_IN_CREATE,
    ),
    Case(
        "POST",
        "/api/data_groups/",
        lambda ids: {"name": "Theirs", "data": [ids["program"]]},
        codes(401, 400, 400, 400, 400, 201, 201),
    ),
    Case(
        "PUT",
        "/api/data_groups/{group}/",
        lambda ids: {"name": "X", "data": []},
        OWNER_ONLY_SEE,
    ),
    Case("PATCH", "/api/data_groups/{group}/", lambda ids: {"name": "X"}, OWNER_ONLY_SEE),
    Case("DELETE", "/api/data_groups/{group}/", None, codes(401, 404, 404, 404, 404, 204, 204)),
    # analytics
    Case("GET", "/api/analytics/", None, ADMINS_ONLY),
    Case("GET", "/api/analytics/?interval=year", None, ADMINS_ONLY | {"admin": 400}),
    # the quota cleanup: each caller's own unused files
    Case("GET", "/api/user_quota_cleanup/", None, SIGNED_IN),
    Case("POST", "/api/user_quota_cleanup/", lambda ids: {}, SIGNED_IN),
    Case(
        "POST",
        "/api/user_quota_cleanup/",
        lambda ids: {"ids": "all"},
        codes(401, 400, 400, 400, 400, 400, 400),
    ),
    # a file a phase still offers as its starting kit is not deleted (Codabench 2277)
    Case("DELETE", "/api/datasets/{starting_kit}/", None, codes(401, 404, 404, 404, 404, 409, 409)),
]


@pytest.fixture
def world(competition, organizer, collaborator, participant, pending) -> dict[str, int]:
    program = make_data(owner=organizer, kind=Data.Kind.SCORING_PROGRAM, name="score.zip")
    public_program = make_data(
        owner=organizer, kind=Data.Kind.SCORING_PROGRAM, name="public.zip", is_public=True
    )
    starting_kit = make_data(owner=organizer, kind=Data.Kind.STARTING_KIT, name="kit.zip")
    phase = make_phase(
        competition=competition, tasks=[make_task(owner=organizer, scoring_program=program)]
    )
    phase.starting_kit = starting_kit
    phase.save()
    queue = Queue.objects.create(owner=organizer, name="Olivia's GPUs")
    queue.organizers.set([collaborator])
    competition.queue = queue
    competition.save()
    group = DataGroup.objects.create(owner=organizer, name="Scoring")
    DataGroupEntry.objects.create(group=group, data=program)
    return {
        "program": program.pk,
        "public_program": public_program.pk,
        "starting_kit": starting_kit.pk,
        "spare_data": make_data(owner=organizer, name="spare.csv").pk,
        "queue": queue.pk,
        "spare_queue": Queue.objects.create(owner=organizer, name="Spare").pk,
        "public_queue": Queue.objects.create(
            owner=make_user("quentin"), name="Quentin's", is_public=True
        ).pk,
        "group": group.pk,
    }


def snapshot(storage) -> dict[str, Any]:
    return table.snapshot(storage, Queue, Queue.organizers.through, DataGroup, DataGroupEntry)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_who_may_call_the_hosts_endpoints(case, role, world, personas, api, storage):
    check(case, api(personas[role]), world, case.expected[role], lambda: snapshot(storage))
