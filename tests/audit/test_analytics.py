"""The analytics for platform hosts: counts over time, workers busy, storage by user and by
competition, shaped for charts, in a fixed number of queries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from podium.accounts.models import User
from podium.audit import analytics
from podium.competitions.models import Competition
from podium.datasets.models import Data
from podium.queues.models import Queue
from podium.submissions.models import Submission
from podium.submissions.services import start_submission, transition
from podium_worker.protocol import Status
from tests.factories import make_competition, make_data, make_phase, make_task, make_user

pytestmark = pytest.mark.django_db

ANALYTICS = "/api/analytics/"


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def submit(user, phase, tasks, *, content=None) -> Submission:
    return start_submission(
        owner=user,
        participant=None,
        phase=phase,
        tasks=tasks,
        data=make_data(owner=user, kind=Data.Kind.SUBMISSION, content=content),
        publish=False,
    )


def move(submission: Submission, *statuses: Status) -> None:
    for status in statuses:
        transition(submission, status)


@pytest.fixture
def history(organizer):
    """In 2035: users joining, competitions created, submissions made (one to a phase of
    two tasks), on days picked to test the periods' edges."""
    joined = {"2035-01-01": 2, "2035-01-03": 1, "2035-01-31": 1, "2035-02-01": 3}
    for day, how_many in joined.items():
        for _ in range(how_many):
            user = make_user(f"u{User.objects.count()}")
            User.objects.filter(pk=user.pk).update(date_joined=at(day))
    # Monday 2035-01-01 at midnight starts a day, a week and a month; a minute before it
    # belongs to the day, week and month before
    for moment in (at("2035-01-01", 0), at("2034-12-31", 23).replace(minute=59)):
        competition = make_competition(owner=organizer)
        Competition.objects.filter(pk=competition.pk).update(created_at=moment)
    competition = make_competition(owner=organizer, title="Busy")
    tasks = [make_task(owner=organizer), make_task(owner=organizer)]
    phase = make_phase(competition=competition, tasks=tasks)
    for day in ("2035-01-03", "2035-01-03", "2035-01-05"):
        parent = submit(organizer, phase, tasks)
        Submission.objects.filter(pk=parent.pk).update(created_at=at(day))
        Submission.objects.filter(parent=parent).update(created_at=at(day))


def get(api, admin, **query):
    response = api(admin).get(ANALYTICS, query)
    assert response.status_code == 200, response.content
    return response.json()


def test_counts_per_day_cover_every_day_with_zeros(api, admin, history):
    body = get(api, admin, start="2035-01-01", end="2035-01-05")

    assert (body["start"], body["end"], body["interval"]) == ("2035-01-01", "2035-01-05", "day")
    assert body["counts"] == {
        "periods": ["2035-01-01", "2035-01-02", "2035-01-03", "2035-01-04", "2035-01-05"],
        "users_joined": [2, 0, 1, 0, 0],
        "competitions_created": [1, 0, 0, 0, 0],
        "submissions_made": [0, 0, 2, 0, 1],
    }


def test_weeks_start_on_monday_and_the_window_widens_to_whole_weeks(api, admin, history):
    # 2035-01-03 is a Wednesday; its week starts on Monday 2035-01-01.
    body = get(api, admin, start="2035-01-03", end="2035-01-08", interval="week")

    assert (body["start"], body["end"]) == ("2035-01-01", "2035-01-14")
    assert body["counts"] == {
        "periods": ["2035-01-01", "2035-01-08"],
        "users_joined": [3, 0],
        "competitions_created": [1, 0],
        "submissions_made": [3, 0],
    }


def test_months_run_over_the_years_end(api, admin, history):
    body = get(api, admin, start="2034-12-15", end="2035-02-10", interval="month")

    assert (body["start"], body["end"]) == ("2034-12-01", "2035-02-28")
    assert body["counts"] == {
        "periods": ["2034-12-01", "2035-01-01", "2035-02-01"],
        "users_joined": [0, 4, 3],
        "competitions_created": [1, 1, 0],
        "submissions_made": [0, 3, 0],
    }


