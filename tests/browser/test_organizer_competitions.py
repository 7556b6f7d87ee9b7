"""The organizers' competition pages in real Chromium: a competition created step by step
and published, one created by uploading a bundle (with its progress bar), a broken bundle's
every error with its key path, and a phase edited, the competition published, cloned,
exported and deleted; every page without a console error, and fitting a phone."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta
from pathlib import Path

from django.utils import timezone
from playwright.sync_api import expect

from podium.bundles.services import import_bundle
from podium.competitions.models import Competition
from podium.leaderboards.models import Leaderboard
from tests.browser.conftest import Browser
from tests.factories import make_user

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SCORING_PROGRAM = {
    "metadata.yaml": "command: python3 score.py\n",
    "score.py": "print('scored')\n",
}
WATCH_PROGRESS = """() => {
    const text = document.getElementById('bundle-progress-text');
    const bar = document.getElementById('bundle-progress');
    new MutationObserver(() => window.progressSeen(text.textContent, bar.value))
        .observe(text, {childList: true, characterData: true, subtree: true});
}"""


def zip_of(files: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def zip_folder(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return target


def test_an_organizer_creates_a_competition_step_by_step_and_publishes_it(browser: Browser):
    olivia = make_user("olivia")
    browser.sign_in(olivia)
    page = browser.page
    browser.open("/manage/")
    page.get_by_role("button", name="Create step by step").click()
    page.get_by_label("Title").fill("Iris by form")
    page.get_by_label("Terms").fill("Be **fair**.")
    page.get_by_role("button", name="Create the draft and continue: Pages").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Pages")
    expect(page.get_by_role("navigation", name="Setting up the competition")).to_contain_text(
        "Step 2 of 8"
    )
    page.get_by_label("Title").fill("Overview")
    page.get_by_label("Content").fill("# Welcome\n\nClassify iris flowers.")
    page.get_by_role("button", name="Save and continue: Phases").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Phases")
    page.get_by_role("button", name="Add a phase").click()
    page.get_by_label("Name").fill("Development")
    yesterday = timezone.now() - timedelta(days=1)
    page.get_by_label("Start (UTC)").fill(yesterday.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Submissions per participant", exact=True).fill("20")
    page.get_by_label("Submissions per participant and day").fill("3")
    page.get_by_role("button", name="Save the phase").click()
    expect(page.locator("table")).to_contain_text("Development")
    expect(page.locator("table")).to_contain_text("No task")
    page.get_by_role("button", name="Continue: Tasks").click()

    page.get_by_role("button", name="Add a task").click()
    page.get_by_label("Name").fill("Iris labels")
    page.get_by_label("Development").check()
    page.get_by_label("or upload a new scoring program").set_input_files(
        {
            "name": "scoring_program.zip",
            "mimeType": "application/zip",
            "buffer": zip_of(SCORING_PROGRAM),
        }
    )
    page.get_by_label("or upload a new reference data").set_input_files(
        {
            "name": "reference.zip",
            "mimeType": "application/zip",
            "buffer": zip_of({"ref.csv": "1\n"}),
        }
    )
    page.get_by_role("button", name="Save the task").click()
    expect(page.locator("table")).to_contain_text("scoring_program.zip")
    page.get_by_role("button", name="Continue: Leaderboards").click()

    page.get_by_role("button", name="Add a leaderboard").click()
    page.locator("#id_title").fill("Results")
    page.get_by_label("Development").check()
    page.locator("#id_columns-0-title").fill("Accuracy")
    page.locator("#id_columns-0-key").fill("accuracy")
    page.get_by_role("button", name="Add a column").click()
    page.locator("#id_columns-2-index").fill("1")
    page.locator("#id_columns-2-title").fill("Run time")
    page.locator("#id_columns-2-key").fill("podium:prediction.wall_time")
    page.locator("#id_columns-2-sorting").select_option("asc")
    page.get_by_label("Efficiency frontier: score column (key)").fill("accuracy")
    page.get_by_label("Efficiency frontier: cost column (key)").fill("podium:prediction.wall_time")
    page.get_by_role("button", name="Save the leaderboard").click()
    expect(page.locator(".board-card")).to_contain_text("podium:prediction.wall_time")
    page.get_by_role("button", name="Continue: Fact sheet").click()

    page.get_by_label("Key").fill("method")
    page.get_by_label("Question").fill("Name of your method")
    page.get_by_role("button", name="Save and continue: Registration").click()
    page.get_by_label("Approve registrations at once").check()
    page.get_by_role("button", name="Save and continue: Review and publish").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Overview")
    expect(page.get_by_text("Yes: every phase has a task and a leaderboard.")).to_be_visible()
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".manage-head .badge")).to_have_text("Published")
    assert browser.seen.problems() == []

    competition = Competition.objects.get()
    phase = competition.phases.get()
    board = Leaderboard.objects.get()
    assert (competition.title, competition.published, competition.registration_auto_approve) == (
        "Iris by form",
        True,
        True,
    )
    assert (phase.max_submissions, phase.max_submissions_per_day, phase.leaderboard) == (
        20,
        3,
        board,
    )
    assert [link.task.name for link in phase.phase_tasks.all()] == ["Iris labels"]
    assert list(board.columns.values_list("key", "sorting")) == [
        ("accuracy", "desc"),
        ("podium:prediction.wall_time", "asc"),
    ]
    assert list(competition.fact_sheet) == ["method"]


def test_a_bundle_uploads_with_a_progress_bar_and_becomes_a_draft(browser: Browser, tmp_path):
    olivia = make_user("olivia")
    bundle = zip_folder(EXAMPLES / "iris-results", tmp_path / "iris-results.zip")
    browser.sign_in(olivia)
    page = browser.page
    seen: list[tuple[str, float]] = []
    page.expose_function("progressSeen", lambda text, value: seen.append((text, value)))
    browser.open("/manage/")
    page.get_by_role("button", name="Upload a bundle").click()
    page.evaluate(WATCH_PROGRESS)
    page.get_by_label("Bundle").set_input_files(bundle)
    page.get_by_role("button", name="Upload and import").click()
    page.wait_for_url(re.compile(r"/manage/\d+/$"))

    competition = Competition.objects.get()
    assert page.url.endswith(f"/manage/{competition.pk}/")
    expect(page.locator(".manage-head .manage-title")).to_have_text("Iris Species Classification")
    expect(page.locator(".messages")).to_contain_text("imported as a draft")
    assert ("Sent. Checking and importing the bundle...", 100) in seen
    assert browser.seen.problems() == []


def test_a_broken_bundle_shows_every_error_with_its_key_path(browser: Browser, tmp_path):
    olivia = make_user("olivia")
    source = (EXAMPLES / "iris-results" / "competition.yaml").read_text()
    broken = source.replace("title: Iris Species Classification\n", "").replace(
        "tasks: [0]", "tasks: [7]"
    )
    bundle = tmp_path / "broken.zip"
    bundle.write_bytes(
        zip_of(
            {
                "competition.yaml": broken,
                "terms.md": "Terms",
                "logo.png": (EXAMPLES / "iris-results" / "logo.png").read_bytes(),
            }
        )
    )
    browser.sign_in(olivia)
    page = browser.page
    browser.open("/manage/new/bundle/")
    page.get_by_label("Bundle").set_input_files(bundle)
    page.get_by_role("button", name="Upload and import").click()

    errors = page.locator("#bundle-errors")
    expect(errors).to_be_visible()
    expect(errors.get_by_role("heading")).to_have_text("The bundle was not imported")
    items = errors.locator("li").all_inner_texts()
    assert "title: required" in items
    assert any(item.startswith("phases[0].tasks") for item in items), items
    assert any(item.startswith("tasks[0].scoring_program") for item in items), items
    expect(page.get_by_role("button", name="Upload and import")).to_be_enabled()
    assert Competition.objects.count() == 0
    # The import's refusal is the one 400 answer, which Chromium also logs.
    assert browser.seen.failed == [f"400 {browser.base}/manage/new/bundle/"]
    assert browser.seen.console_errors == [
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]
    assert (browser.seen.page_errors, browser.seen.dialogs) == ([], [])


def test_an_organizer_edits_a_phase_publishes_clones_exports_and_deletes(
    browser: Browser, tmp_path
):
    olivia = make_user("olivia")
    original = import_bundle(source=EXAMPLES / "iris-results", owner=olivia).competition
    browser.sign_in(olivia)
    page = browser.page
    browser.open(f"/manage/{original.pk}/")
    page.get_by_role("navigation", name=f"Manage {original.title}").get_by_role(
        "link", name="Phases"
    ).click()
    page.get_by_role("link", name="Edit Development").click()
    page.get_by_label("Name").fill("Development phase")
    page.get_by_label("Submissions per participant", exact=True).fill("50")
    page.get_by_role("button", name="Save the phase").click()
    expect(page.locator(".messages")).to_contain_text("Phase 'Development phase' saved.")
    expect(page.locator("table")).to_contain_text("50 in all")

    page.get_by_role("link", name="Overview").click()
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".manage-head .badge")).to_have_text("Published")

    page.get_by_role("link", name="Clone it as a template").click()
    page.get_by_role("button", name=f"Clone {original.title}").click()
    expect(page.locator(".manage-head .manage-title")).to_have_text(f"{original.title} (copy)")
    expect(page.locator(".manage-head .badge")).to_have_text("Unpublished draft")

    browser.open(f"/manage/{original.pk}/dumps/")
    with page.expect_download() as downloaded:
        page.get_by_role("button", name="Download the bundle").click()
    with zipfile.ZipFile(downloaded.value.path()) as archive:
        assert "Development phase" in archive.read("competition.yaml").decode()

    browser.open(f"/manage/{original.pk}/delete/")
    expect(page.get_by_text("It is published. Unpublish it first")).to_be_visible()
    page.get_by_role("button", name="Unpublish").click()
    page.get_by_role("link", name="Delete it").click()
    page.get_by_role("button", name=f"Delete {original.title}").click()
    page.wait_for_url(f"{browser.base}/manage/")
    expect(page.locator(".messages")).to_contain_text("was deleted")
    expect(page.locator("table.managed tbody tr")).to_have_count(1)
    assert browser.seen.problems() == []
    assert list(Competition.objects.values_list("title", flat=True)) == [f"{original.title} (copy)"]


def test_the_management_pages_fit_a_phone_and_their_menu_works_by_keyboard(browser: Browser):
    olivia = make_user("olivia")
    competition = import_bundle(source=EXAMPLES / "iris-results", owner=olivia).competition
    browser.sign_in(olivia)
    page = browser.page
    browser.on_a_phone()
    paths = [
        "/manage/",
        "/manage/files/",
        "/manage/new/bundle/",
        f"/manage/{competition.pk}/",
        f"/manage/{competition.pk}/phases/",
        f"/manage/{competition.pk}/leaderboards/{competition.leaderboards.get().pk}/",
    ]
    overflow = {}
    for path in paths:
        browser.open(path)
        # The page's own part (the site's header is the site's): nothing wider than the screen.
        overflow[path] = page.evaluate(
            "() => { const main = document.querySelector('main');"
            " return main.scrollWidth - main.clientWidth; }"
        )
    assert overflow == dict.fromkeys(paths, 0)
    browser.open(f"/manage/{competition.pk}/")
    menu = page.get_by_role("navigation", name=f"Manage {competition.title}")
    menu.get_by_role("link", name="Details").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Details")
    expect(menu.get_by_role("link", name="Details")).to_have_attribute("aria-current", "page")
    assert browser.seen.problems() == []
