"""Who may call what on organizations: every endpoint against every persona, with the exact
status code, and nothing changed by a refused call (or a read).

The shared personas (tests/conftest.py) are none of them members; the organization's own
roles are its owner, manager, participant ("teammate") and member (tests/organizations/
conftest.py). Organizations are public, so a refused change is 403, never 404. The
invitation is for the outsider's address.
"""

from __future__ import annotations

import pytest

from podium.datasets.models import Data
from podium.messaging.models import Message
from podium.organizations.models import Invite, Membership, Organization
from podium.submissions.services import start_submission
from tests.api.test_authorization import Case, check, codes, snapshot
from tests.conftest import ROLES
from tests.factories import make_data, make_leaderboard, make_phase, make_task
from tests.organizations.conftest import GROUPS, make_organization

pytestmark = pytest.mark.django_db

ORGANIZATION_ROLES = tuple(GROUPS)


def org(owner: int, manager: int, teammate: int, member: int) -> dict[str, int]:
    return dict(zip(ORGANIZATION_ROLES, [owner, manager, teammate, member], strict=True))


def non_members(admin: int) -> dict[str, int]:
    """The shared personas: refused with 403 when signed in, but the platform admin."""
    return codes(401, 403, 403, 403, 403, 403, admin)


EVERYONE = codes(*[200] * 7) | org(200, 200, 200, 200)
NOBODY_FINDS = codes(*[404] * 7) | org(404, 404, 404, 404)
SIGNED_IN_CREATE = codes(401, *[201] * 6) | org(201, 201, 201, 201)
MANAGERS = non_members(200) | org(200, 200, 403, 403)
OWNERS = non_members(200) | org(200, 403, 403, 403)
LAST_OWNER = non_members(409) | org(409, 403, 403, 403)
THE_INVITED_ONE = codes(401, 200, 403, 403, 403, 403, 403) | org(403, 403, 403, 403)
INVITE = "/api/organizations/validate_invite/"
TEAM = "/api/organizations/{team}/"

CASES = [
    Case("GET", "/api/organizations/", None, EVERYONE),
    Case("GET", "/api/organizations/?mine=true", None, EVERYONE),
    Case("GET", TEAM, None, EVERYONE),
    Case("GET", "/api/organizations/{missing}/", None, NOBODY_FINDS),
    Case("POST", "/api/organizations/", lambda ids: {"name": "New Lab"}, SIGNED_IN_CREATE),
    Case("PUT", TEAM, lambda ids: {"name": "Renamed"}, MANAGERS),
    Case("PATCH", TEAM, lambda ids: {"description": "Changed"}, MANAGERS),
    Case(
        "PUT",
        "/api/organizations/{missing}/",
        lambda ids: {"name": "X"},
        codes(401, *[404] * 6) | org(404, 404, 404, 404),
    ),
    Case("DELETE", TEAM, None, codes(401, *[405] * 6) | org(405, 405, 405, 405)),
    # invitations: answered by the invited address's account only
    Case("POST", INVITE, lambda ids: {"token": ids["token"]}, THE_INVITED_ONE),
    Case("POST", INVITE, lambda ids: {"token": ids["token"], "decline": True}, THE_INVITED_ONE),
    Case(
        "POST",
        INVITE,
        lambda ids: {"token": "unknown"},
        codes(401, *[404] * 6) | org(404, 404, 404, 404),
    ),
    Case(
        "POST",
        TEAM + "invite_users/",
        lambda ids: {"emails": ["new@example.org"], "group": "participant"},
        MANAGERS,
    ),
    Case(
        "POST",
        TEAM + "invite_users/",
        lambda ids: {"emails": ["new@example.org"], "group": "owner"},
        OWNERS,
    ),
    # member groups
    Case(
        "POST",
        TEAM + "update_member_group/",
        lambda ids: {"username": "mel", "group": "participant"},
        MANAGERS,
    ),
    Case(
        "POST",
        TEAM + "update_member_group/",
        lambda ids: {"member": ids["mel"], "group": "owner"},
        OWNERS,
    ),
    Case(
        "POST",
        TEAM + "update_member_group/",
        lambda ids: {"username": "olga", "group": "member"},
        LAST_OWNER,
    ),
    # removing members: a member may leave; the last owner may not
    Case(
        "DELETE",
        TEAM + "delete_member/?username=mel",
        None,
        non_members(204) | org(204, 204, 403, 204),
    ),
    Case(
        "DELETE",
        TEAM + "delete_member/",
        lambda ids: {"member": ids["tess"]},
        non_members(204) | org(204, 204, 204, 403),
    ),
    Case("DELETE", TEAM + "delete_member/?username=olga", None, LAST_OWNER),
    # deleting: owners, and never from under a leaderboard's results
    Case("DELETE", TEAM + "delete_organization/", None, non_members(204) | org(204, 403, 403, 403)),
    Case("DELETE", "/api/organizations/{ranked}/delete_organization/", None, LAST_OWNER),
]


@pytest.fixture
def roles(personas, owner, manager, teammate, member) -> dict:
    return personas | {"owner": owner, "manager": manager, "teammate": teammate, "member": member}


@pytest.fixture
def world(competition, organizer, team, owner, manager, teammate, member, outsider) -> dict:
    invitation = Invite.objects.create(
        organization=team, email=outsider.email, group="participant", invited_by=owner
    )
    ranked = make_organization(
        "Ranked Lab",
        {owner: "owner", manager: "manager", teammate: "participant", member: "member"},
    )
    phase = make_phase(competition=competition, tasks=[make_task(owner=organizer)])
    entry = start_submission(
        owner=teammate,
        participant=None,
        phase=phase,
        tasks=list(phase.tasks.all()),
        data=make_data(owner=teammate, kind=Data.Kind.SUBMISSION),
        organization=ranked,
        publish=False,
    )
    entry.leaderboard = make_leaderboard(competition=competition)
    entry.save()
    return {
        "team": team.pk,
        "ranked": ranked.pk,
        "missing": ranked.pk + 1000,
        "token": invitation.token,
        "mel": Membership.objects.get(organization=team, user=member).pk,
        "tess": Membership.objects.get(organization=team, user=teammate).pk,
    }


def everything(storage) -> dict:
    return snapshot(storage, Organization, Membership, Invite, Message)


def test_every_case_names_every_role():
    for case in CASES:
        assert set(case.expected) == {*ROLES, *ORGANIZATION_ROLES}, case


@pytest.mark.parametrize("role", [*ROLES, *ORGANIZATION_ROLES])
@pytest.mark.parametrize("case", CASES, ids=str)
def test_who_may_call_what(case, role, world, roles, api, storage):
    check(case, api(roles[role]), world, case.expected[role], lambda: everything(storage))
