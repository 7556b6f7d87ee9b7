"""Ranking's pure functions: no database, milliseconds."""

from __future__ import annotations

import json

import pytest

from podium.leaderboards import ranking
from podium.leaderboards.ranking import BoardDef, ColumnDef, ScoreRow


def row(entry, values, *, owner=None, task=0, baseline=False, machine=None, **more):
    return ScoreRow(
        entry=entry,
        owner=entry if owner is None else owner,
        name=f"user{entry if owner is None else owner}",
        values=values,
        task=task,
        is_baseline=baseline,
        hardware=None if machine is None else json.dumps(machine),
        **more,
    )


def board(*columns, **fields):
    return BoardDef(columns=tuple(columns), **fields)


SCORE = ColumnDef(key="score", index=0)
TIME = ColumnDef(key="time", index=1, sorting="asc")


def ranked(definition, rows):
    return [
        (entry.rank_label, entry.submission) for entry in ranking.rank(definition, rows).entries
    ]


def test_equal_rows_share_the_first_rank_and_the_next_rank_skips():
    rows = [
        row(1, {"score": 0.8}),
        row(2, {"score": 0.9}),
        row(3, {"score": 0.8}),
        row(4, {"score": 0.1}),
    ]

    assert ranked(board(SCORE), rows) == [("1", 2), ("2=", 1), ("2=", 3), ("4", 4)]


def test_a_tie_is_on_every_column_not_only_the_primary_one():
    rows = [row(1, {"score": 0.8, "time": 3}), row(2, {"score": 0.8, "time": 2})]

    assert ranked(board(SCORE, TIME), rows) == [("1", 2), ("2", 1)]


def test_the_primary_column_comes_first_whatever_its_index():
    rows = [row(1, {"score": 0.9, "time": 3}), row(2, {"score": 0.1, "time": 2})]

    assert ranked(board(SCORE, TIME, primary_index=1), rows) == [("1", 2), ("2", 1)]


def test_a_missing_value_is_worse_than_any_value():
    rows = [row(1, {}), row(2, {"score": -5.0}), row(3, {"time": 1})]

    assert ranked(board(SCORE, TIME), rows) == [("1", 2), ("2", 3), ("3", 1)]


def test_values_rank_unrounded_and_display_rounded():
    entries = ranking.rank(
        board(ColumnDef(key="score", index=0, precision=2)),
        [row(1, {"score": 0.8999}), row(2, {"score": 0.9001})],
    ).entries

    assert [(entry.rank, ranking.format_value(entry.scores["score"], 2)) for entry in entries] == [
        (1, "0.90"),
        (2, "0.90"),
    ]


def test_baselines_are_placed_by_score_but_take_no_rank():
    rows = [row(1, {"score": 0.5}), row(2, {"score": 0.9}, baseline=True), row(3, {"score": 0.5})]

    assert ranked(board(SCORE), rows) == [("", 2), ("1=", 1), ("1=", 3)]


def test_computed_columns_of_a_single_task():
    columns = (
        ColumnDef(key="a", index=0),
        ColumnDef(key="b", index=1),
        ColumnDef(key="avg", index=2, computation="avg", sources=(0, 1)),
        ColumnDef(key="sum", index=3, computation="sum", sources=(0, 1)),
        ColumnDef(key="min", index=4, computation="min", sources=(0, 1)),
        ColumnDef(key="max", index=5, computation="max", sources=(0, 1)),
        ColumnDef(key="of-avg", index=6, computation="max", sources=(2, 0)),
    )

    entry = ranking.rank(board(*columns), [row(1, {"a": 1.0, "b": 4.0})]).entries[0]

    assert entry.scores == {
        "a": 1.0,
        "b": 4.0,
        "avg": 2.5,
        "sum": 5.0,
        "min": 1.0,
        "max": 4.0,
        "of-avg": 2.5,
    }


