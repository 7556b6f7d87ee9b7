"""The host pages in real Chromium: every page renders without a console error or a failed
request and fits a phone, the analytics draw their charts with Chart.js (each with a table
of the same figures), the audit log filters, and a cleanup is previewed, then run."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from podium.accounts.models import User
from podium.audit import services as audit
from podium.audit.models import Action, AuditEntry
from podium.datasets.models import Data
from podium_worker.protocol import Status
from tests.browser.conftest import CANVAS_INK, Browser
from tests.browser.world import World, report, submit
from tests.factories import make_data, make_phase, make_task, make_user

DATASETS = """id => {
    const chart = Chart.getChart(document.getElementById(id));
    if (!chart) { return null; }
    return [chart.config.type, chart.data.datasets.map(set => [set.label, set.data])];
}"""
# What of the page's own content reaches past the screen's right edge (a table scrolls in
# its own region, which stays on screen; the site's header is base.html's).
OUTSIDE_THE_SCREEN = """() => Array.from(document.querySelectorAll('main *'))
    .filter(node => !node.closest('.table-scroll') || node.matches('.table-scroll'))
    .filter(node => node.getBoundingClientRect().right > window.innerWidth + 0.5)
    .map(node => node.tagName + ' ' + (node.textContent || '').trim().slice(0, 30))"""
PAGES = [
    "/host/",
    "/host/analytics/",
    "/host/audit/",
    "/host/workers/",
    "/host/storage/",
    "/host/storage/groups/",
]


@pytest.fixture
def host(browser: Browser, world: World) -> User:
    admin = make_user("ada", superuser=True)
    browser.sign_in(admin)
    return admin


def test_every_host_page_renders_without_console_errors_and_fits_a_phone(
    browser: Browser, world: World, host: User
):
    headings = {}
    for path in PAGES:
        browser.open(path)
        headings[path] = browser.page.locator("h1").inner_text()
    assert headings == {
        "/host/": "Hosting Podium",
        "/host/analytics/": "Analytics",
        "/host/audit/": "Audit log",
        "/host/workers/": "Workers and queues",
        "/host/storage/": "Storage and quotas",
        "/host/storage/groups/": "Data groups",
    }
    assert browser.page.locator("header nav a[href='/host/']").count() == 1
    browser.on_a_phone()
    overflowing = {}
    for path in PAGES:
        browser.open(path)
        overflowing[path] = browser.page.evaluate(OUTSIDE_THE_SCREEN)
    assert overflowing == {path: [] for path in PAGES}
    assert browser.seen.problems() == []


def test_the_analytics_draw_their_charts_with_a_table_of_the_same_figures(
    browser: Browser, world: World, host: User
):
    # One job held by a worker, one waiting: the workers' chart has a bar of each.
    task = make_task(owner=world.organizer, name="Extra")
    phase = make_phase(competition=world.competition, name="Extra", index=3, tasks=[task])
    report(submit(world.users["alice"], phase), Status.RUNNING, run="worker-1")
    submit(world.users["bob"], phase)
    today = timezone.now().date()
    start = today - timedelta(days=13)
    browser.open(f"/host/analytics/?start={start}&end={today}&interval=week")
    page = browser.page
    expect(page.locator("canvas[data-host-chart]")).to_have_count(4)
    kinds = {}
    for key in ("activity", "workers", "storage-users", "storage-competitions"):
        kind, datasets = page.evaluate(DATASETS, f"{key}-chart")
        kinds[key] = (kind, [label for label, _ in datasets])
        assert page.locator(f"#{key}-chart").evaluate(CANVAS_INK) > 500, key
    assert kinds == {
        "activity": ("line", ["Users joined", "Competitions created", "Submissions made"]),
        "workers": ("bar", ["Held by a worker", "Waiting"]),
        "storage-users": ("bar", ["Stored"]),
        "storage-competitions": ("bar", ["Stored"]),
    }
    _, workers = page.evaluate(DATASETS, "workers-chart")
    assert workers == [["Held by a worker", [1]], ["Waiting", [1]]]
    _, activity = page.evaluate(DATASETS, "activity-chart")
    assert sum(activity[0][1]) == User.objects.count()
    # The same figures as a table, for whoever does not see the chart.
    chart = page.locator("#workers")
    chart.get_by_text("The figures as a table").click()
    assert chart.locator("tbody tr").all_inner_texts() == ["podium\t1\t1"]
    assert (
        page.locator("#activity-chart")
        .get_attribute("aria-label")
        .startswith("Activity per week: From ")
    )
    assert browser.seen.problems() == []


def test_the_audit_log_filters_by_action(browser: Browser, world: World, host: User):
    competition = world.competition
    audit.record(actor=world.organizer, action=Action.COMPETITION_PUBLISH, target=competition)
    audit.record(actor=world.organizer, action=Action.COMPETITION_UNPUBLISH, target=competition)
    audit.record(actor=host, action=Action.QUEUE_CREATE, details={"name": "gpu"})
    total = AuditEntry.objects.count()
    browser.open("/host/audit/")
    page = browser.page
    rows = page.locator("table.audit tbody tr")
    expect(rows).to_have_count(total)
    page.get_by_label("Action").select_option("queue.create")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#audit-caption")).to_have_text("1 entry, newest first")
    assert rows.locator("td").nth(1).inner_text() == "ada"
    assert rows.locator("dl.details").inner_text().split() == ["name", "gpu"]
    assert page.url.endswith(
        "action=queue.create&actor=&target_type=&target_id=&competition=&since=&until="
    )
    page.get_by_label("Action").select_option("")
    page.get_by_label("Actor").fill("olivia")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#audit-caption")).to_have_text("2 entries, newest first")
    assert rows.locator("td:nth-child(3)").all_inner_texts() == [
        "competition.unpublish",
        "competition.publish",
    ]
    assert browser.seen.problems() == []


def test_a_cleanup_is_previewed_then_run(browser: Browser, world: World, host: User):
    hugo = make_user("hugo")
    keep = make_data(owner=hugo, name="keep-me.zip", content=b"k" * 2048)
    make_data(owner=hugo, name="stale.zip", content=b"s" * 4096)
    make_task(owner=hugo, scoring_program=make_data(owner=hugo, name="scorer.zip"))
    browser.open("/host/storage/")
    page = browser.page
    page.get_by_label("Find a user").fill("hug")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("link", name="hugo", exact=True).click()
    expect(page.locator("h1")).to_have_text("hugo's storage")
    preview = page.locator("table.preview tbody tr")
    assert preview.locator("td:nth-child(3)").all_inner_texts() == ["keep-me.zip", "stale.zip"]
    assert page.get_by_text("frees 6.0\xa0KB").count() == 1
    page.get_by_label("Delete keep-me.zip (file").uncheck()
    page.get_by_role("button", name="Delete the ticked files").click()
    expect(page.locator(".messages")).to_have_text("Deleted 1 file of hugo's, freeing 4.0\xa0KB.")
    assert preview.locator("td:nth-child(3)").all_inner_texts() == ["keep-me.zip"]
    assert sorted(Data.objects.filter(owner=hugo).values_list("name", flat=True)) == [
        "keep-me.zip",
        "scorer.zip",
    ]
    assert Data.objects.filter(pk=keep.pk).exists()
    assert AuditEntry.objects.get(action=Action.DATA_CLEANUP).details["bytes"] == 4096
    assert browser.seen.problems() == []
