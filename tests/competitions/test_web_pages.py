"""The public pages through Django's test client: what each shows to whom, and how many
queries each costs. The browser tests (tests/browser) check the same pages in Chromium."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from podium.competitions.models import Competition, Phase
from podium.datasets.models import Data
from podium.leaderboards.models import Column, Leaderboard
from podium.participation.models import Participant
from podium.submissions.models import Submission
from podium.web import listing, results
from podium.web.assets import NodeModulesFinder
from podium_worker.protocol import Status
from tests.browser.world import DETAILED_RESULTS, World, build, finish, report, submit
from tests.factories import (
    make_competition,
    make_data,
    make_participant,
    make_phase,
    make_task,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db) -> World:
    return build()


def path(world: World, tab: str = "") -> str:
    return f"/competitions/{world.competition.pk}/{tab}"


def titles(competitions) -> list[str]:
    return [competition.title for competition in competitions]


def dated(owner, title: str, *, start_days: int | None, end_days: int | None, **fields):
    """A published competition with one phase starting and ending that many days from now
    (no phase when `start_days` is None)."""
    competition = make_competition(owner=owner, title=title, **fields)
    if start_days is not None:
        now = timezone.now()
        make_phase(
            competition=competition,
            start=now + timedelta(days=start_days),
            end=None if end_days is None else now + timedelta(days=end_days),
        )
    return competition


# Front page and list


def test_the_front_page_features_running_competitions_and_counts_the_platform(
    client, world, django_assert_max_num_queries
):
    dated(world.organizer, "Later", start_days=3, end_days=9)
    dated(world.organizer, "Secret draft", start_days=-1, end_days=9, published=False)
    with django_assert_max_num_queries(5):
        response = client.get("/")
    front = response.context["front"]
    assert (titles(front.featured), titles(front.recent)) == (["Efficient Iris"], ["Later"])
    assert (front.competitions, front.participants, front.submissions) == (2, 4, 4)
    assert "Secret draft" not in response.content.decode()


def test_the_list_finds_competitions_by_text_status_and_type(client, world):
    owner = world.organizer
    dated(owner, "Speech", start_days=-20, end_days=-2, description="Recognise words")
    dated(owner, "Vision", start_days=2, end_days=None, competition_type="benchmark")
    dated(owner, "No phases yet", start_days=None, end_days=None)
    dated(owner, "Open ended", start_days=-5, end_days=None)
    dated(owner, "Draft", start_days=-5, end_days=None, published=False)
    cases = {
        "": ["Open ended", "No phases yet", "Vision", "Speech", "Efficient Iris"],
        "?status=running": ["Open ended", "Efficient Iris"],
        "?status=upcoming": ["No phases yet", "Vision"],
        "?status=ended": ["Speech"],
        "?type=benchmark": ["Vision", "Efficient Iris"],
        "?type=benchmark&status=upcoming": ["Vision"],
        "?q=WORDS": ["Speech"],
        "?q=iris&status=ended": [],
        "?status=bogus&type=unknown": [
            "Open ended",
            "No phases yet",
            "Vision",
            "Speech",
            "Efficient Iris",
        ],
    }
    found = {
        query: titles(client.get(f"/competitions/{query}").context["page"].object_list)
        for query in cases
    }
    assert found == cases
    client.force_login(owner)
    assert titles(client.get("/competitions/?q=draft").context["page"].object_list) == ["Draft"]


def test_a_competition_s_header_says_what_the_list_says(world):
    """A competition's pages work its status out in Python (listing.one); the list does in
    SQL (listing.annotated): both agree, whatever its phases."""
    owner, now = world.organizer, timezone.now()
    days = [timedelta(days=number) for number in range(-30, 31)]

    def phases(title: str, *periods: tuple[int, int | None]) -> Competition:
        competition = make_competition(owner=owner, title=title)
        for index, (start, end) in enumerate(periods):
            make_phase(
                competition=competition,
                name=f"{title} {index}",
                index=index,
                start=now + days[30 + start],
                end=None if end is None else now + days[30 + end],
            )
        return competition

    made = [
        world.competition,
        phases("No phases"),
        phases("Upcoming", (2, 5), (5, None)),
        phases("Ended", (-20, -10), (-10, -1)),
        phases("Between phases", (-20, -10), (3, 9)),
        phases("Open ended", (-20, None)),
        phases("Two current, the first by index", (-5, 9), (-9, None)),
        phases("Ended, one end later than the other", (-20, -2), (-19, -15)),
        phases("Starts this very moment", (0, 5)),
        phases("Ends this very moment", (-5, 0)),
        phases("One ends as the next starts", (-5, 0), (0, 5)),
    ]
    fields = list(listing.Listed.__annotations__)
    everyone = Competition.objects.all()
    seen = set()
    for competition in made:
        listed = listing.annotated(everyone, now).get(pk=competition.pk)
        alone = listing.one(everyone, competition.pk, now)
        assert [getattr(alone, name) for name in fields] == [
            getattr(listed, name) for name in fields
        ], competition.title
        seen.add(alone.status)
    assert seen == set(listing.STATUSES)
    assert listing.one(everyone.exclude(pk=world.competition.pk), world.competition.pk, now) is None


def test_the_list_pages_twelve_at_a_time_keeping_the_search(
    client, db, django_assert_max_num_queries
):
    owner = make_user("olivia")
    for number in range(14):
        dated(owner, f"Running {number:02}", start_days=-1, end_days=5)
    dated(owner, "Ended", start_days=-9, end_days=-1)
    with django_assert_max_num_queries(2):
        first = client.get("/competitions/?status=running")
    second = client.get("/competitions/?status=running&page=2")
    assert titles(first.context["page"].object_list) == [
        f"Running {number:02}" for number in range(13, 1, -1)
    ]
    assert titles(second.context["page"].object_list) == ["Running 01", "Running 00"]
    assert 'href="?status=running&amp;page=2" rel="next"' in first.content.decode()
    assert 'href="?status=running&amp;page=1" rel="prev"' in second.content.decode()


# A competition's tabs


def test_the_overview_shows_the_organizer_pages_sanitized(client, world):
    body = client.get(path(world)).content.decode()
    assert "<h3>Welcome</h3>" in body
    assert "<h4>How results are scored</h4>" in body
    assert '<img alt="broken">' in body
    assert ("<script>alert" in body, "onerror" in body, "page script ran" in body) == (
        False,
        False,
        False,
    )
    assert "<strong>fair</strong>" in body


def test_the_phases_tab_marks_the_current_phase_and_says_times_are_utc(client, world):
    response = client.get(path(world, "phases/"))
    assert [(phase.name, status) for phase, status in response.context["timeline"]] == [
        ("Warm-up", "previous"),
        ("Development", "current"),
        ("Final", "next"),
    ]
    body = response.content.decode()
    assert body.count('aria-current="step"') == 1
    end = world.phases["development"].end
    assert f'<time datetime="{end:%Y-%m-%dT%H:%M:%SZ}" data-local' in body
    assert f"{end:%Y-%m-%d %H:%M} UTC</time>" in body


def board_of(response) -> list[tuple[str, str, list[str]]]:
    board = response.context["board"]
    return [
        (line.rank, line.participant, [cell.text for cell in line.cells]) for line in board.lines
    ]


def test_the_results_rank_with_ties_and_baselines_and_hide_hidden_columns(client, world):
    response = client.get(path(world, "results/"))
    board = response.context["board"]
    assert [(heading.title, heading.unit, heading.hidden) for heading in board.headings] == [
        ("Accuracy", "", False),
        ("Run time", "s", False),
        ("Peak memory", "MiB", False),
    ]
    assert board_of(response) == [
        ("1", "alice", ["0.950", "2.0", "300.0"]),
        ("2=", "bob", ["0.900", "0.5", "100.0"]),
        ("2=", "carol", ["0.900", "0.5", "100.0"]),
        ("", "olivia", ["0.850", "1.0", "200.0"]),
        ("4", "dave", ["0.800", "3.0", "400.0"]),
    ]
    assert [(line.is_baseline, line.on_frontier) for line in board.lines] == [
        (False, True),
        (False, True),
        (False, True),
        (True, False),
        (False, False),
    ]
    assert "Secret metric" not in response.content.decode()
    client.force_login(world.organizer)
    board = client.get(path(world, "results/")).context["board"]
    assert [(heading.title, heading.hidden) for heading in board.headings][-1] == (
        "Secret metric",
        True,
    )


def charts_of(client, world: World, phase: str = "development") -> dict:
    """The Results tab's charts' data, as the page fetches it."""
    response = client.get(path(world, f"results/charts/?phase={world.phases[phase].pk}"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()


def test_the_results_page_fetches_its_charts_data(client, world):
    response = client.get(path(world, "results/"))
    board = response.context["board"]
    assert (board.plots_history, board.plots_frontier) == (True, True)
    address = f"/competitions/{world.competition.pk}/results/charts/?phase={board.phase.pk}"
    assert f'data-charts="{address}"' in response.content.decode()
    charts = charts_of(client, world)
    made = {
        name: int(world.submissions[name].created_at.timestamp() * 1000)
        for name in ("alice", "bob", "carol", "dave")
    }
    assert charts["history"]["best"] == [
        [made["dave"], 0.8],
        [made["bob"], 0.9],
        [made["alice"], 0.95],
    ]
    assert charts["history"]["points"] == [
        [made["dave"], 0.8],
        [made["bob"], 0.9],
        [made["carol"], 0.9],
        [made["alice"], 0.95],
    ]
    assert charts["history"]["baselines"] == [{"name": "olivia", "value": 0.85}]
    assert charts["history"]["summary"] == (
        "Best Accuracy over time, from 0.800 to 0.950, over 4 leaderboard entries."
    )
    frontier = charts["frontier"]
    assert [(p["name"], p["x"], p["y"], p["frontier"]) for p in frontier["points"]] == [
        ("alice", 2.0, 0.95, True),
        ("bob", 0.5, 0.9, True),
        ("carol", 0.5, 0.9, True),
        ("olivia", 1.0, 0.85, False),
        ("dave", 3.0, 0.8, False),
    ]
    assert frontier["x_label"] == "Run time (s)"


def test_the_charts_of_an_anonymous_leaderboard_name_the_viewer_and_the_baselines_only(
    client, world
):
    Leaderboard.objects.filter(pk=world.leaderboard.pk).update(anonymous=True)
    client.force_login(world.users["bob"])
    charts = charts_of(client, world)
    assert [p["name"] for p in charts["frontier"]["points"]] == [
        "Anonymous",
        "bob",
        "Anonymous",
        "olivia",
        "Anonymous",
    ]
    assert charts["history"]["baselines"] == [{"name": "olivia", "value": 0.85}]
    body = client.get(path(world, f"results/charts/?phase={world.phases['development'].pk}"))
    for secret in ("alice", "carol", "dave"):
        assert secret not in body.content.decode()
    client.force_login(world.organizer)
    assert charts_of(client, world)["frontier"]["points"][0]["name"] == "alice"


def test_the_charts_plot_no_column_hidden_from_the_viewer(client, world):
    # The frontier's cost hidden: no frontier chart; the history still plots accuracy.
    world.leaderboard.columns.filter(key="podium:prediction.wall_time").update(hidden=True)
    board = client.get(path(world, "results/")).context["board"]
    assert (board.plots_history, board.plots_frontier) == (True, False)
    charts = charts_of(client, world)
    assert charts["frontier"] is None
    assert len(charts["history"]["points"]) == 4
    # Accuracy (the primary column and the frontier's score) hidden: no chart at all.
    world.leaderboard.columns.filter(key="accuracy").update(hidden=True)
    response = client.get(path(world, "results/"))
    board = response.context["board"]
    assert (board.plots_history, board.plots_frontier) == (False, False)
    assert "data-charts" not in response.content.decode()
    assert charts_of(client, world) == {"history": None, "frontier": None}
    assert [line.participant for line in board.lines][:2] == ["alice", "bob"]
    # The organizers see both charts.
    client.force_login(world.organizer)
    charts = charts_of(client, world)
    assert len(charts["history"]["points"]) == 4
    assert len(charts["frontier"]["points"]) == 5


def test_the_charts_show_nothing_the_results_tab_would_not(client, world):
    development = world.phases["development"].pk
    # Before the release date: nothing, but for the organizers.
    release = timezone.now() + timedelta(days=3)
    Leaderboard.objects.filter(pk=world.leaderboard.pk).update(release_date=release)
    assert charts_of(client, world) == {"history": None, "frontier": None}
    client.force_login(world.organizer)
    assert len(charts_of(client, world)["history"]["points"]) == 4
    # A hidden leaderboard is not listed to its participants: its phase's charts are not
    # found (the page fetched them before it was hidden: no other phase's stand in).
    Leaderboard.objects.filter(pk=world.leaderboard.pk).update(release_date=None, hidden=True)
    client.force_login(world.users["bob"])
    response = client.get(path(world, f"results/charts/?phase={development}"))
    assert response.status_code == 404
    assert client.get(path(world, "results/charts/")).json() == {
        "history": None,
        "frontier": None,
    }
    # An unpublished competition: not found, as its pages are.
    Leaderboard.objects.filter(pk=world.leaderboard.pk).update(hidden=False)
    Competition.objects.filter(pk=world.competition.pk).update(published=False)
    response = client.get(path(world, f"results/charts/?phase={development}"))
    assert response.status_code == 404


def test_the_charts_cost_the_same_queries_whatever_the_rows(client, world):
    address = path(world, f"results/charts/?phase={world.phases['development'].pk}")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(address).status_code == 200
        return len(captured)

    before = queries()
    development = world.phases["development"]
    for number in range(12):
        user = make_user(f"extra{number}")
        make_participant(user=user, competition=world.competition)
        finish(submit(user, development), 0.5 + number / 100, 1.0, 100)
    assert len(charts_of(client, world)["history"]["points"]) == 16
    assert queries() == before <= 8


def test_the_results_page_through_the_leaderboard_with_ties_across_pages(
    client, world, monkeypatch
):
    monkeypatch.setattr(results, "PAGE_SIZE", 2)
    pages = [client.get(path(world, f"results/?page={number}")) for number in (1, 2, 3, 9)]
    assert [[(rank, name) for rank, name, _ in board_of(page)] for page in pages] == [
        [("1", "alice"), ("2=", "bob")],
        [("2=", "carol"), ("", "olivia")],
        [("4", "dave")],
        [("4", "dave")],
    ]


def test_the_results_page_costs_the_same_queries_whatever_the_rows(client, world):
    def queries(user=None) -> int:
        if user is not None:
            client.force_login(user)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path(world, "results/")).status_code == 200
        client.logout()
        return len(captured)

    before = (queries(), queries(world.users["alice"]), queries(world.organizer))
    development = world.phases["development"]
    for number in range(12):
        user = make_user(f"extra{number}")
        make_participant(user=user, competition=world.competition)
        finish(submit(user, development), 0.5 + number / 100, 1.0, 100)
    after = (queries(), queries(world.users["alice"]), queries(world.organizer))
    assert before == after
    assert after[0] <= 10
    assert after[1] <= 13


def test_a_leaderboard_before_its_release_says_when_to_all_but_the_organizers(client, world):
    release = timezone.now() + timedelta(days=3)
    Leaderboard.objects.filter(pk=world.leaderboard.pk).update(release_date=release)
    response = client.get(path(world, "results/"))
    board = response.context["board"]
    assert (board.lines, board.plots_history, board.plots_frontier) == ([], False, False)
    assert f"results are released on {release:%Y-%m-%d %H:%M} UTC" in response.content.decode()
    client.force_login(world.organizer)
    assert len(client.get(path(world, "results/")).context["board"].lines) == 5


def test_a_hidden_leaderboard_is_not_listed_to_participants(client, world):
    Leaderboard.objects.filter(pk=world.leaderboard.pk).update(hidden=True)
    client.force_login(world.users["bob"])
    response = client.get(path(world, "results/"))
    assert (response.context["choices"], response.context["board"]) == ([], None)
    assert "Main leaderboard" not in response.content.decode()
    client.force_login(world.organizer)
    body = client.get(path(world, "results/")).content.decode()
    assert "Hidden: organizers only" in body


def test_a_multi_task_leaderboard_shows_each_tasks_columns(client, db):
    organizer = make_user("olivia")
    competition = make_competition(owner=organizer, title="Two tasks")
    iris, wine = make_task(owner=organizer, name="Iris"), make_task(owner=organizer, name="Wine")
    phase = make_phase(competition=competition, name="Benchmark", tasks=[iris, wine])
    board = Leaderboard.objects.create(
        competition=competition,
        key="main",
        title="Main",
        submission_rule=Leaderboard.Rule.FORCE_LAST,
    )
    Column.objects.create(leaderboard=board, index=0, key="accuracy", title="Accuracy")
    Column.objects.create(
        leaderboard=board,
        index=1,
        key="mean",
        title="Mean",
        computation="avg",
        computation_indexes=[0],
    )
    Phase.objects.filter(pk=phase.pk).update(leaderboard=board)
    phase.refresh_from_db()
    user = make_user("petra")
    make_participant(user=user, competition=competition)
    submission = submit(user, phase)
    for child, accuracy in zip(submission.children.order_by("pk"), (0.9, 0.7), strict=True):
        report(child, Status.FINISHED, scores={"accuracy": accuracy})
    response = client.get(f"/competitions/{competition.pk}/results/")
    shown = response.context["board"]
    assert shown.task_names == ["Iris", "Wine"]
    assert [heading.title for heading in shown.task_headings] == ["Accuracy"]
    line = shown.lines[0]
    assert ([cell.text for cell in line.cells], [[c.text for c in t] for t in line.tasks]) == (
        ["0.80", "0.80"],
        [["0.90"], ["0.70"]],
    )


# Queries: a handful per page (the signed-in visitor's session and user are two of them),
# the same whatever the number of competitions, rows or submissions.
# A competition's pages read it, its phases and its count of participants for their header
# (listing.one), then what each shows.
ANONYMOUS_BUDGET = {"/": 5, "/competitions/": 2, "": 5, "phases/": 5, "results/": 10}
SIGNED_IN_BUDGET = {"submissions/": 13, "submissions/{alice}/": 17, "submissions/{alice}/row/": 8}


@pytest.mark.parametrize(("page", "budget"), [*ANONYMOUS_BUDGET.items(), *SIGNED_IN_BUDGET.items()])
def test_each_page_reads_a_handful_of_queries(
    client, world, page, budget, django_assert_max_num_queries
):
    if page in SIGNED_IN_BUDGET:
        client.force_login(world.users["alice"])
    address = page if page.startswith("/") else path(world, page)
    address = address.format(alice=world.submissions["alice"].pk)
    with django_assert_max_num_queries(budget):
        assert client.get(address).status_code == 200


# My submissions and detailed results


def test_my_submissions_asks_to_sign_in(client, world):
    response = client.get(path(world, "submissions/"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_my_submissions_lists_only_mine_with_the_scores_i_may_see(
    client, world, django_assert_max_num_queries
):
    alice = world.users["alice"]
    running = submit(alice, world.phases["development"])
    report(running, Status.RUNNING, log_tail="epoch 1")
    client.force_login(alice)
    with django_assert_max_num_queries(13):
        response = client.get(path(world, "submissions/"))
    items = response.context["page"].object_list
    assert [(item.submission.pk, item.submission.status, item.live) for item in items] == [
        (running.pk, "running", True),
        (world.submissions["alice"].pk, "finished", False),
    ]
    assert [(score.label, score.text) for score in items[1].scores] == [
        ("Accuracy", "0.950"),
        ("Run time (s)", "2.0"),
        ("Peak memory (MiB)", "300.0"),
    ]
    body = response.content.decode()
    assert body.count('hx-trigger="every 2s"') == 1
    assert f'hx-get="{path(world, f"submissions/{running.pk}/row/")}"' in body


def test_a_polled_row_is_its_owners_only(client, world):
    alice, bob = world.users["alice"], world.users["bob"]
    row = path(world, f"submissions/{world.submissions['alice'].pk}/row/")
    client.force_login(bob)
    assert client.get(row).status_code == 404
    client.force_login(alice)
    response = client.get(row)
    assert response.status_code == 200
    assert (
        response.content.decode()
        .lstrip()
        .startswith(f'<tr id="submission-{world.submissions["alice"].pk}" class="status-finished">')
    )


def test_detailed_results_are_served_to_whoever_may_read_them_under_a_sandbox(client, world):
    address = path(world, f"submissions/{world.submissions['alice'].pk}/detailed-results/")
    assert client.get(address).status_code == 404  # not public: not found for others
    client.force_login(world.users["bob"])
    assert client.get(address).status_code == 404
    client.force_login(world.users["alice"])
    response = client.get(address)
    assert (response.status_code, b"".join(response.streaming_content)) == (200, DETAILED_RESULTS)
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert response["Content-Security-Policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox"
    )
    page = client.get(path(world, f"submissions/{world.submissions['alice'].pk}/"))
    assert (
        '<iframe sandbox="" referrerpolicy="no-referrer" loading="lazy" '
        f'title="Detailed results" src="{address}">' in page.content.decode()
    )
    Phase.objects.filter(pk=world.phases["development"].pk).update(hide_output=True)
    assert client.get(address).status_code == 403
    assert "<iframe" not in client.get(page.request["PATH_INFO"]).content.decode()


def test_the_leaderboard_links_to_detailed_results_the_viewer_may_open(client, world):
    Submission.objects.filter(pk=world.submissions["alice"].pk).update(is_public=True)
    other = make_data(owner=world.users["bob"], kind=Data.Kind.OUTPUT, name="detailed.html")
    Submission.objects.filter(pk=world.submissions["bob"].pk).update(detailed_result=other)
    lines = client.get(path(world, "results/")).context["board"].lines
    assert [line.participant for line in lines if line.details] == ["alice"]
    Competition.objects.filter(pk=world.competition.pk).update(
        show_detailed_results_in_leaderboard=False
    )
    lines = client.get(path(world, "results/")).context["board"].lines
    assert [line.participant for line in lines if line.details] == []


# Front-end packages


def test_only_the_pages_front_end_files_are_served_from_node_modules():
    assert finders.find("vendor/htmx.org/dist/htmx.min.js").endswith(
        "node_modules/htmx.org/dist/htmx.min.js"
    )
    assert finders.find("vendor/chart.js/dist/chart.umd.min.js").endswith(
        "node_modules/chart.js/dist/chart.umd.min.js"
    )
    assert finders.find("vendor/@picocss/pico/css/pico.min.css").endswith(
        "node_modules/@picocss/pico/css/pico.min.css"
    )
    assert finders.find("vendor/htmx.org/package.json") is None
    assert finders.find("vendor/../package.json") is None


def test_a_participant_registration_does_not_change_the_counts_until_approved(client, world):
    pending = make_user("penny")
    make_participant(user=pending, competition=world.competition, status=Participant.Status.PENDING)
    assert client.get("/").context["front"].participants == 4


def test_the_checks_say_when_the_front_end_packages_are_missing(settings, tmp_path):
    assert NodeModulesFinder().check() == []
    settings.NODE_MODULES = tmp_path
    [warning] = NodeModulesFinder().check()
    assert (warning.id, warning.hint) == (
        "podium.W001",
        "run `make install` (npm ci) to install the packages of package.json",
    )
    assert finders.find("vendor/htmx.org/dist/htmx.min.js") is None


def test_a_flash_message_shows_once_on_a_page_without_a_frame_of_its_own(client, db):
    user = make_user("flora")
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )

    signed_in = client.post("/accounts/login/", {"login": "flora", "password": "pw"}, follow=True)
    again = client.get("/")

    assert signed_in.redirect_chain == [("/", 302)]
    page = signed_in.content.decode()
    assert page.count("Successfully signed in as flora.") == 1
    assert 'class="messages"' in page
    assert "Successfully signed in" not in again.content.decode()