def test_computed_columns_aggregate_across_tasks_and_plain_ones_average():
    columns = (
        ColumnDef(key="a", index=0),
        ColumnDef(key="sum", index=1, computation="sum", sources=(0,)),
        ColumnDef(key="min", index=2, computation="min", sources=(0,)),
    )
    rows = [row(1, {"a": 1.0}, task=10), row(1, {"a": 3.0}, task=11), row(1, {"a": 8.0}, task=12)]

    entry = ranking.rank(board(*columns, tasks=(10, 11, 12)), rows).entries[0]

    assert entry.scores == {"a": 4.0, "sum": 12.0, "min": 1.0}
    assert entry.task_scores == {10: {"a": 1.0}, 11: {"a": 3.0}, 12: {"a": 8.0}}


def test_avg_rank_averages_fractional_ranks_over_columns_with_their_sortings():
    columns = (
        SCORE,
        TIME,
        ColumnDef(key="rank", index=2, computation="avg_rank", sources=(0, 1), sorting="asc"),
    )
    rows = [
        row(1, {"score": 0.9, "time": 30}),  # score: 1st; time: 4th -> 2.5
        row(2, {"score": 0.5, "time": 10}),  # score: 2nd and 3rd -> 2.5; time: 2nd, 3rd -> 2.5
        row(3, {"score": 0.5, "time": 10}),  # the same
        row(4, {"time": 5}),  # no score: its mean is over time alone, where it is 1st
    ]

    entries = ranking.rank(board(*columns, primary_index=2), rows).entries

    assert [(entry.submission, entry.scores["rank"]) for entry in entries] == [
        (4, 1.0),
        (1, 2.5),
        (2, 2.5),
        (3, 2.5),
    ]
    assert [entry.rank_label for entry in entries] == ["1", "2", "3=", "3="]


def test_fractional_ranks_share_the_mean_position():
    assert ranking.fractional_ranks({1: 5.0, 2: 7.0, 3: 7.0, 4: 1.0}, "desc") == {
        2: 1.5,
        3: 1.5,
        1: 3.0,
        4: 4.0,
    }
    assert ranking.fractional_ranks({1: 5.0, 2: 7.0}, "asc") == {1: 1.0, 2: 2.0}


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        ([], set()),
        ([(1, 0.9, 10.0)], {1}),
        # 3 is dominated by 2 (better score, cheaper); 4 by 1 and 2
        ([(1, 0.9, 10.0), (2, 0.8, 2.0), (3, 0.7, 3.0), (4, 0.5, 20.0)], {1, 2}),
        # equal points are both on the frontier; an equal score at a higher cost is not
        ([(1, 0.9, 5.0), (2, 0.9, 5.0), (3, 0.9, 6.0)], {1, 2}),
        # an equal cost with a lower score is dominated
        ([(1, 0.9, 5.0), (2, 0.8, 5.0)], {1}),
    ],
)
def test_the_frontier_keeps_the_points_nothing_dominates(points, expected):
    assert ranking.frontier(points, score_sorting="desc", cost_sorting="asc") == expected


def test_the_frontier_follows_each_columns_sorting():
    points = [(1, 0.1, 10.0), (2, 0.2, 20.0), (3, 0.3, 5.0)]  # an error rate, a throughput

    assert ranking.frontier(points, score_sorting="asc", cost_sorting="desc") == {1, 2}


def test_rows_without_both_frontier_values_are_not_on_it():
    definition = board(SCORE, TIME, frontier=("score", "time"))
    rows = [row(1, {"score": 0.5, "time": 1.0}), row(2, {"score": 0.9})]

    entries = ranking.rank(definition, rows).entries

    assert [(entry.submission, entry.on_frontier) for entry in entries] == [(2, False), (1, True)]


