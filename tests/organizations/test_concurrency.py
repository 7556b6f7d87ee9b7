"""Counts of members and owners hold under concurrency, on SQLite and on PostgreSQL: each
change locks the organization before it counts."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from podium.organizations import services
from podium.organizations.models import Invite, Membership
from tests.concurrency import race
from tests.factories import make_participant, make_phase, make_user
from tests.organizations.conftest import groups


def at_once(calls: list[Callable[[], object]]) -> list[str]:
    """Runs the calls in threads released together; each one's outcome, sorted."""
    return race(calls, refused=services.OrganizationError)


@pytest.mark.django_db(transaction=True)
def test_two_people_accepting_at_once_into_the_last_place_one_joins(competition, team, owner):
    competition.max_team_size = 5
    competition.save()
    make_phase(competition=competition)
    participant = make_participant(
        user=team.memberships.get(group="participant").user, competition=competition
    )
    participant.organization = team
    participant.save()
    people = [make_user(name) for name in ("ann", "bob")]
    tokens = [
        Invite.objects.create(organization=team, email=person.email, invited_by=owner).token
        for person in people
    ]

    outcomes = at_once(
        [
            lambda person=person, token=token: services.answer_invite(
                token=token, user=person, accept=True
            )
            for person, token in zip(people, tokens, strict=True)
        ]
    )

    assert outcomes == [
        "Vision Lab takes part in 'Published', which allows at most 5 members per "
        "organization; it would have 6",
        "done",
    ]
    assert Membership.objects.filter(organization=team).count() == 5


@pytest.mark.django_db(transaction=True)
def test_two_owners_demoting_each_other_at_once_leave_one_owner(team, owner, manager):
    Membership.objects.filter(user=manager).update(group="owner")
    members = {user: Membership.objects.get(user=user) for user in (owner, manager)}

    outcomes = at_once(
        [
            lambda: services.change_group(
                organization=team, by=owner, member=members[manager], group="member"
            ),
            lambda: services.change_group(
                organization=team, by=manager, member=members[owner], group="member"
            ),
        ]
    )

    # Whoever goes second is no longer an owner: without the lock both would count two
    # owners and demote each other, leaving none.
    assert outcomes == ["done", "only the owners and managers of Vision Lab may do this"]
    assert sorted(groups(team).values()).count("owner") == 1