def test_the_default_window_is_the_last_thirty_days_by_day(api, admin):
    today = timezone.now().date()

    body = get(api, admin)

    assert (body["start"], body["end"], body["interval"]) == (
        str(today - timedelta(days=30)),
        str(today),
        "day",
    )
    assert len(body["counts"]["periods"]) == 31
    # the personas joined today
    assert body["counts"]["users_joined"][-1] == User.objects.count()


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"interval": "year"}, {"interval": ['"year" is not a valid choice.']}),
        (
            {"start": "2035-01-02", "end": "2035-01-01"},
            {"end": ["must not be before start"]},
        ),
        (
            {"start": "2000-01-01", "end": "2035-01-01"},
            {
                "interval": [
                    "12785 days between start and end, at most 1000; choose a shorter window "
                    "or a longer interval"
                ]
            },
        ),
        (
            {"start": "0001-01-01", "end": "9999-12-31", "interval": "week"},
            {"end": ["outside the calendar's range"]},
        ),
        (
            {"start": "yesterday"},
            {"start": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]},
        ),
        ({"top": "0"}, {"top": ["Ensure this value is greater than or equal to 1."]}),
    ],
)
def test_a_window_it_cannot_chart_is_refused_by_parameter(api, admin, query, errors):
    response = api(admin).get(ANALYTICS, query)

    assert response.status_code == 400
    assert response.json() == errors


def test_the_last_weeks_of_the_calendar_are_refused_not_crashed_on(api, admin):
    response = api(admin).get(ANALYTICS, {"start": "9999-12-20", "end": "9999-12-31"})

    assert response.status_code == 400
    assert response.json() == {"end": ["outside the calendar's range"]}


def test_workers_busy_counts_the_jobs_workers_hold_per_queue(api, admin, organizer):
    gpu = Queue.objects.create(owner=organizer, name="GPUs")
    on_gpu = make_competition(owner=organizer, title="On GPUs", queue=gpu)
    on_default = make_competition(owner=organizer, title="On the default queue")
    task = make_task(owner=organizer)
    gpu_phase = make_phase(competition=on_gpu, tasks=[task])
    move(submit(organizer, gpu_phase, [task]), Status.PREPARING)
    move(submit(organizer, gpu_phase, [task]), Status.PREPARING, Status.RUNNING)
    move(submit(organizer, gpu_phase, [task]), Status.PREPARING, Status.SCORING)
    submit(organizer, gpu_phase, [task])  # waiting
    move(submit(organizer, gpu_phase, [task]), Status.PREPARING, Status.SCORING, Status.FINISHED)
    move(submit(organizer, gpu_phase, [task]), Status.CANCELLED)
    # a submission to a phase of two tasks is two jobs; its parent is none
    pair = [task, make_task(owner=organizer)]
    two_tasks = make_phase(competition=on_default, name="Two tasks", index=1, tasks=pair)
    children = list(submit(organizer, two_tasks, pair).children.order_by("pk"))
    move(children[0], Status.PREPARING, Status.RUNNING)

    body = get(api, admin)

    assert body["workers"] == {
        "running": 4,
        "waiting": 2,
        "queues": [
            {"queue": gpu.pk, "name": "GPUs", "running": 3, "waiting": 1},
            {"queue": None, "name": settings.DEFAULT_QUEUE, "running": 1, "waiting": 1},
        ],
    }


