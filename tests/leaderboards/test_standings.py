"""The rows a leaderboard keeps (podium.leaderboards.standings): every change through the
services shows at once, a change made elsewhere once its writer says so, a change of
definition whoever made it; and the rows kept are always those a full ranking gives."""

from __future__ import annotations

import pytest
from django.test import TestCase

from podium.leaderboards import queries, ranking, services, standings
from podium.leaderboards.models import Column, PhaseStandings, Standing
from podium.leaderboards.serializers import RowSerializer
from podium.submissions import lifecycle
from podium.submissions import scores as score_services
from podium.submissions.models import Submission, SubmissionScore
from tests.factories import make_phase, make_task
from tests.leaderboards.conftest import (
    OTHER_MACHINE,
    make_board,
    on_board,
    player,
    submit,
    timed,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def board(competition, phase, participant, finish):
    board = make_board(competition, phases=[phase], submission_rule="Force_Best")
    finish(submit(participant, phase), {"score": 0.5})
    return board


def scores(api, user, phase):
    response = api(user).get(f"/api/phases/{phase.pk}/leaderboard/")
    if response.status_code != 200:
        return response.status_code
    return [(row["participant"], row["scores"]["score"]) for row in response.json()["results"]]


def test_new_entries_show_at_once(api, competition, phase, board, finish, outsider):
    assert scores(api, outsider, phase) == [("petra", 0.5)]

    finish(submit(player("rita", competition), phase), {"score": 0.9})

    assert scores(api, outsider, phase) == [("rita", 0.9), ("petra", 0.5)]


def test_the_policy_applies_to_every_read(api, phase, board, outsider):
    assert scores(api, outsider, phase) == [("petra", 0.5)]

    board.hidden = True
    board.save()

    assert scores(api, outsider, phase) == 404


def test_a_change_of_definition_shows_at_once_whoever_made_it(api, phase, board, outsider):
    assert scores(api, outsider, phase) == [("petra", 0.5)]

    board.columns.update(key="accuracy")  # as the admin would, behind the services' back

    response = api(outsider).get(f"/api/phases/{phase.pk}/leaderboard/").json()
    assert response["results"][0]["scores"] == {"accuracy": 0.5}


def test_a_score_changed_elsewhere_shows_once_its_writer_says_so(api, phase, board, outsider):
    assert scores(api, outsider, phase) == [("petra", 0.5)]

    SubmissionScore.objects.update(value=0.25)
    assert scores(api, outsider, phase) == [("petra", 0.5)]
    services.rows_changed(board.pk)

    assert scores(api, outsider, phase) == [("petra", 0.25)]


def test_an_entrys_new_scores_show_at_once_when_its_writer_places_it_again(
    api, phase, board, outsider, django_capture_on_commit_callbacks
):
    assert scores(api, outsider, phase) == [("petra", 0.5)]
    submission = phase.submissions.get()

    with django_capture_on_commit_callbacks(execute=True):
        SubmissionScore.objects.update(value=0.25)
        services.schedule_placement(submission)

    assert scores(api, outsider, phase) == [("petra", 0.25)]


def test_an_organizers_score_edit_shows_at_once_and_chooses_again(
    api, competition, phase, board, participant, organizer, finish, outsider
):
    second = finish(submit(participant, phase), {"score": 0.4})
    score = SubmissionScore.objects.get(submission=second)

    with TestCase.captureOnCommitCallbacks(execute=True):
        score_services.update_score(score, value=0.75, by=organizer)

    assert on_board(phase) == [second.pk]
    assert scores(api, outsider, phase) == [("petra", 0.75)]
    assert list(Standing.objects.values_list("submission", flat=True)) == [second.pk]


def test_a_deleted_entry_leaves_the_rows_and_its_next_best_takes_its_place(
    api, competition, phase, board, participant, finish, outsider
):
    worse = phase.submissions.get()
    best = finish(submit(participant, phase), {"score": 0.9})
    rival = finish(submit(player("rita", competition), phase), {"score": 0.7})
    assert scores(api, outsider, phase) == [("petra", 0.9), ("rita", 0.7)]

    lifecycle.delete(best, by=participant)

    assert scores(api, outsider, phase) == [("rita", 0.7), ("petra", 0.5)]
    assert on_board(phase) == [worse.pk, rival.pk]
    assert PhaseStandings.objects.get(phase=phase).rows == 2


def test_a_leaderboard_whose_rows_were_never_kept_works_them_out_when_read(
    api, competition, phase, board, finish, outsider
):
    finish(submit(player("rita", competition), phase), {"score": 0.9})
    Standing.objects.all().delete()
    PhaseStandings.objects.all().delete()  # as before this module existed

    assert scores(api, outsider, phase) == [("rita", 0.9), ("petra", 0.5)]
    assert Standing.objects.count() == 2


def test_changing_a_columns_sorting_through_the_api_orders_the_rows_again(
    api, competition, phase, participant, organizer, finish, outsider
):
    board = make_board(competition, phases=[phase], submission_rule="Force_Last")
    finish(submit(participant, phase), {"score": 0.5})
    finish(submit(player("rita", competition), phase), {"score": 0.9})
    assert scores(api, outsider, phase) == [("rita", 0.9), ("petra", 0.5)]
    column = Column.objects.get(leaderboard=board)

    response = api(organizer).patch(
        f"/api/leaderboards/{board.pk}/",
        {"columns": [{"id": column.pk, "index": 0, "key": "score", "sorting": "asc"}]},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert scores(api, outsider, phase) == [("petra", 0.5), ("rita", 0.9)]


def test_a_phase_moved_to_another_leaderboard_shows_its_rows(
    api, competition, phase, participant, organizer, finish, outsider
):
    make_board(competition, phases=[phase], submission_rule="Force_Last")
    finish(submit(participant, phase), {"score": 0.5})
    other = make_board(
        competition, [{"key": "score", "sorting": "asc"}], key="other", submission_rule="Add"
    )

    response = api(organizer).patch(
        f"/api/leaderboards/{other.pk}/", {"phases": [phase.pk]}, format="json"
    )

    assert response.status_code == 200, response.content
    # Its entry moves; scores belong to columns, and the new leaderboard's have none yet.
    assert scores(api, outsider, phase) == [("petra", None)]
    assert list(Standing.objects.values_list("leaderboard", flat=True)) == [other.pk]
    assert list(PhaseStandings.objects.values_list("leaderboard", "rows")) == [(other.pk, 1)]


def test_a_new_entry_moves_every_average_rank(
    api, competition, organizer, participant, finish, outsider
):
    tasks = [make_task(owner=organizer, name=name) for name in ("A", "B")]
    phase = make_phase(competition=competition, tasks=tasks)
    make_board(
        competition,
        [
            {"key": "score"},
            {
                "key": "rank",
                "computation": "avg_rank",
                "computation_indexes": [0],
                "sorting": "asc",
            },
        ],
        phases=[phase],
        submission_rule="Force_Last",
        primary_index=1,
    )
    first, second = tasks

    def run(user, on_first, on_second):
        finish(
            submit(user, phase),
            tasks={first.pk: ({"score": on_first}, {}), second.pk: ({"score": on_second}, {})},
        )

    def ranks():
        body = api(outsider).get(f"/api/phases/{phase.pk}/leaderboard/").json()
        return [(row["participant"], row["scores"]["rank"]) for row in body["results"]]

    run(participant, 0.5, 0.5)
    run(player("rita", competition), 0.4, 0.6)
    assert ranks() == [("petra", 1.5), ("rita", 1.5)]

    run(player("sam", competition), 0.9, 0.9)

    assert ranks() == [("sam", 1.0), ("petra", 2.5), ("rita", 2.5)]


@pytest.mark.parametrize("near_top", [0, standings.NEAR_TOP])
def test_the_rows_kept_are_those_a_full_ranking_gives(
    api, competition, organizer, participant, finish, outsider, monkeypatch, near_top
):
    """After many changes of every kind, the kept rows equal a ranking of every run, read
    near the top of the index or below it."""
    monkeypatch.setattr(standings, "NEAR_TOP", near_top)
    tasks = [make_task(owner=organizer, name=name) for name in ("A", "B")]
    phase = make_phase(competition=competition, tasks=tasks)
    board = make_board(
        competition,
        [
            {"key": "score"},
            {"key": "podium:prediction.wall_time", "sorting": "asc"},
            {"key": "best", "computation": "max", "computation_indexes": [0]},
            {"key": "rank", "computation": "avg_rank", "computation_indexes": [0, 1]},
        ],
        phases=[phase],
        submission_rule="Force_Best",
        frontier_score="score",
        frontier_cost="podium:prediction.wall_time",
    )
    first, second = tasks
    people = [participant, *(player(f"p{number}", competition) for number in range(5))]
    for round_ in range(3):
        for number, user in enumerate(people):
            value = ((number * 7 + round_ * 3) % 5) / 4
            machine = OTHER_MACHINE if (number + round_) % 4 == 0 else None
            finish(
                submit(user, phase),
                tasks={
                    first.pk: ({"score": value}, timed(1 + number, machine)),
                    second.pk: ({"score": 1 - value / 2}, timed(2 + round_)),
                },
            )
    finish(
        submit(organizer, phase, baseline=True),
        tasks={first.pk: ({"score": 0.5}, timed(3)), second.pk: ({"score": 0.75}, timed(3))},
    )
    last = people[-1]
    entry = Submission.objects.get(phase=phase, owner=last, leaderboard=board, parent=None)
    lifecycle.delete(entry, by=last)

    columns = list(board.columns.order_by("index"))
    phase.refresh_from_db()
    definition = queries.board_def(phase, board, columns)
    expected = ranking.rank(
        definition,
        queries.score_rows(
            phase_id=phase.pk, columns=columns, fact_sheet=False, leaderboard_id=board.pk
        ),
    )
    shown = [
        ranking.present(entry, definition, hidden_columns=False, names=True)
        for entry in expected.entries
    ]
    pages = [
        api(outsider).get(f"/api/phases/{phase.pk}/leaderboard/?limit=2&offset={offset}").json()
        for offset in range(0, 8, 2)
    ]

    assert len(shown) == 7
    assert [page["count"] for page in pages] == [7, 7, 7, 7]
    assert [row for page in pages for row in page["results"]] == shown
    assert pages[0]["hardware"] == expected.hardware
    # The API sends the rows as ranking.present makes them: the serializer's shape.
    assert RowSerializer(shown, many=True).data == shown


def test_edited_fact_sheet_answers_and_a_new_name_show_at_once(
    api, competition, phase, participant, finish, outsider
):
    competition.fact_sheet = {
        "method": {"key": "method", "type": "text", "title": "Method", "is_on_leaderboard": True}
    }
    competition.save()
    make_board(competition, phases=[phase], submission_rule="Force_Last")
    entry = finish(submit(participant, phase, fact_sheet={"method": "SVM"}), {"score": 0.5})

    lifecycle.update_fact_sheet(entry, answers={"method": "CNN"})
    participant.username = "petra2"
    participant.save()

    body = api(outsider).get(f"/api/phases/{phase.pk}/leaderboard/").json()
    assert [(row["participant"], row["fact_sheet"]) for row in body["results"]] == [
        ("petra2", {"method": "CNN"})
    ]


@pytest.mark.parametrize("near_top", [0, 3, standings.NEAR_TOP])
def test_ties_and_baselines_across_page_edges_rank_as_on_one_page(
    api, competition, phase, organizer, finish, outsider, monkeypatch, near_top
):
    # Pages read near the top, below it, and on either side of its edge.
    monkeypatch.setattr(standings, "NEAR_TOP", near_top)
    make_board(competition, phases=[phase], submission_rule="Force_Last")
    finish(submit(organizer, phase, baseline=True), {"score": 0.5})
    for name, score in [("a", 0.9), ("b", 0.5), ("c", 0.5), ("d", 0.5), ("e", 0.1)]:
        finish(submit(player(name, competition), phase), {"score": score})

    def ranks(limit, offset):
        path = f"/api/phases/{phase.pk}/leaderboard/?limit={limit}&offset={offset}"
        return [
            (row["participant"], row["rank_label"])
            for row in api(outsider).get(path).json()["results"]
        ]

    whole = ranks(10, 0)
    assert whole == [
        ("a", "1"),
        ("olivia", ""),
        ("b", "2="),
        ("c", "2="),
        ("d", "2="),
        ("e", "5"),
    ]
    for limit in (1, 2, 3, 4):
        assert [row for offset in range(0, 6, limit) for row in ranks(limit, offset)] == whole


@pytest.mark.parametrize("key", ["accuracy", "2024", "f1:macro.avg", 'top-1 "exact"'])
def test_the_charts_read_a_columns_values_whatever_its_key(
    competition, phase, participant, finish, key
):
    # A key that reads as a number ("2024") is an array index to the databases' JSON paths.
    make_board(competition, [{"key": key}], phases=[phase], submission_rule="Force_Best")
    finish(submit(participant, phase), {key: 0.5})
    finish(submit(player("rita", competition), phase), {key: 0.9})
    found = services.phase_board(phase)
    rows = found.ranking.entries.chart(10, key)
    assert [(row.name, row.value) for row in rows] == [("rita", 0.9), ("petra", 0.5)]
    assert [row.value for row in rows[:1]] == [found.ranking.entries[0].scores[key]]
