"""The six submission rules, as submissions finish (the worker's report) and as people add
and remove entries (POST/DELETE /api/submissions/{id}/submission_leaderboard_connection/)."""

from __future__ import annotations

import pytest

from podium.leaderboards import services
from podium.submissions.models import Submission
from tests.factories import make_phase, make_task
from tests.leaderboards.conftest import make_board, on_board, player, submit

pytestmark = pytest.mark.django_db


def connect(api, user, submission, method="post"):
    path = f"/api/submissions/{submission.pk}/submission_leaderboard_connection/"
    return getattr(api(user), method)(path)


def test_force_last_keeps_the_latest_made_whatever_finishes_last(
    competition, phase, participant, finish
):
    make_board(competition, phases=[phase], submission_rule="Force_Last")
    older, newer = submit(participant, phase), submit(participant, phase)

    finish(newer, {"score": 0.2})
    assert on_board(phase) == [newer.pk]
    finish(older, {"score": 0.9})
    assert on_board(phase) == [newer.pk]
    latest = finish(submit(participant, phase), {"score": 0.1})
    assert on_board(phase) == [latest.pk]


def test_force_latest_multiple_adds_every_finished_submission(
    competition, phase, participant, finish
):
    make_board(competition, phases=[phase], submission_rule="Force_Latest_Multiple")
    first = finish(submit(participant, phase), {"score": 0.2})
    waiting = submit(participant, phase)
    second = finish(submit(participant, phase), {"score": 0.1})

    assert on_board(phase) == [first.pk, second.pk]
    assert waiting.pk not in on_board(phase)


def test_force_best_keeps_the_best_by_the_primary_column_then_the_others(
    competition, phase, participant, finish
):
    make_board(
        competition,
        [{"key": "score"}, {"key": "time", "sorting": "asc"}],
        phases=[phase],
        submission_rule="Force_Best",
    )
    good = finish(submit(participant, phase), {"score": 0.8, "time": 5})
    finish(submit(participant, phase), {"score": 0.6, "time": 1})
    assert on_board(phase) == [good.pk]
    faster = finish(submit(participant, phase), {"score": 0.8, "time": 4})
    assert on_board(phase) == [faster.pk]
    finish(submit(participant, phase), {"score": 0.8, "time": 4})
    assert on_board(phase) == [faster.pk]  # a full tie keeps the earliest


def test_each_participant_has_their_own_entries(competition, phase, participant, finish):
    make_board(competition, phases=[phase], submission_rule="Force_Best")
    mine = finish(submit(participant, phase), {"score": 0.5})
    theirs = finish(submit(player("rita", competition), phase), {"score": 0.1})

    assert on_board(phase) == [mine.pk, theirs.pk]


def test_placing_again_changes_nothing(competition, phase, participant, finish):
    make_board(competition, phases=[phase], submission_rule="Force_Best")
    best = finish(submit(participant, phase), {"score": 0.9})
    other = finish(submit(participant, phase), {"score": 0.1})

    assert services.place_finished(other.pk) == [best.pk]
    assert services.place_finished(best.pk) == [best.pk]
    assert on_board(phase) == [best.pk]


@pytest.mark.parametrize("rule", ["Add", "Add_And_Delete", "Add_And_Delete_Multiple"])
def test_manual_rules_place_nothing_when_a_submission_finishes(
    rule, competition, phase, participant, finish
):
    make_board(competition, phases=[phase], submission_rule=rule)
    finish(submit(participant, phase), {"score": 0.5})

    assert on_board(phase) == []


def test_add_puts_one_entry_that_the_participant_replaces_but_cannot_remove(
    competition, phase, participant, organizer, finish, api
):
    make_board(competition, phases=[phase], submission_rule="Add")
    first = finish(submit(participant, phase), {"score": 0.5})
    second = finish(submit(participant, phase), {"score": 0.4})

    added = connect(api, participant, first)
    assert added.status_code == 200
    assert added.json() == {
        "submission": first.pk,
        "leaderboard": phase.leaderboard_id,
        "on_leaderboard": True,
        "entries": [first.pk],
    }
    assert connect(api, participant, second).json()["entries"] == [second.pk]
    assert on_board(phase) == [second.pk]
    refused = connect(api, participant, second, "delete")
    assert refused.status_code == 409
    assert refused.json()["detail"] == "under Add an entry can be replaced by another, not removed"
    assert on_board(phase) == [second.pk]
    # the organizers moderate
    assert connect(api, organizer, second, "delete").json()["entries"] == []
    assert on_board(phase) == []


def test_add_and_delete_lets_the_participant_remove_their_one_entry(
    competition, phase, participant, finish, api
):
    make_board(competition, phases=[phase], submission_rule="Add_And_Delete")
    first = finish(submit(participant, phase), {"score": 0.5})
    second = finish(submit(participant, phase), {"score": 0.4})

    connect(api, participant, first)
    connect(api, participant, second)
    assert on_board(phase) == [second.pk]
    removed = connect(api, participant, second, "delete")
    assert removed.status_code == 200
    assert removed.json()["on_leaderboard"] is False
    assert on_board(phase) == []
    assert connect(api, participant, second, "delete").status_code == 200  # again: no change


