"""Browser tests: real Chromium (Debian's `chromium` package, never a downloaded browser;
`make test` installs it when missing) driven by Playwright against pytest-django's live
server, on a real database.

`browser` opens a fresh browser per test and records everything that would go unnoticed on
a page: console errors, uncaught exceptions, failed requests and responses of 400 and more,
and dialogs (which it dismisses). Tests assert these lists are empty, or exactly what they
expect.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from playwright.sync_api import (
    ConsoleMessage,
    Dialog,
    Locator,
    Page,
    Request,
    Response,
    expect,
    sync_playwright,
)

from podium.accounts.models import User
from podium.submissions.models import Submission
from tests.browser.world import World, build, finish

CHROMIUM = Path(os.environ.get("PODIUM_TEST_CHROMIUM", "/usr/bin/chromium"))
TIMEZONE = "Europe/Paris"
PHONE = {"width": 390, "height": 844}
# How many pixels of a canvas are drawn on (not transparent): a chart that drew nothing has 0.
CANVAS_INK = """canvas => {
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let inked = 0;
    for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) { inked += 1; } }
    return inked;
}"""


@dataclass
class Seen:
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return [*self.console_errors, *self.page_errors, *self.failed, *self.dialogs]

    def clear(self) -> None:
        for seen in (self.console_errors, self.page_errors, self.failed, self.dialogs):
            seen.clear()


@dataclass
class Browser:
    page: Page
    base: str
    seen: Seen

    def open(self, path: str) -> Response:
        response = self.page.goto(self.base + path)
        assert response is not None
        assert response.status == 200, (path, response.status)
        self.page.wait_for_load_state("load")
        return response

    def sign_in(self, user: User) -> None:
        """Signs in through a session made on the server, as the login page would."""
        client = Client()
        client.force_login(user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        self.page.context.clear_cookies()
        self.page.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": self.base}]
        )

    def on_a_phone(self) -> None:
        self.page.set_viewport_size(PHONE)

    def widths_on_a_phone(self, paths: Iterable[str]) -> dict[str, int]:
        """Each page's width on a phone's screen: 390 pixels where nothing overflows it."""
        self.on_a_phone()
        widths = {}
        for path in paths:
            self.open(path)
            widths[path] = self.page.evaluate("document.documentElement.scrollWidth")
        return widths


def finish_in_view(row: Locator, submission: Submission) -> None:
    """The worker finishes `submission` (accuracy 0.97, in 1.5 s and 250 MiB): its `row`
    says so by itself, with its scores, and stops asking for news."""
    finish(submission, 0.97, 1.5, 250)
    expect(row.locator(".status")).to_have_text("finished")
    assert row.locator(".scores li").all_inner_texts() == [
        "Accuracy 0.970",
        "Run time (s) 1.5",
        "Peak memory (MiB) 250.0",
    ]
    assert row.get_attribute("hx-trigger") is None


@pytest.fixture
def world(transactional_db) -> World:
    return build()


@pytest.fixture
def browser(live_server, transactional_db, monkeypatch) -> Iterator[Browser]:
    assert CHROMIUM.is_file(), (
        f"the browser tests need Chromium at {CHROMIUM}: `make test` installs Debian's "
        "chromium package, or run `apt-get install chromium`"
    )
    # Playwright's synchronous API keeps an event loop in this thread, which Django takes
    # for an async context; the ORM calls of these tests are plain synchronous ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    seen = Seen()

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            seen.console_errors.append(message.text)

    def response(answer: Response) -> None:
        if answer.status >= 400:
            seen.failed.append(f"{answer.status} {answer.url}")

    def failed(request: Request) -> None:
        # ERR_ABORTED is the browser dropping a request it no longer needs (the page moved on
        # before the favicon or a poll came back), not a failure of the server's: those are
        # statuses of 400 and more (above) or other network errors.
        if request.failure == "net::ERR_ABORTED":
            return
        seen.failed.append(f"{request.failure} {request.url}")

    def dialog(shown: Dialog) -> None:
        seen.dialogs.append(shown.message)
        shown.dismiss()

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM))
        context = chromium.new_context(
            viewport={"width": 1280, "height": 900}, locale="en-GB", timezone_id=TIMEZONE
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("console", console)
        page.on("pageerror", lambda error: seen.page_errors.append(str(error)))
        page.on("response", response)
        page.on("requestfailed", failed)
        page.on("dialog", dialog)
        yield Browser(page=page, base=live_server.url, seen=seen)
        context.close()
        chromium.close()
        # Connections opened while Playwright's loop ran are kept apart from those of plain
        # synchronous code (Django's connections are context-local there): closed here, or
        # PostgreSQL refuses to drop the test database they still use.
        connections.close_all()
