"""Submitting as an organization, shown on the leaderboard under its name, and the
competition's team size, held when submitting and when members join."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from podium.organizations import services
from podium.organizations.models import Invite
from podium.participation.models import Participant
from podium.submissions.models import Submission
from podium.submissions.reports import Report, receive
from podium_worker.protocol import Status
from tests.factories import make_leaderboard, make_participant, make_phase, make_task, make_user
from tests.organizations.conftest import groups

pytestmark = pytest.mark.django_db


@pytest.fixture
def phase(competition, organizer):
    board = make_leaderboard(competition=competition)
    board.submission_rule = "Force_Last"
    board.save()
    phase = make_phase(competition=competition, tasks=[make_task(owner=organizer)])
    phase.leaderboard = board
    phase.save()
    return phase


@pytest.fixture
def registered(competition, teammate, member, outsider):
    """The team's participant, its member and an outsider are approved participants."""
    for user in (teammate, member, outsider):
        make_participant(user=user, competition=competition)


def results() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("predictions.csv", "1\n")
    return SimpleUploadedFile("results.zip", buffer.getvalue())


def submit(api, user, phase, organization):
    return api(user).post(
        "/api/submissions/",
        {"file": results(), "phase": phase.pk, "organization": organization.pk},
        format="multipart",
    )


def invite(api, by, organization, email):
    return api(by).post(
        f"/api/organizations/{organization.pk}/invite_users/", {"emails": [email]}, format="json"
    )


def test_a_participant_of_the_organization_submits_for_it_and_ranks_under_its_name(
    api, phase, team, teammate, registered, outsider, django_capture_on_commit_callbacks
):
    response = submit(api, teammate, phase, team)

    assert response.status_code == 201, response.content
    assert response.json()["organization"] == team.pk
    submission = Submission.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        receive(submission, Report(attempt=0, status=Status.FINISHED, scores={"score": 0.5}))
    rows = api(outsider).get(f"/api/phases/{phase.pk}/leaderboard/").json()["results"]
    assert [(row["participant"], row["organization"]) for row in rows] == [("tess", "Vision Lab")]


@pytest.mark.parametrize(
    ("who", "message"),
    [
        (
            "member",
            "you are a member of Vision Lab; only its owners, managers and participants may "
            "register or submit for it",
        ),
        ("outsider", "you are not a member of Vision Lab"),
    ],
)
def test_only_its_owners_managers_and_participants_submit_for_it(
    api, phase, team, registered, request, who, message
):
    response = submit(api, request.getfixturevalue(who), phase, team)

    assert response.status_code == 403
    assert response.json() == {"detail": message}
    assert Submission.objects.count() == 0


def test_an_organization_larger_than_the_competition_allows_cannot_submit(
    api, competition, phase, team, teammate, registered
):
    competition.max_team_size = 3
    competition.save()

    response = submit(api, teammate, phase, team)

    assert response.status_code == 400
    assert response.json() == {
        "detail": "'Published' allows at most 3 members per organization; Vision Lab has 4"
    }
    assert Submission.objects.count() == 0
    competition.max_team_size = 4
    competition.save()
    assert submit(api, teammate, phase, team).status_code == 201


def test_no_one_joins_beyond_the_team_size_of_a_competition_it_takes_part_in(
    api, competition, phase, team, owner, teammate, registered
):
    competition.max_team_size = 4
    competition.save()
    early = Invite.objects.create(organization=team, email="ann@example.org", invited_by=owner)
    assert submit(api, teammate, phase, team).status_code == 201
    limit = (
        "Vision Lab takes part in 'Published', which allows at most 4 members per "
        "organization; it would have 5"
    )

    invited = invite(api, owner, team, "bob@example.org")
    joined = api(make_user("ann")).post(
        "/api/organizations/validate_invite/", {"token": early.token}, format="json"
    )

    assert invited.status_code == 400
    assert invited.json() == {"detail": limit}
    assert joined.status_code == 400
    assert joined.json() == {"detail": limit}
    assert len(groups(team)) == 4
    assert list(Invite.objects.values_list("email", "accepted_at")) == [("ann@example.org", None)]


def test_an_ended_competition_no_longer_limits_who_joins(
    api, competition, phase, team, owner, teammate, registered
):
    competition.max_team_size = 4
    competition.save()
    assert submit(api, teammate, phase, team).status_code == 201
    phase.end = timezone.now() - timedelta(minutes=1)
    phase.save()

    assert invite(api, owner, team, "bob@example.org").status_code == 200


def test_registering_for_the_organization_counts_as_taking_part(competition, team, teammate):
    make_phase(competition=competition)
    assert list(services.taking_part(team)) == []

    Participant.objects.create(
        user=teammate,
        competition=competition,
        organization=team,
        status=Participant.Status.APPROVED,
    )

    assert list(services.taking_part(team)) == [competition]


def test_without_a_team_size_any_number_joins(api, competition, phase, team, owner, teammate):
    make_participant(user=teammate, competition=competition)
    assert submit(api, teammate, phase, team).status_code == 201

    response = invite(api, owner, team, "bob@example.org")

    assert response.status_code == 200
