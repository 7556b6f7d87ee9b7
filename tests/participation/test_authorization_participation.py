"""Who may call the participation endpoints: each one against every persona, with the exact
status code; a refused call (or a read) changes nothing, mail and records included.

`approved` is the participant persona's registration, `registration` the pending one's;
`key` is an applicants key of the published competition, `draft_key` one of the draft.
"""

from __future__ import annotations

from typing import Any

import pytest

from podium.messaging.models import Message
from podium.participation import services
from podium.participation.models import (
    AllowedEmail,
    ApplicantsKey,
    Application,
    ContactRequest,
    OrganizerEmail,
    Participant,
    Question,
    RequestNotice,
)
from tests.api.test_authorization import Case, check, codes, snapshot
from tests.conftest import ROLES
from tests.factories import make_phase

pytestmark = pytest.mark.django_db

MORE_MODELS = [
    Application,
    Question,
    AllowedEmail,
    ApplicantsKey,
    RequestNotice,
    OrganizerEmail,
    ContactRequest,
    Message,
]

EVERYONE = codes(200, 200, 200, 200, 200, 200, 200)
ORGANIZERS_ONLY_SEE = codes(404, 404, 404, 404, 200, 200, 200)
ORGANIZERS_READ = codes(401, 403, 403, 403, 200, 200, 200)
ORGANIZERS_READ_DRAFT = codes(404, 404, 404, 404, 200, 200, 200)
ORGANIZERS_CHANGE = codes(401, 403, 403, 403, 200, 200, 200)
ORGANIZERS_CHANGE_DRAFT = codes(401, 404, 404, 404, 200, 200, 200)
ORGANIZERS_CREATE = codes(401, 403, 403, 403, 201, 201, 201)
ORGANIZERS_CREATE_DRAFT = codes(401, 404, 404, 404, 201, 201, 201)
EMAIL = {"subject": "News", "body": "Hello."}


def register(target: str) -> Any:
    return lambda ids: {"competition": ids[target], "accept_terms": True}