def test_the_most_common_machine_is_the_reference_and_others_are_named():
    xeon = {"cpu": "Xeon", "cores": 4, "memory": 2**33, "gpus": [{"name": "A100", "memory": 1}] * 2}
    epyc = {"cpu": "EPYC", "cores": 8, "memory": 2**34, "gpus": []}
    rows = [
        row(1, {"score": 0.3}, machine=xeon),
        row(2, {"score": 0.2}, machine=xeon),
        row(3, {"score": 0.1}, machine=epyc),
        row(4, {"score": 0.0}),
    ]

    result = ranking.rank(board(SCORE), rows)

    assert result.hardware == "Xeon, 4 cores, 8.0 GiB, 2 x A100"
    assert [entry.other_hardware for entry in result.entries] == [
        "",
        "",
        "EPYC, 8 cores, 16.0 GiB",
        "",
    ]


def test_force_last_takes_the_latest_made():
    candidates = ranking.entries(
        board(SCORE), [row(2, {"score": 0.1}, owner=7), row(1, {"score": 0.9}, owner=7)]
    )

    assert ranking.automatic_entries("Force_Last", board(SCORE), candidates) == {2}


def test_force_latest_multiple_takes_them_all():
    candidates = ranking.entries(board(SCORE), [row(1, {}, owner=7), row(2, {}, owner=7)])

    assert ranking.automatic_entries("Force_Latest_Multiple", board(SCORE), candidates) == {1, 2}


def test_force_best_compares_every_column_then_takes_the_earliest():
    definition = board(
        SCORE,
        TIME,
        ColumnDef(key="rank", index=2, computation="avg_rank", sources=(0,)),
        primary_index=0,
    )
    candidates = ranking.entries(
        definition,
        [
            row(1, {"score": 0.8, "time": 5}, owner=7),
            row(3, {"score": 0.8, "time": 4}, owner=7),
            row(2, {"score": 0.8, "time": 4}, owner=7),
            row(4, {"time": 1}, owner=7),
        ],
    )

    assert ranking.automatic_entries("Force_Best", definition, candidates) == {2}
    assert ranking.automatic_entries("Force_Best", definition, []) == set()


@pytest.mark.parametrize(
    ("rule", "added", "removed"),
    [
        ("Add", {3}, "refused"),
        ("Add_And_Delete", {3}, {1}),
        ("Add_And_Delete_Multiple", {1, 2, 3}, {1}),
    ],
)
def test_manual_rules(rule, added, removed):
    current = {1, 2}

    assert ranking.after_adding(rule, current, 3) == added
    if removed == "refused":
        with pytest.raises(ranking.RuleRefused, match="replaced by another, not removed"):
            ranking.after_removing(rule, current, 2)
    else:
        assert ranking.after_removing(rule, current, 2) == removed
        assert ranking.after_removing(rule, current, 3) == current
    assert ranking.after_removing(rule, current, 2, moderator=True) == {1}


@pytest.mark.parametrize("rule", sorted(ranking.AUTOMATIC_RULES))
def test_automatic_rules_refuse_manual_changes(rule):
    with pytest.raises(ranking.RuleRefused, match="the server chooses the entries"):
        ranking.after_adding(rule, set(), 1)
    with pytest.raises(ranking.RuleRefused, match="the server chooses the entries"):
        ranking.after_removing(rule, {1}, 1, moderator=True)


