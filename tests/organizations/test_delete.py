"""Deleting an organization: its owners only, never from under a leaderboard's results."""

from __future__ import annotations

import pytest

from podium.audit.models import AuditEntry
from podium.datasets.models import Data
from podium.organizations.models import Invite, Membership, Organization
from podium.participation.models import Participant
from podium.submissions.services import start_submission
from tests.factories import make_data, make_leaderboard, make_participant, make_phase, make_task

pytestmark = pytest.mark.django_db


def delete(api, user, organization):
    return api(user).delete(f"/api/organizations/{organization.pk}/delete_organization/")


@pytest.fixture
def submission(competition, organizer, team, teammate):
    """The team's participant's submission for the team, on no leaderboard yet."""
    participant = make_participant(user=teammate, competition=competition)
    participant.organization = team
    participant.save()
    phase = make_phase(competition=competition, tasks=[make_task(owner=organizer)])
    return start_submission(
        owner=teammate,
        participant=participant,
        phase=phase,
        tasks=list(phase.tasks.all()),
        data=make_data(owner=teammate, kind=Data.Kind.SUBMISSION),
        organization=team,
        publish=False,
    )


def test_an_owner_deletes_it_with_its_members_and_invitations(api, team, owner, submission):
    Invite.objects.create(organization=team, email="ann@example.org", invited_by=owner)

    response = delete(api, owner, team)

    assert response.status_code == 204
    assert (Organization.objects.count(), Membership.objects.count(), Invite.objects.count()) == (
        0,
        0,
        0,
    )
    submission.refresh_from_db()
    assert (submission.organization, submission.owner.username) == (None, "tess")
    assert Participant.objects.get().organization is None
    assert list(
        AuditEntry.objects.values_list(
            "actor_name", "action", "target_type", "target_id", "details"
        )
    ) == [
        (
            "olga",
            "organization.delete",
            "organization",
            team.pk,
            {"name": "Vision Lab", "members": ["manny", "mel", "olga", "tess"]},
        )
    ]


def test_it_is_refused_while_its_submissions_are_on_a_leaderboard(
    api, competition, team, owner, submission
):
    submission.leaderboard = make_leaderboard(competition=competition)
    submission.save()

    response = delete(api, owner, team)

    assert response.status_code == 409
    assert response.json() == {
        "detail": "Vision Lab has entries on the leaderboards of 'Published'; remove them from "
        "the leaderboards (or delete those submissions) first, so that no results lose the "
        "team's name"
    }
    assert Organization.objects.filter(pk=team.pk).exists()
    assert Membership.objects.count() == 4
    assert AuditEntry.objects.count() == 0


def test_managers_may_not_delete_it(api, team, manager):
    response = delete(api, manager, team)

    assert response.status_code == 403
    assert response.json() == {"detail": "only the owners of Vision Lab may delete it"}
    assert Organization.objects.count() == 1