def test_storage_counts_each_file_once_per_user_and_per_competition(
    api, admin, organizer, participant, competition
):
    organizer.quota_bytes = 1000
    organizer.save()
    program = make_data(owner=organizer, kind=Data.Kind.SCORING_PROGRAM, content=b"p" * 20)
    logo = make_data(owner=organizer, kind=Data.Kind.LOGO, content=b"l" * 10)
    make_data(owner=organizer, content=b"u" * 7)  # used by nothing: the organizer's only
    competition.logo = logo
    competition.save()
    task, other = make_task(owner=organizer, scoring_program=program), make_task(owner=organizer)
    # the same task in two phases, a phase of two tasks: its submissions share one file
    make_phase(competition=competition, tasks=[task])
    pair = make_phase(competition=competition, name="Pair", index=1, tasks=[task, other])
    submission = submit(participant, pair, [task, other], content=b"s" * 30)
    child = submission.children.order_by("pk").first()
    child.logs = make_data(owner=participant, kind=Data.Kind.LOG, content=b"g" * 5)
    child.save()
    # another competition reusing the task counts its program too
    reuser = make_competition(owner=organizer, title="Reuser")
    make_phase(competition=reuser, tasks=[task])
    # an upload in progress is counted nowhere
    partial = make_data(owner=participant, content=b"x" * 1000)
    Data.objects.filter(pk=partial.pk).update(upload_completed=False)
    other_size = other.scoring_program.size

    storage = get(api, admin)["storage"]

    organizer_bytes = 20 + 10 + 7 + other_size
    assert storage == {
        "bytes": organizer_bytes + 35,
        "files": 6,
        "by_user": [
            {
                "user": organizer.pk,
                "username": "olivia",
                "bytes": organizer_bytes,
                "files": 4,
                "quota_bytes": 1000,
            },
            {
                "user": participant.pk,
                "username": "petra",
                "bytes": 35,
                "files": 2,
                "quota_bytes": settings.USER_QUOTA_BYTES,
            },
        ],
        "by_competition": [
            {
                "competition": competition.pk,
                "title": "Published",
                "bytes": 20 + 10 + other_size + 30 + 5,
            },
            {"competition": reuser.pk, "title": "Reuser", "bytes": 20},
        ],
    }


def test_top_limits_the_storage_lists(api, admin, organizer, outsider):
    make_data(owner=organizer, content=b"12")
    make_data(owner=outsider, content=b"1")

    storage = get(api, admin, top=1)["storage"]

    assert [row["username"] for row in storage["by_user"]] == ["olivia"]


def test_the_analytics_cost_a_fixed_number_of_queries(
    api, admin, organizer, participant, django_assert_num_queries
):
    def busy_platform(n: int) -> None:
        queue = Queue.objects.create(owner=organizer, name=f"Q{n}")
        competition = make_competition(owner=organizer, title=f"C{n}", queue=queue)
        tasks = [make_task(owner=organizer), make_task(owner=organizer)]
        phase = make_phase(competition=competition, tasks=tasks)
        for _ in range(2):
            move(submit(participant, phase, tasks).children.first(), Status.PREPARING)

    busy_platform(0)
    # the session's user, then: three series, workers, total, by user, their names,
    # by competition
    with django_assert_num_queries(8):
        small = get(api, admin, start="2026-01-01", end="2035-01-01", interval="month")
    for n in range(1, 6):
        busy_platform(n)
    with django_assert_num_queries(8):
        large = get(api, admin, start="2026-01-01", end="2035-01-01", interval="month")

    assert (small["workers"]["running"], large["workers"]["running"]) == (2, 12)
    assert len(large["storage"]["by_competition"]) == 6


def test_period_arithmetic():
    assert analytics.period_of(date(2035, 1, 3), "week") == date(2035, 1, 1)
    assert analytics.period_of(date(2034, 12, 31), "week") == date(2034, 12, 25)
    assert analytics.period_of(date(2035, 1, 31), "month") == date(2035, 1, 1)
    window = analytics.Window.around(
        start=date(2035, 11, 30), end=date(2036, 1, 1), interval="month"
    )
    assert (window.start, window.end, window.count()) == (
        date(2035, 11, 1),
        date(2036, 2, 1),
        3,
    )
    assert window.periods() == [date(2035, 11, 1), date(2035, 12, 1), date(2036, 1, 1)]