def test_add_and_delete_multiple_adds_and_removes_one_at_a_time(
    competition, phase, participant, finish, api
):
    make_board(competition, phases=[phase], submission_rule="Add_And_Delete_Multiple")
    first = finish(submit(participant, phase), {"score": 0.5})
    second = finish(submit(participant, phase), {"score": 0.4})

    connect(api, participant, first)
    assert connect(api, participant, second).json()["entries"] == [first.pk, second.pk]
    assert connect(api, participant, second).json()["entries"] == [first.pk, second.pk]
    assert connect(api, participant, first, "delete").json()["entries"] == [second.pk]
    assert on_board(phase) == [second.pk]


@pytest.mark.parametrize("rule", ["Force_Last", "Force_Latest_Multiple", "Force_Best"])
@pytest.mark.parametrize("method", ["post", "delete"])
def test_nobody_adds_or_removes_under_an_automatic_rule(
    rule, method, competition, phase, participant, organizer, admin, finish, api
):
    make_board(competition, phases=[phase], submission_rule=rule)
    submission = finish(submit(participant, phase), {"score": 0.5})

    for user in (participant, organizer, admin):
        response = connect(api, user, submission, method)
        assert response.status_code == 409
        assert response.json()["detail"].startswith(f"under {rule} the server chooses the entries")
    assert on_board(phase) == [submission.pk]


def test_only_a_finished_submission_is_added(competition, phase, participant, api):
    make_board(competition, phases=[phase], submission_rule="Add")
    running = submit(participant, phase)

    response = connect(api, participant, running)

    assert response.status_code == 409
    assert response.json()["detail"] == (
        "only a finished submission can be on the leaderboard; "
        f"submission {running.pk} is submitted"
    )


def test_a_phase_without_a_leaderboard_takes_no_entries(phase, participant, finish, api):
    submission = finish(submit(participant, phase), {})

    response = connect(api, participant, submission)

    assert response.status_code == 409
    assert response.json()["detail"] == "phase 'Development' has no leaderboard"


def test_a_public_submission_is_changed_by_its_owner_or_the_organizers_only(
    competition, phase, participant, outsider, finish, api
):
    make_board(competition, phases=[phase], submission_rule="Add")
    rival = finish(submit(player("rita", competition), phase), {"score": 0.5})
    Submission.objects.filter(pk=rival.pk).update(is_public=True)

    for user in (participant, outsider):
        response = connect(api, user, rival)
        assert response.status_code == 403
    assert connect(api, None, rival).status_code == 401
    assert on_board(phase) == []


def test_a_multi_task_submission_is_placed_with_its_tasks(
    competition, organizer, participant, finish, api
):
    tasks = [make_task(owner=organizer, name=name) for name in ("A", "B")]
    phase = make_phase(competition=competition, tasks=tasks)
    make_board(competition, phases=[phase], submission_rule="Add")
    submission = finish(
        submit(participant, phase),
        tasks={task.pk: ({"score": 0.5}, {}) for task in tasks},
    )
    child = submission.children.first()

    response = connect(api, participant, child)

    assert response.json()["entries"] == [submission.pk]
    assert sorted(
        Submission.objects.filter(leaderboard=phase.leaderboard).values_list("pk", flat=True)
    ) == sorted([submission.pk, *submission.children.values_list("pk", flat=True)])


def test_a_baseline_is_placed_whatever_the_rule_and_displaces_nothing(
    competition, phase, organizer, finish, api
):
    make_board(competition, phases=[phase], submission_rule="Add")
    own = finish(submit(organizer, phase), {"score": 0.3})
    connect(api, organizer, own)
    baseline = finish(submit(organizer, phase, baseline=True), {"score": 0.5})
    rerun = finish(submit(organizer, phase, baseline=True, data=baseline.data), {"score": 0.6})

    assert on_board(phase) == [own.pk, rerun.pk]


def test_choosing_an_automatic_rule_places_every_participants_entries_again(
    competition, phase, participant, organizer, finish, api
):
    board = make_board(competition, phases=[phase], submission_rule="Add")
    best = finish(submit(participant, phase), {"score": 0.9})
    chosen = finish(submit(participant, phase), {"score": 0.1})
    connect(api, participant, chosen)
    rival = finish(submit(player("rita", competition), phase), {"score": 0.4})

    response = api(organizer).patch(
        f"/api/leaderboards/{board.pk}/", {"submission_rule": "Force_Best"}, format="json"
    )

    assert response.status_code == 200
    assert on_board(phase) == [best.pk, rival.pk]


def test_entries_are_chosen_again_after_a_change_made_elsewhere(
    competition, phase, participant, finish
):
    make_board(competition, phases=[phase], submission_rule="Force_Best")
    second = finish(submit(participant, phase), {"score": 0.5})
    best = finish(submit(participant, phase), {"score": 0.9})
    assert on_board(phase) == [best.pk]

    best.delete()  # as the submissions' own delete does
    phase.refresh_from_db()

    assert services.entries_changed(phase, participant.pk) == [second.pk]
    assert on_board(phase) == [second.pk]