def test_what_a_viewer_sees_of_a_row():
    definition = board(
        SCORE,
        ColumnDef(key="secret", index=1, hidden=True),
        frontier=("score", "secret"),
        fact_sheet=("method",),
    )
    rows = [
        row(
            1, {"score": 0.5, "secret": 1.0}, organization="Lab", fact_sheet={"method": "x", "y": 1}
        ),
        row(2, {"score": 0.4, "secret": 2.0}, baseline=True),
    ]
    first, baseline = ranking.rank(definition, rows).entries

    everything = ranking.present(first, definition, hidden_columns=True, names=True)
    public = ranking.present(first, definition, hidden_columns=False, names=False, viewer=99)
    own = ranking.present(first, definition, hidden_columns=False, names=False, viewer=1)
    reference = ranking.present(baseline, definition, hidden_columns=False, names=False)

    assert (everything["participant"], everything["organization"], everything["submission"]) == (
        "user1",
        "Lab",
        1,
    )
    assert everything["scores"] == {"score": 0.5, "secret": 1.0}
    assert everything["on_frontier"] is True
    assert everything["fact_sheet"] == {"method": "x"}
    assert (public["participant"], public["organization"], public["submission"]) == (
        "Anonymous",
        None,
        None,
    )
    assert public["scores"] == {"score": 0.5}
    assert public["on_frontier"] is None  # its cost column is hidden
    assert (own["participant"], own["submission"], own["is_mine"]) == ("user1", 1, True)
    assert (reference["participant"], reference["rank"], reference["rank_label"]) == (
        "user2",
        None,
        "",
    )


# Pieces of `rank` for reading one page of kept rows


NUMBERS = [
    float("-inf"),
    -1e300,
    -2.5,
    -1.0,
    -5e-324,
    -0.0,
    0.0,
    5e-324,
    1e-9,
    0.5,
    1.0,
    2.5,
    1e300,
    float("inf"),
]


@pytest.mark.parametrize("sorting", ["desc", "asc"])
def test_order_keys_compare_as_score_keys_do(sorting):
    columns = [ColumnDef(key="a", index=0, sorting=sorting), ColumnDef(key="b", index=1)]
    entries = [
        ranking.Entry(submission=0, owner=0, name="", scores={"a": a, "b": b})
        for a in [*NUMBERS, None]
        for b in (-1.0, 0.0, None)
    ]

    for one in entries:
        for other in entries:
            by_score = ranking.score_key(columns, one), ranking.score_key(columns, other)
            by_order = ranking.order_key(columns, one), ranking.order_key(columns, other)
            assert (by_order[0] < by_order[1], by_order[0] == by_order[1]) == (
                by_score[0] < by_score[1],
                by_score[0] == by_score[1],
            ), (one.scores, other.scores)


def test_an_order_key_is_eight_bytes_a_column():
    columns = [SCORE, TIME]
    entry = ranking.Entry(submission=0, owner=0, name="", scores={"score": 0.5})

    assert len(ranking.order_key(columns, entry)) == 16
    assert ranking.order_key([], entry) == b""


def test_a_pages_ranks_count_the_rows_before_it_and_its_edges_off_the_page():
    # The whole board: keys a a | b c c | c d, and a baseline keyed c on the page.
    page = [(b"b", False), (b"c", False), (b"c", True), (b"c", False)]

    assert ranking.page_ranks(page, 2, {b"b": 1, b"c": 3}) == [
        (3, False),
        (4, True),
        (None, False),
        (4, True),
    ]


def test_a_page_inside_one_tie_shares_its_rank():
    page = [(b"k", False), (b"k", False)]

    assert ranking.page_ranks(page, 7, {b"k": 5}) == [(8, True), (8, True)]


def test_a_page_of_baselines_takes_no_rank():
    assert ranking.page_ranks([(b"k", True)], 0, {b"k": 0}) == [(None, False)]


@pytest.mark.parametrize(
    ("rule", "current", "expected"),
    [
        ("Add", set(), {5}),
        ("Add", {3}, {5}),
        ("Add", {8}, {8}),
        ("Add_And_Delete", {3}, {5}),
        ("Add_And_Delete", {8}, {8}),
        ("Add_And_Delete_Multiple", {3, 8}, {3, 5, 8}),
    ],
)
def test_a_carried_entry_is_added_unless_a_later_entry_stands(rule, current, expected):
    assert ranking.after_carrying(rule, current, 5) == expected


def test_no_entry_is_carried_by_hand_under_an_automatic_rule():
    with pytest.raises(ValueError, match="Force_Best is not a manual rule"):
        ranking.after_carrying("Force_Best", set(), 5)
