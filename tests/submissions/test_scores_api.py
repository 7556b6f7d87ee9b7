"""Submission scores for organizers at the seed's paths: read, create, change, delete and
upload, each change audited and followed by the computed columns; participants read the
scores of their own submissions only, without hidden columns."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from podium.audit.models import AuditEntry
from podium.datasets.models import Data
from podium.leaderboards.models import Column
from podium.participation.models import Participant
from podium.submissions.models import Submission, SubmissionScore
from podium.submissions.services import start_submission, transition
from podium_worker.protocol import Status
from tests.factories import make_data, make_leaderboard, make_participant, make_phase, make_task
from tests.factories import make_user as new_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def board(competition):
    board = make_leaderboard(competition=competition, columns=("accuracy", "f1"))
    Column.objects.create(
        leaderboard=board,
        index=2,
        key="mean",
        title="Mean",
        computation="avg",
        computation_indexes=[0, 1],
    )
    Column.objects.create(leaderboard=board, index=3, key="secret", title="Secret", hidden=True)
    Column.objects.create(leaderboard=board, index=4, key="recall", title="Recall")
    return board


@pytest.fixture
def phase(competition, organizer, board):
    phase = make_phase(competition=competition, tasks=[make_task(owner=organizer)])
    phase.leaderboard = board
    phase.save()
    return phase


def scored(user, phase, **values):
    submission = start_submission(
        owner=user,
        participant=Participant.objects.filter(user=user).first(),
        phase=phase,
        tasks=list(phase.tasks.all()),
        data=make_data(owner=user, kind=Data.Kind.SUBMISSION),
        publish=False,
    )
    for step in (Status.PREPARING, Status.SCORING, Status.FINISHED):
        transition(submission, step)
    columns = {column.key: column for column in phase.leaderboard.columns.all()}
    for key, value in values.items():
        SubmissionScore.objects.create(submission=submission, column=columns[key], value=value)
    return submission


@pytest.fixture
def mine(participant, phase):
    return scored(participant, phase, accuracy=0.8, f1=0.6, mean=0.7, secret=0.1)


@pytest.fixture
def rivals(competition, phase):
    rival = new_user("rita")
    make_participant(user=rival, competition=competition)
    return scored(rival, phase, accuracy=0.5, f1=0.5, mean=0.5)


def score(submission, key):
    return SubmissionScore.objects.get(submission=submission, column__key=key)


def scores_of(submission):
    rows = SubmissionScore.objects.filter(submission=submission)
    return dict(rows.values_list("column__key", "value"))


def listed(client, query=""):
    response = client.get(f"/api/submission_scores/{query}")
    assert response.status_code == 200
    return sorted(
        (row["submission"], row["key"], row["value"]) for row in response.json()["results"]
    )


# Reading


def test_organizers_read_every_score_of_their_competition(api, collaborator, mine, rivals):
    assert listed(api(collaborator)) == sorted(
        [
            (mine.pk, "accuracy", 0.8),
            (mine.pk, "f1", 0.6),
            (mine.pk, "mean", 0.7),
            (mine.pk, "secret", 0.1),
            (rivals.pk, "accuracy", 0.5),
            (rivals.pk, "f1", 0.5),
            (rivals.pk, "mean", 0.5),
        ]
    )


def test_a_participant_reads_their_own_scores_without_hidden_columns(
    api, participant, mine, rivals
):
    client = api(participant)
    assert listed(client) == [
        (mine.pk, "accuracy", 0.8),
        (mine.pk, "f1", 0.6),
        (mine.pk, "mean", 0.7),
    ]
    assert client.get(f"/api/submission_scores/{score(mine, 'secret').pk}/").status_code == 404
    assert client.get(f"/api/submission_scores/{score(rivals, 'f1').pk}/").status_code == 404
    own = client.get(f"/api/submission_scores/{score(mine, 'f1').pk}/")
    assert own.json() == {
        "submission": mine.pk,
        "id": score(mine, "f1").pk,
        "column": score(mine, "f1").column_id,
        "key": "f1",
        "leaderboard": mine.phase.leaderboard_id,
        "value": 0.6,
    }


def test_outsiders_and_anonymous_read_no_score(api, outsider, mine):
    assert listed(api(outsider)) == []
    assert listed(api(None)) == []


def test_scores_are_filtered_by_submission_and_phase(api, organizer, competition, mine, rivals):
    client = api(organizer)
    assert {row[0] for row in listed(client, f"?submission={rivals.pk}")} == {rivals.pk}
    other_phase = make_phase(competition=competition, name="Other", index=1)
    assert listed(client, f"?phase={other_phase.pk}") == []
    assert len(listed(client, f"?phase={mine.phase_id}")) == 7
    response = client.get("/api/submission_scores/?phase=zero")
    assert (response.status_code, response.json()) == (
        400,
        {"phase": ["A valid integer is required."]},
    )


def test_a_list_costs_as_many_queries_for_six_submissions_as_for_two(
    api, organizer, participant, phase
):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert api(organizer).get("/api/submission_scores/").status_code == 200
        return len(captured)

    for _ in range(2):
        scored(participant, phase, accuracy=0.1, f1=0.2)
    two = queries()
    for _ in range(4):
        scored(participant, phase, accuracy=0.1, f1=0.2)
    assert queries() == two


# Creating, changing, deleting


def test_an_organizer_creates_a_score_and_the_change_is_audited(api, collaborator, board, mine):
    recall = board.columns.get(key="recall")
    response = api(collaborator).post(
        "/api/submission_scores/",
        {"submission": mine.pk, "column": recall.pk, "value": 0.9},
        format="json",
    )

    assert response.status_code == 201
    assert response.json() == {
        "submission": mine.pk,
        "id": score(mine, "recall").pk,
        "column": recall.pk,
        "key": "recall",
        "leaderboard": board.pk,
        "value": 0.9,
    }
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.target_type, entry.target_id) == (
        collaborator,
        "score.create",
        "submission",
        mine.pk,
    )
    assert entry.details == {"column": "recall", "leaderboard": board.pk, "value": 0.9}


def test_changing_a_score_recomputes_the_computed_columns(api, organizer, mine):
    f1 = score(mine, "f1")
    response = api(organizer).put(f"/api/submission_scores/{f1.pk}/", {"value": 0.2}, format="json")

    assert (response.status_code, response.json()["value"]) == (200, 0.2)
    assert scores_of(mine) == pytest.approx(
        {"accuracy": 0.8, "f1": 0.2, "mean": 0.5, "secret": 0.1}
    )
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.details) == (
        "score.update",
        {"column": "f1", "before": 0.6, "after": 0.2},
    )


def test_a_patch_without_a_value_changes_nothing(api, organizer, mine):
    f1 = score(mine, "f1")
    response = api(organizer).patch(f"/api/submission_scores/{f1.pk}/", {}, format="json")
    assert (response.status_code, response.json()["value"]) == (200, 0.6)
    assert AuditEntry.objects.count() == 0


def test_deleting_a_score_recomputes_the_computed_columns(api, organizer, mine):
    response = api(organizer).delete(f"/api/submission_scores/{score(mine, 'f1').pk}/")

    assert response.status_code == 204
    assert scores_of(mine) == pytest.approx({"accuracy": 0.8, "mean": 0.8, "secret": 0.1})
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.details) == ("score.delete", {"column": "f1", "value": 0.6})


def test_the_last_source_gone_takes_the_computed_score_with_it(organizer, mine):
    from podium.submissions import scores

    scores.delete_score(score(mine, "f1"), by=organizer)
    scores.delete_score(score(mine, "accuracy"), by=organizer)
    assert scores_of(mine) == {"secret": 0.1}


@pytest.mark.parametrize(
    ("body", "problems"),
    [
        ({"value": "0.5"}, {"value": ["expected a finite number"]}),
        ({"value": True}, {"value": ["expected a finite number"]}),
        ({"value": None}, {"value": ["This field may not be null."]}),
        ({}, {"value": ["This field is required."]}),
    ],
)
def test_a_value_must_be_a_finite_number(api, organizer, mine, body, problems):
    response = api(organizer).put(
        f"/api/submission_scores/{score(mine, 'f1').pk}/", body, format="json"
    )
    assert (response.status_code, response.json()) == (400, problems)
    assert (score(mine, "f1").value, AuditEntry.objects.count()) == (0.6, 0)


def test_an_infinite_value_is_refused(api, organizer, mine):
    response = api(organizer).put(
        f"/api/submission_scores/{score(mine, 'f1').pk}/",
        '{"value": 1e999}',
        content_type="application/json",
    )
    assert (response.status_code, response.json()) == (400, {"value": ["expected a finite number"]})


def test_computed_scores_are_not_changed_by_hand(api, organizer, board, mine):
    client = api(organizer)
    mean = score(mine, "mean")
    assert client.put(f"/api/submission_scores/{mean.pk}/", {"value": 1}, format="json").json() == {
        "column": ["'mean' is computed from other columns; change those instead"]
    }
    assert client.delete(f"/api/submission_scores/{mean.pk}/").status_code == 400
    mean.delete()
    response = client.post(
        "/api/submission_scores/",
        {"submission": mine.pk, "column": board.columns.get(key="mean").pk, "value": 1},
        format="json",
    )
    assert response.status_code == 400
    assert (scores_of(mine).get("mean"), AuditEntry.objects.count()) == (None, 0)


def test_a_second_score_for_the_same_column_is_refused(api, organizer, board, mine):
    response = api(organizer).post(
        "/api/submission_scores/",
        {"submission": mine.pk, "column": board.columns.get(key="f1").pk, "value": 0.1},
        format="json",
    )
    assert (response.status_code, response.json()) == (
        400,
        {"column": ["this submission already has a score for this column; change it"]},
    )
    assert score(mine, "f1").value == 0.6


def test_a_column_of_another_competition_is_refused(api, organizer, draft, mine):
    elsewhere = make_leaderboard(competition=draft, columns=("accuracy",)).columns.get()
    response = api(organizer).post(
        "/api/submission_scores/",
        {"submission": mine.pk, "column": elsewhere.pk, "value": 0.1},
        format="json",
    )
    assert (response.status_code, response.json()) == (
        400,
        {"column": ["no column with this id in this submission's competition"]},
    )
    assert SubmissionScore.objects.filter(column=elsewhere).count() == 0


def test_a_participant_may_not_change_their_own_score(api, participant, mine):
    response = api(participant).patch(
        f"/api/submission_scores/{score(mine, 'f1').pk}/", {"value": 1.0}, format="json"
    )
    assert (response.status_code, response.json()) == (
        403,
        {"detail": "only the organizers of its competition may change its scores"},
    )
    assert score(mine, "f1").value == 0.6


# Uploading


def test_an_organizer_uploads_scores_by_column_key(api, organizer, board, mine):
    response = api(organizer).post(
        f"/api/upload_submission_scores/{mine.pk}/", {"accuracy": 1, "recall": 0.25}, format="json"
    )

    assert (response.status_code, response.json()) == (
        200,
        {
            "submission": mine.pk,
            "scores": {"accuracy": 1.0, "f1": 0.6, "mean": 0.8, "secret": 0.1, "recall": 0.25},
        },
    )
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.target_id, entry.details) == (
        "score.upload",
        mine.pk,
        {"leaderboard": board.pk, "scores": {"accuracy": 1.0, "recall": 0.25}},
    )


def test_an_upload_is_all_or_nothing(api, organizer, mine):
    response = api(organizer).post(
        f"/api/upload_submission_scores/{mine.pk}/",
        {"accuracy": 1, "typo": 2, "mean": 3, "f1": "high"},
        format="json",
    )
    assert (response.status_code, response.json()) == (
        400,
        {
            "typo": ["no such column on leaderboard 'main'"],
            "mean": ["computed from other columns; change those instead"],
            "f1": ["expected a finite number"],
        },
    )
    assert scores_of(mine) == {"accuracy": 0.8, "f1": 0.6, "mean": 0.7, "secret": 0.1}
    assert AuditEntry.objects.count() == 0


def test_an_upload_needs_a_leaderboard_and_an_object(api, organizer, mine):
    client = api(organizer)
    assert client.post(f"/api/upload_submission_scores/{mine.pk}/", [1], format="json").json() == {
        "scores": ["expected an object of column keys to numbers"]
    }
    mine.phase.leaderboard = None
    mine.phase.save()
    response = client.post(f"/api/upload_submission_scores/{mine.pk}/", {"f1": 1}, format="json")
    assert (response.status_code, response.json()) == (
        400,
        {"scores": ["this submission's phase has no leaderboard"]},
    )


def test_uploads_for_unseen_submissions_are_not_found(api, outsider, participant, mine, rivals):
    assert (
        api(outsider)
        .post(f"/api/upload_submission_scores/{mine.pk}/", {"f1": 1}, format="json")
        .status_code
        == 404
    )
    assert (
        api(participant)
        .post(f"/api/upload_submission_scores/{rivals.pk}/", {"f1": 1}, format="json")
        .status_code
        == 404
    )
    assert (
        api(participant)
        .post("/api/upload_submission_scores/999999/", {"f1": 1}, format="json")
        .status_code
        == 404
    )
    assert scores_of(mine)["f1"] == 0.6


def test_a_rule_that_keeps_the_best_entry_picks_again_after_an_edit(
    api, organizer, participant, phase, django_capture_on_commit_callbacks
):
    board = phase.leaderboard
    board.submission_rule = "Force_Best"
    board.save()
    weaker = scored(participant, phase, accuracy=0.5)
    stronger = scored(participant, phase, accuracy=0.7)
    Submission.objects.filter(pk=stronger.pk).update(leaderboard=board)

    with django_capture_on_commit_callbacks(execute=True):
        response = api(organizer).put(
            f"/api/submission_scores/{score(weaker, 'accuracy').pk}/", {"value": 0.9}, format="json"
        )

    assert response.status_code == 200
    on_board = Submission.objects.filter(leaderboard=board).values_list("pk", flat=True)
    assert list(on_board) == [weaker.pk]