CASES = [
    # the seed's participant writes
    Case(
        "POST", "/api/participants/", register("competition"), codes(401, 201, 200, 200, *[201] * 3)
    ),
    Case("POST", "/api/participants/", register("draft"), codes(401, 400, 400, 400, *[201] * 3)),
    Case(
        "POST",
        "/api/participants/",
        lambda ids: {"competition": ids["competition"], "user": "oscar"},
        ORGANIZERS_CREATE,
    ),
    Case(
        "PATCH",
        "/api/participants/{registration}/",
        lambda ids: {"status": "denied", "reason": "Use your work address"},
        codes(401, 404, 403, 404, 200, 200, 200),
    ),
    Case(
        "PUT",
        "/api/participants/{approved}/",
        lambda ids: {"status": "revoked", "reason": "Shared accounts"},
        codes(401, 404, 404, 403, 200, 200, 200),
    ),
    Case(
        "PATCH",
        "/api/participants/{registration}/",
        lambda ids: {"answers": {}},
        codes(401, 404, 200, 404, 403, 403, 403),
    ),
    Case(
        "DELETE", "/api/participants/{registration}/", None, codes(401, 404, 204, 404, *[204] * 3)
    ),
    Case(
        "POST",
        "/api/participants/{approved}/send_email/",
        lambda ids: EMAIL,
        codes(401, 404, 404, 403, 201, 201, 201),
    ),
    # emails to groups, and their records
    Case(
        "POST",
        "/api/competitions/{competition}/email_all_participants/",
        lambda ids: EMAIL,
        ORGANIZERS_CREATE,
    ),
    Case(
        "POST",
        "/api/competitions/{draft}/email_all_participants/",
        lambda ids: EMAIL,
        ORGANIZERS_CREATE_DRAFT,
    ),
    Case("GET", "/api/competitions/{competition}/emails/", None, ORGANIZERS_READ),
    Case("GET", "/api/competitions/{draft}/emails/", None, ORGANIZERS_READ_DRAFT),
    # the registration form and the allow-list
    Case("GET", "/api/competitions/{competition}/registration_form/", None, EVERYONE),
    Case("GET", "/api/competitions/{draft}/registration_form/", None, ORGANIZERS_ONLY_SEE),
    Case(
        "PUT",
        "/api/competitions/{competition}/registration_form/",
        lambda ids: {"questions": [{"key": "team", "label": "Team", "kind": "text"}]},
        ORGANIZERS_CHANGE,
    ),
    Case(
        "PUT",
        "/api/competitions/{draft}/registration_form/",
        lambda ids: {"questions": []},
        ORGANIZERS_CHANGE_DRAFT,
    ),
    Case("GET", "/api/competitions/{competition}/allow_list/", None, ORGANIZERS_READ),
    Case("GET", "/api/competitions/{draft}/allow_list/", None, ORGANIZERS_READ_DRAFT),
    Case(
        "PUT",
        "/api/competitions/{competition}/allow_list/",
        lambda ids: {"entries": ["example.org"]},
        ORGANIZERS_CHANGE,
    ),
    Case(
        "PUT",
        "/api/competitions/{draft}/allow_list/",
        lambda ids: {"entries": ["example.org"]},
        ORGANIZERS_CHANGE_DRAFT,
    ),
    # applicants keys and the applicants they read
    Case("GET", "/api/competitions/{competition}/applicants_keys/", None, ORGANIZERS_READ),
    Case("GET", "/api/competitions/{draft}/applicants_keys/", None, ORGANIZERS_READ_DRAFT),
    Case(
        "POST",
        "/api/competitions/{competition}/applicants_keys/",
        lambda ids: {"name": "EUA"},
        ORGANIZERS_CREATE,
    ),
    Case(
        "POST",
        "/api/competitions/{draft}/applicants_keys/",
        lambda ids: {"name": "EUA"},
        ORGANIZERS_CREATE_DRAFT,
    ),
    Case(
        "DELETE",
        "/api/competitions/{competition}/applicants_keys/{key}/",
        None,
        codes(401, 403, 403, 403, 204, 204, 204),
    ),
    Case(
        "DELETE",
        "/api/competitions/{draft}/applicants_keys/{draft_key}/",
        None,
        codes(401, 404, 404, 404, 204, 204, 204),
    ),
    Case(
        "DELETE",
        "/api/competitions/{competition}/applicants_keys/{draft_key}/",
        None,
        codes(401, 403, 403, 403, 404, 404, 404),
    ),
    Case("GET", "/api/competitions/{competition}/applicants/", None, ORGANIZERS_READ),
    Case("GET", "/api/competitions/{draft}/applicants/", None, ORGANIZERS_READ_DRAFT),
    # contact forms
    Case(
        "POST",
        "/api/competitions/{competition}/contact/",
        lambda ids: EMAIL,
        codes(401, *[201] * 6),
    ),
    Case(
        "POST",
        "/api/competitions/{draft}/contact/",
        lambda ids: EMAIL,
        codes(401, 404, 404, 404, 201, 201, 201),
    ),
    Case("POST", "/api/contact/", lambda ids: EMAIL, codes(401, *[201] * 6)),
]


@pytest.fixture
def world(competition, draft, organizer, participant, pending) -> dict[str, int]:
    make_phase(competition=competition)
    key, _ = services.create_key(competition=competition, by=organizer, name="EUA")
    draft_key, _ = services.create_key(competition=draft, by=organizer, name="EUA")
    return {
        "competition": competition.pk,
        "draft": draft.pk,
        "approved": Participant.objects.get(user=participant).pk,
        "registration": Participant.objects.get(user=pending).pk,
        "key": key.pk,
        "draft_key": draft_key.pk,
    }


def everything(storage) -> dict[str, Any]:
    return snapshot(storage, *MORE_MODELS)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_who_may_call_the_participation_endpoints(case, role, world, personas, api, storage):
    check(case, api(personas[role]), world, case.expected[role], lambda: everything(storage))
