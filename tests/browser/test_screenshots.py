"""Screenshots of the main pages, as the README and docs/screenshots/ show them:

    PODIUM_SCREENSHOTS=docs/screenshots PODIUM_HOME=/tmp/podium-shots \\
        .venv/bin/pytest tests/browser/test_screenshots.py -p no:cacheprovider

writes them there. Otherwise each run writes them into a temporary folder of its own, so
that the suite checks they can be taken, and the pages still render, without changing the
repository.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from django.utils import timezone
from playwright.sync_api import expect

from podium_worker.protocol import Status
from tests.browser.conftest import Browser
from tests.browser.test_pages import drawn
from tests.browser.world import World, report, submit
from tests.factories import make_competition, make_phase, make_user

PNG = b"\x89PNG\r\n\x1a\n"


def more_competitions(world: World) -> None:
    now = timezone.now()
    for title, description, start, end, kind in [
        (
            "Speech commands",
            "Recognise one-second spoken commands on a microcontroller budget.",
            -40,
            -5,
            "competition",
        ),
        (
            "Protein folding lite",
            "Predict contact maps; ranked on precision, then on GPU time.",
            6,
            60,
            "benchmark",
        ),
        ("Tabular AutoML", "Forty datasets, one time budget.", -3, 30, "competition"),
    ]:
        competition = make_competition(
            owner=world.organizer, title=title, description=description, competition_type=kind
        )
        make_phase(
            competition=competition,
            start=now + timedelta(days=start),
            end=now + timedelta(days=end),
        )


def test_screenshots_of_the_main_pages(browser: Browser, world: World, tmp_path: Path):
    folder = Path(os.environ.get("PODIUM_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    more_competitions(world)
    alice = world.users["alice"]
    running = report(submit(alice, world.phases["development"]), Status.RUNNING)
    competition = f"/competitions/{world.competition.pk}/"
    shots = {
        "front-page": "/",
        "competitions": "/competitions/",
        "overview": competition,
        "phases": f"{competition}phases/",
        "results": f"{competition}results/",
    }
    page = browser.page
    for name, path in shots.items():
        browser.open(path)
        if name == "results":
            drawn(page, "frontier-chart")  # the charts' data comes after the page
        page.screenshot(path=folder / f"{name}.png", full_page=True, animations="disabled")
    browser.on_a_phone()
    browser.open(shots["results"])
    drawn(page, "frontier-chart")
    page.screenshot(path=folder / "results-phone.png", full_page=True, animations="disabled")
    page.set_viewport_size({"width": 1280, "height": 900})
    browser.sign_in(alice)
    browser.open(f"{competition}submissions/")
    expect(page.locator(f"#submission-{running.pk} .status")).to_have_text("running")
    page.screenshot(path=folder / "my-submissions.png", full_page=True, animations="disabled")
    browser.open(f"{competition}submissions/{world.submissions['alice'].pk}/")
    page.locator("iframe").scroll_into_view_if_needed()
    expect(page.frame_locator("iframe").locator("h1")).to_have_text("Per-class accuracy")
    page.screenshot(path=folder / "submission.png", full_page=True, animations="disabled")
    # A newcomer's Participate tab: the terms and the organizer's questions.
    browser.sign_in(make_user("zoe"))
    browser.open(f"{competition}participate/")
    page.screenshot(path=folder / "participate.png", full_page=True, animations="disabled")
    # The organizer's pages.
    browser.sign_in(world.organizer)
    organizer_shots = {
        "manage": "/manage/",
        "manage-competition": f"/manage/{world.competition.pk}/",
        "manage-participants": f"/manage/{world.competition.pk}/participants/",
        "manage-submissions": f"/manage/{world.competition.pk}/submissions/",
    }
    for name, path in organizer_shots.items():
        browser.open(path)
        page.screenshot(path=folder / f"{name}.png", full_page=True, animations="disabled")
    # A platform admin's analytics.
    browser.sign_in(make_user("hana", superuser=True))
    browser.open("/host/analytics/")
    page.wait_for_function("document.querySelectorAll('canvas').length > 0")
    page.screenshot(path=folder / "host-analytics.png", full_page=True, animations="disabled")
    taken = sorted(path.name for path in folder.glob("*.png"))
    assert taken == sorted(
        [f"{name}.png" for name in [*shots, *organizer_shots]]
        + ["results-phone.png", "my-submissions.png", "submission.png"]
        + ["participate.png", "host-analytics.png"]
    )
    for path in folder.glob("*.png"):
        content = path.read_bytes()
        assert content.startswith(PNG), path.name
        assert 10_000 < len(content) < 600_000, (path.name, len(content))
