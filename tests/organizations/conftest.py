"""An organization, "Vision Lab", with one person in each group:

    olga   owner
    manny  manager
    tess   participant (may submit for it)
    mel    member (belongs, may not submit for it)

The shared personas (tests/conftest.py) are none of them members.
"""

from __future__ import annotations

import pytest

from podium.accounts.models import User
from podium.organizations.models import Membership, Organization
from tests.factories import make_user

GROUPS = {
    "owner": Membership.Group.OWNER,
    "manager": Membership.Group.MANAGER,
    "teammate": Membership.Group.PARTICIPANT,
    "member": Membership.Group.MEMBER,
}


def make_organization(name: str, members: dict[User, str]) -> Organization:
    """An organization created by its first member, with each member in its group."""
    organization = Organization.objects.create(name=name, created_by=next(iter(members)))
    for user, group in members.items():
        Membership.objects.create(organization=organization, user=user, group=group)
    return organization


@pytest.fixture
def owner(db) -> User:
    return make_user("olga")


@pytest.fixture
def manager(db) -> User:
    return make_user("manny")


@pytest.fixture
def teammate(db) -> User:
    return make_user("tess")


@pytest.fixture
def member(db) -> User:
    return make_user("mel")


@pytest.fixture
def team(owner, manager, teammate, member) -> Organization:
    return make_organization(
        "Vision Lab",
        {
            owner: GROUPS["owner"],
            manager: GROUPS["manager"],
            teammate: GROUPS["teammate"],
            member: GROUPS["member"],
        },
    )


def groups(organization: Organization) -> dict[str, str]:
    """Username to group, for exact comparisons."""
    return dict(organization.memberships.values_list("user__username", "group"))
