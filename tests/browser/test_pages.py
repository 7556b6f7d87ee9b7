"""The public pages in real Chromium: they render without a console error or a failed
request, the leaderboard ranks and draws its charts, the list searches and pages, the tabs
are reachable by keyboard, organizer-written scripts never run, detailed results stay in
their sandbox, and a running submission's status updates by itself."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone
from playwright.sync_api import expect

from podium_worker.protocol import Status
from tests.browser.conftest import CANVAS_INK, TIMEZONE, Browser, finish_in_view
from tests.browser.world import World, report, submit
from tests.factories import make_competition, make_phase

DATASETS = """id => {
    const chart = Chart.getChart(document.getElementById(id));
    return chart ? chart.data.datasets.map(set => [set.label, set.data.length]) : null;
}"""


def drawn(page, chart: str) -> list[list]:
    """The datasets (label, number of points) of a Results chart, once the page has fetched
    its data and drawn it."""
    page.wait_for_function(
        "id => { const canvas = document.getElementById(id); "
        "return canvas !== null && Chart.getChart(canvas) !== undefined; }",
        arg=chart,
    )
    return page.evaluate(DATASETS, chart)


def pages(world: World) -> dict[str, str]:
    competition = f"/competitions/{world.competition.pk}/"
    return {
        "front page": "/",
        "competition list": "/competitions/",
        "overview": competition,
        "phases": f"{competition}phases/",
        "results": f"{competition}results/",
    }


def test_every_public_page_renders_without_console_errors_or_failed_requests(
    browser: Browser, world: World
):
    headings = {}
    for name, path in pages(world).items():
        browser.open(path)
        headings[name] = browser.page.locator("h1").inner_text()
        assert browser.seen.problems() == [], name
    assert headings == {
        "front page": "Competitions and benchmarks for AI",
        "competition list": "Competitions and benchmarks",
        "overview": "Efficient Iris",
        "phases": "Efficient Iris",
        "results": "Efficient Iris",
    }
    browser.sign_in(world.users["alice"])
    browser.open(f"/competitions/{world.competition.pk}/submissions/")
    assert browser.page.locator("header nav").get_by_text("Signed in as alice").count() == 1
    assert browser.seen.problems() == []


def test_every_page_fits_a_phone_screen(browser: Browser, world: World):
    paths = pages(world).values()
    assert browser.widths_on_a_phone(paths) == dict.fromkeys(paths, 390)
    assert browser.seen.problems() == []


def test_the_header_of_a_signed_in_platform_admin_fits_a_phone_screen(
    browser: Browser, world: World
):
    # The longest header: every link (Manage, Host) and the account menu.
    admin = world.users["alice"]
    admin.is_superuser = True
    admin.save(update_fields=["is_superuser"])
    browser.on_a_phone()
    browser.sign_in(admin)
    browser.open("/")

    header = browser.page.locator("header.site-header")
    box = header.bounding_box()
    assert box is not None
    assert browser.page.evaluate("document.documentElement.scrollWidth") == 390
    right_edges = browser.page.evaluate(
        "[...document.querySelectorAll('header.site-header a, header.site-header summary')]"
        ".map((node) => node.getBoundingClientRect().right)"
    )
    assert max(right_edges) <= 390
    browser.page.locator("header.site-header summary").click()
    assert browser.page.get_by_role("link", name="API tokens").is_visible()
    assert browser.seen.problems() == []


def test_the_leaderboard_shows_ranks_ties_and_baselines_and_draws_its_charts(
    browser: Browser, world: World
):
    browser.open(pages(world)["results"])
    table = browser.page.locator("table.leaderboard")
    assert table.locator("tbody td.rank").all_inner_texts() == ["1", "2=", "2=", "\u2013", "4"]
    assert table.locator("tbody .participant .name").all_inner_texts() == [
        "alice",
        "bob",
        "carol",
        "olivia",
        "dave",
    ]
    assert table.locator("thead th .title").all_inner_texts() == [
        "Accuracy",
        "Run time (s)",
        "Peak memory (MiB)",
    ]
    assert table.locator("tbody tr.baseline .badge").all_inner_texts() == ["baseline"]
    assert table.locator("tbody tr:nth-child(2) td.num").all_inner_texts() == [
        "0.900",
        "0.5",
        "100.0",
    ]
    assert drawn(browser.page, "history-chart") == [
        ["Best so far", 3],
        ["Leaderboard entries", 4],
        ["Baseline: olivia", 2],
    ]
    assert drawn(browser.page, "frontier-chart") == [
        ["Efficiency frontier", 3],
        ["Other entries", 2],
    ]
    for chart in ("#history-chart", "#frontier-chart"):
        assert browser.page.locator(chart).evaluate(CANVAS_INK) > 2000, chart
    # Each chart says what it shows, to whoever does not see it.
    summary = "Best Accuracy over time, from 0.800 to 0.950, over 4 leaderboard entries."
    assert browser.page.locator("figure:has(#history-chart) figcaption").inner_text() == summary
    assert browser.page.locator("#history-chart").get_attribute("aria-label") == summary
    assert browser.seen.problems() == []


def test_without_chart_js_the_charts_captions_still_say_what_they_show(
    browser: Browser, world: World
):
    browser.page.route("**/chart.umd.min.js", lambda route: route.abort())
    browser.open(pages(world)["results"])
    captions = browser.page.locator(".charts figcaption")
    expect(captions.first).to_have_text(
        "Best Accuracy over time, from 0.800 to 0.950, over 4 leaderboard entries."
    )
    expect(captions.last).to_have_text(
        "Accuracy against Run time for 5 leaderboard entries; 3 on the efficiency frontier."
    )
    expect(browser.page.locator(".charts canvas")).to_have_count(0)
    # The script refused is the only thing that went wrong: no error of the page's own.
    assert browser.seen.page_errors == []
    assert len(browser.seen.failed) == 1
    assert "chart.umd.min.js" in browser.seen.failed[0]
    assert browser.seen.console_errors == ["Failed to load resource: net::ERR_FAILED"]


def test_times_show_in_the_viewers_time_zone_with_utc_at_hand(browser: Browser, world: World):
    browser.open(pages(world)["phases"])
    end = world.phases["development"].end
    local = end.astimezone(ZoneInfo(TIMEZONE))
    zone = "CEST" if local.dst() else "CET"
    shown = browser.page.locator(".phase-current .dates time").nth(1)
    assert shown.inner_text() == f"{local.day} {local:%b %Y}, {local:%H:%M} {zone}"
    assert shown.get_attribute("title") == f"{end.astimezone(ZoneInfo('UTC')):%Y-%m-%d %H:%M} UTC"
    assert browser.page.locator("li[aria-current=step] h3").inner_text() == (
        "Development Current phase"
    )


def test_the_list_searches_filters_and_pages(browser: Browser, world: World):
    now = timezone.now()
    for number in range(13):
        competition = make_competition(owner=world.organizer, title=f"Contest {number:02}")
        make_phase(competition=competition, start=now - timedelta(days=1))
    ended = make_competition(owner=world.organizer, title="Old speech challenge")
    make_phase(competition=ended, start=now - timedelta(days=9), end=now - timedelta(days=2))
    browser.open("/competitions/")
    cards = browser.page.locator(".cards .card h3")
    assert browser.page.locator("#found").inner_text() == "15 competitions found"
    assert cards.count() == 12
    browser.page.get_by_role("link", name="Next").click()
    expect(browser.page.locator("#found")).to_have_text("15 competitions found")
    assert cards.all_inner_texts() == ["Contest 01", "Contest 00", "Efficient Iris"]
    browser.page.get_by_label("Status").select_option("ended")
    browser.page.get_by_role("button", name="Search").click()
    expect(browser.page.locator("#found")).to_have_text("1 competition found")
    assert cards.all_inner_texts() == ["Old speech challenge"]
    browser.page.get_by_label("Status").select_option("")
    browser.page.get_by_label("Type").select_option("benchmark")
    browser.page.get_by_label("Search", exact=True).fill("iris")
    browser.page.get_by_role("button", name="Search").click()
    expect(browser.page.locator("#found")).to_have_text("1 competition found")
    assert cards.all_inner_texts() == ["Efficient Iris"]
    assert browser.page.url.endswith("/competitions/?q=iris&status=&type=benchmark")
    assert browser.seen.problems() == []


def test_the_keyboard_reaches_the_tabs(browser: Browser, world: World):
    browser.open(pages(world)["overview"])
    page = browser.page
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    focused = []
    for _ in range(20):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.textContent.trim()"))
        if focused[-1] == "Results":
            break
    assert focused[-3:] == ["Overview", "Phases", "Results"]
    assert page.evaluate("document.activeElement.closest('nav').getAttribute('aria-label')") == (
        "Competition sections"
    )
    page.keyboard.press("Enter")
    page.wait_for_url("**/results/")
    assert page.locator("nav.tabs [aria-current=page]").inner_text() == "Results"


def test_a_script_in_an_organizer_page_never_runs(browser: Browser, world: World):
    browser.open(pages(world)["overview"])
    evaluation = browser.page.locator(".organizer-page").nth(1)
    assert evaluation.locator("h2, h4").all_inner_texts() == [
        "Evaluation",
        "How results are scored",
    ]
    assert evaluation.get_by_text("Good luck!").is_visible()
    assert evaluation.locator("script").count() == 0
    assert browser.page.locator("[onerror]").count() == 0
    browser.page.wait_for_timeout(300)
    assert (browser.seen.dialogs, browser.seen.console_errors, browser.seen.page_errors) == (
        [],
        [],
        [],
    )
    assert browser.page.title() == "Efficient Iris · Podium"


def test_detailed_results_show_in_a_sandboxed_iframe_whose_scripts_never_run(
    browser: Browser, world: World
):
    alice = world.submissions["alice"]
    browser.sign_in(world.users["alice"])
    address = f"/competitions/{world.competition.pk}/submissions/{alice.pk}/"
    browser.open(address)
    frame = browser.page.locator("iframe")
    assert frame.get_attribute("sandbox") == ""
    frame.scroll_into_view_if_needed()
    inside = browser.page.frame_locator("iframe")
    expect(inside.locator("h1")).to_have_text("Per-class accuracy")
    browser.page.wait_for_timeout(300)
    assert browser.seen.dialogs == []
    assert browser.seen.console_errors == [
        f"Blocked script execution in '{browser.base}{address}detailed-results/' because the "
        "document's frame is sandboxed and the 'allow-scripts' permission is not set."
    ]
    assert browser.page.title() == f"Submission {alice.pk} · Efficient Iris · Podium"


def test_a_running_submission_updates_by_itself(browser: Browser, world: World):
    alice = world.users["alice"]
    running = report(submit(alice, world.phases["development"]), Status.RUNNING)
    browser.sign_in(alice)
    browser.open(f"/competitions/{world.competition.pk}/submissions/")
    row = browser.page.locator(f"#submission-{running.pk}")
    expect(row.locator(".status")).to_have_text("running")
    report(running, Status.SCORING)
    expect(row.locator(".status")).to_have_text("scoring")
    finish_in_view(row, running)
    assert browser.seen.problems() == []
