"""The API's documentation pages (Swagger UI and Redoc) work under the site's CSP, with
their assets served by the platform itself, never fetched from a CDN."""

from __future__ import annotations

from drf_spectacular.generators import SchemaGenerator
from playwright.sync_api import expect

from tests.browser.conftest import Browser

REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def operations() -> set[str]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        f"operations-{operation['tags'][0]}-{operation['operationId']}"
        for methods in schema["paths"].values()
        for operation in methods.values()
    }


def test_swagger_ui_shows_every_operation_and_opens_one(browser: Browser):
    browser.open("/api/docs/")
    page = browser.page
    expect(page.get_by_role("heading", name="Podium API")).to_be_visible()
    expect(page.get_by_role("button", name="Authorize")).to_be_visible()
    page.get_by_text("View analytics data").click()
    expect(page.get_by_text("figures for charts, platform admins only")).to_be_visible()

    # Swagger UI draws the operations in view only: scroll through the page, noting them.
    shown: set[str] = set()
    for _ in range(40):
        shown |= set(page.evaluate("[...document.querySelectorAll('.opblock')].map(e => e.id)"))
        at_the_end = page.evaluate(
            "window.scrollY + window.innerHeight >= document.body.scrollHeight - 1"
        )
        if at_the_end:
            break
        page.mouse.wheel(0, 800)
        page.wait_for_timeout(100)

    assert shown == operations()
    assert browser.seen.problems() == []


def test_redoc_shows_the_operations_and_loads_nothing_from_elsewhere(browser: Browser):
    browser.open("/api/redoc/")
    page = browser.page
    # Redoc reads the whole schema before it draws anything (seconds on a small machine).
    heading = page.get_by_role("heading", name="Publish or unpublish a competition")
    expect(heading).to_be_visible(timeout=30_000)
    # The one thing Redoc fetches from elsewhere, its maker's logo, the policy refuses.
    assert [problem for problem in browser.seen.problems() if REDOC_LOGO not in problem] == []
