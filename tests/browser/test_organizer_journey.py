"""The organizer's journey through a running competition, in real Chromium: a competition
imported from examples/iris-results, published, a registration approved on the
participants page, the participant's submission watched live while a worker runs it,
placed on the leaderboard, re-run, and the results exported; and organizer-written
scripts (a page, an email, a registration question) that run on no page showing them.

The worker's side is played with the worker's own HTTP reporter against the live server,
as tests/client/conftest.py's `finish` does: heartbeats, output uploads, the final report.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from podium.accounts.models import User
from podium.bundles.services import import_bundle
from podium.competitions.models import Competition, Page
from podium.messaging import services as messaging
from podium.messaging.models import Message
from podium.participation import outreach, rules
from podium.participation import services as participation
from podium.participation.models import Participant
from podium.submissions import services as submissions
from podium.submissions.models import Submission
from podium_worker.protocol import Job, Output, Status
from podium_worker.transfer import HttpReporter
from tests.browser.conftest import Browser
from tests.client.conftest import queued_jobs
from tests.factories import make_user

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "iris-results"
SCRIPT = "<script>alert('organizer script ran'); console.error('organizer script ran')</script>"


@pytest.fixture
def jobs(monkeypatch) -> list[Job]:
    """The job messages submissions queue, as the broker would carry them to a worker."""
    return queued_jobs(monkeypatch)


@pytest.fixture
def site(browser: Browser, settings) -> Browser:
    """Signed download URLs and job messages name the live server."""
    settings.SITE_URL = browser.base
    return browser


@pytest.fixture
def organizer(transactional_db) -> User:
    return make_user("olivia")


@pytest.fixture
def iris(organizer, tmp_path) -> Competition:
    """examples/iris-results, imported as the organizer's draft; its organizers decide on
    each registration (the bundle approves everyone, which this journey does not want)."""
    competition = import_bundle(source=EXAMPLE, owner=organizer).competition
    Competition.objects.filter(pk=competition.pk).update(registration_auto_approve=False)
    competition.refresh_from_db()
    return competition


def results_zip(folder: Path) -> io.BytesIO:
    """The example's own predictions file, as a participant uploads it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.write(EXAMPLE / "solution" / "predictions.csv", "predictions.csv")
    buffer.seek(0)
    return buffer


def play_worker(job: Job, folder: Path, reporter: HttpReporter, scores: dict[str, float]) -> None:
    """The end of the job: its outputs uploaded, then the final report."""
    outputs = {
        Output.SCORING_OUTPUT: {"scores.json": json.dumps(scores)},
        Output.LOGS: {"scoring.stdout": "scored\n"},
    }
    folder.mkdir(parents=True, exist_ok=True)
    for kind, members in outputs.items():
        archive = folder / f"{job.submission}-{kind.value}.zip"
        with zipfile.ZipFile(archive, "w") as written:
            for name, text in members.items():
                written.writestr(name, text)
        reporter.upload(kind, archive)
    reporter.report(Status.FINISHED, "", scores, {})


def test_an_organizer_runs_a_competition_from_registration_to_exported_results(
    site: Browser, organizer, iris, jobs, tmp_path
):
    page = site.page
    site.sign_in(organizer)

    # Publish the imported competition from its management page.
    site.open(f"/manage/{iris.pk}/")
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("is published")

    # A participant registers, accepting the terms: pending until an organizer decides.
    iris.refresh_from_db()
    assert iris.published
    ada = make_user("ada")
    participation.apply(user=ada, competition=iris, accept_terms=True)
    assert Participant.objects.get(user=ada).status == Participant.Status.PENDING

    page.get_by_role("navigation", name=f"Manage {iris.title}").get_by_role(
        "link", name="Participants"
    ).click()
    page.wait_for_url(f"**/manage/{iris.pk}/participants/")
    row = page.locator("table.participants tbody tr").first
    expect(row.locator(".who .name")).to_have_text("ada")
    expect(row.locator(".badge")).to_have_text("Pending")
    assert "Accepted the terms" in row.locator(".terms").inner_text()
    row.get_by_role("button", name="Approve ada").click()
    expect(page.locator(".messages")).to_have_text("ada is approved; they are emailed.")
    expect(
        page.locator("#participant-" + str(Participant.objects.get(user=ada).pk) + " .badge")
    ).to_have_text("Approved")
    messaging.deliver_queued()
    assert (
        Message.objects.filter(recipient=ada, status="sent").values_list("subject", flat=True)[0]
        == f"You are registered for {iris.title}"
    )

    # Ada submits; the organizer watches the submission run on the submissions page.
    development = iris.phases.get(name="Development")
    submitted = submissions.create_submission(
        user=ada,
        phase=development,
        stream=results_zip(tmp_path),
        name="predictions.zip",
        fact_sheet_answers={"method_name": "Nearest centroid", "used_external_data": False},
    )
    (job,) = jobs
    page.get_by_role("link", name="Submissions").first.click()
    page.wait_for_url(f"**/manage/{iris.pk}/submissions/")
    line = page.locator(f"#submission-{submitted.pk}")
    expect(line.locator(".status")).to_have_text("submitted")
    line.get_by_role("checkbox").check()  # kept while the row updates
    reporter = HttpReporter(job, attempts=1)
    reporter.heartbeat(Status.PREPARING, "")
    reporter.heartbeat(Status.SCORING, "scoring 75 predictions\n")
    expect(line.locator(".status")).to_have_text("scoring")
    play_worker(job, tmp_path / "outputs", reporter, {"accuracy": 0.96, "f1": 0.95})
    expect(line.locator(".status")).to_have_text("finished")
    assert line.get_attribute("hx-trigger") is None
    assert line.locator(".scores li").all_inner_texts() == [
        "Accuracy 0.9600",
        "Macro F1 0.9500",
        "Mean of accuracy and F1 0.9550",
    ]
    assert line.get_by_role("checkbox").is_checked()
    assert [" ".join(text.split()) for text in line.locator(".downloads a").all_inner_texts()] == [
        f"The uploaded submission of submission {submitted.pk}",
        f"Scoring output (zip) of submission {submitted.pk}",
        f"Logs (zip) of submission {submitted.pk}",
    ]
    with page.expect_download() as logs:
        line.get_by_role("link", name=f"Logs (zip) of submission {submitted.pk}").click()
    with zipfile.ZipFile(logs.value.path()) as archive:
        assert archive.read("scoring.stdout") == b"scored\n"

    # On the leaderboard (its rule lets participants and organizers choose), then re-run.
    line.get_by_role("button", name=f"Add submission {submitted.pk} to the leaderboard").click()
    expect(page.locator(".messages")).to_have_text(
        f"Submission {submitted.pk} is on the leaderboard."
    )
    expect(line.locator(".badge.leaderboard")).to_have_text("on the leaderboard")
    line.get_by_role("button", name=f"Re-run submission {submitted.pk}").click()
    again = Submission.objects.get(pk__gt=submitted.pk, parent__isnull=True)
    expect(page.locator(".messages")).to_have_text(
        f"Submission {submitted.pk} runs again as submission {again.pk}."
    )
    rerun = page.locator(f"#submission-{again.pk}")
    expect(rerun.locator(".status")).to_have_text("submitted")
    assert rerun.get_attribute("hx-trigger") == "every 2s"
    assert [found.submission for found in jobs] == [submitted.pk, again.pk]
    second = HttpReporter(jobs[1], attempts=1)
    second.heartbeat(Status.SCORING, "")
    expect(rerun.locator(".status")).to_have_text("scoring")
    play_worker(jobs[1], tmp_path / "outputs", second, {"accuracy": 0.96, "f1": 0.95})
    expect(rerun.locator(".status")).to_have_text("finished")

    # The results, exported as CSV.
    with page.expect_download() as exported:
        page.get_by_role("link", name="CSV").click()
    assert exported.value.suggested_filename == f"competition-{iris.pk}-results.csv"
    lines = list(csv.DictReader(io.StringIO(Path(exported.value.path()).read_text())))
    assert [(line["participant"], line["submission"], line["accuracy"]) for line in lines] == [
        ("ada", str(submitted.pk), "0.96")
    ]
    assert site.seen.problems() == []


def test_the_bulk_form_counts_the_selected_rows(site: Browser, organizer, iris):
    Competition.objects.filter(pk=iris.pk).update(published=True)
    iris.refresh_from_db()
    for name in ("bea", "cal"):
        participation.apply(user=make_user(name), competition=iris, accept_terms=True)
    site.sign_in(organizer)
    site.open(f"/manage/{iris.pk}/participants/")
    page = site.page
    bulk = page.locator("#bulk-participants")
    expect(bulk.locator("[data-bulk-count]")).to_have_text("Select rows to act on them together")
    assert bulk.get_by_role("button").is_disabled()
    page.get_by_label("Select every pending or denied registration on this page").check()
    expect(bulk.locator("[data-bulk-count]")).to_have_text("2 selected")
    page.get_by_label("Select cal").uncheck()
    expect(bulk.locator("[data-bulk-count]")).to_have_text("1 selected")
    bulk.get_by_role("button").click()
    expect(page.locator(".messages")).to_have_text("Approved 1: bea. They are emailed.")
    assert sorted(Participant.objects.values_list("user__username", "status")) == [
        ("bea", "approved"),
        ("cal", "pending"),
    ]
    assert site.seen.problems() == []


def test_organizer_scripts_run_on_no_page_that_shows_them(site: Browser, organizer, iris, tmp_path):
    Competition.objects.filter(pk=iris.pk).update(published=True, title=f"Iris {SCRIPT}")
    iris.refresh_from_db()
    Page.objects.create(competition=iris, index=5, title="Rules", content=f"Be fair. {SCRIPT}")
    participation.set_questions(
        iris,
        questions=[
            rules.Question(key="lab", label=f"Your lab {SCRIPT}", kind="text", help_text=SCRIPT)
        ],
    )
    ada = make_user("ada")
    participation.apply(user=ada, competition=iris, accept_terms=True, answers={"lab": SCRIPT})
    email = outreach.email_participants(
        iris, by=organizer, subject=f"News {SCRIPT}", body=f"Hello {SCRIPT}", status=None
    )
    site.sign_in(organizer)
    shown = {
        f"/manage/{iris.pk}/participants/": "Your lab",
        f"/manage/{iris.pk}/participants/{Participant.objects.get(user=ada).pk}/email/": "Iris",
        f"/manage/{iris.pk}/submissions/": "Iris",
        f"/manage/{iris.pk}/emails/": "News",
        f"/manage/{iris.pk}/emails/{email.pk}/": "Hello",
        f"/manage/{iris.pk}/queues/": "Iris",
        f"/competitions/{iris.pk}/": "Be fair.",
    }
    for path, near in shown.items():
        site.open(path)
        page = site.page
        if path.endswith("/participants/"):
            page.get_by_text("1 answer").click()
        assert page.locator("script:not([src])").count() == 0, path
        assert page.get_by_text(re.compile(re.escape(near))).first.is_visible(), path
        if "/manage/" in path:
            assert page.get_by_text("alert('organizer script ran')").first.is_visible(), path
    site.page.wait_for_timeout(300)
    assert site.seen.problems() == []


def test_every_operations_page_renders_and_fits_a_phone_screen(
    site: Browser, organizer, iris, jobs, tmp_path
):
    Competition.objects.filter(pk=iris.pk).update(published=True)
    iris.refresh_from_db()
    for name in ("ada", "bea"):
        participation.apply(user=make_user(name), competition=iris, accept_terms=True)
    ada = Participant.objects.get(user__username="ada")
    participation.approve(ada, by=organizer)
    submissions.create_submission(
        user=ada.user,
        phase=iris.phases.get(name="Development"),
        stream=results_zip(tmp_path),
        name="predictions.zip",
        fact_sheet_answers={"method_name": "Nearest centroid"},
    )
    email = outreach.email_participants(iris, by=organizer, subject="Welcome", body="Hello")
    paths = [
        f"/manage/{iris.pk}/participants/",
        f"/manage/{iris.pk}/participants/{ada.pk}/email/",
        f"/manage/{iris.pk}/submissions/",
        f"/manage/{iris.pk}/emails/",
        f"/manage/{iris.pk}/emails/{email.pk}/",
        f"/manage/{iris.pk}/queues/",
    ]
    site.sign_in(organizer)
    assert site.widths_on_a_phone(paths) == dict.fromkeys(paths, 390)
    assert site.seen.problems() == []


def test_a_script_in_a_registration_question_never_reaches_the_registration_form(
    site: Browser, organizer, iris
):
    Competition.objects.filter(pk=iris.pk).update(published=True)
    iris.refresh_from_db()
    participation.set_questions(
        iris,
        questions=[
            rules.Question(key="lab", label=f"Your lab {SCRIPT}", kind="text", help_text=SCRIPT)
        ],
    )
    ada = make_user("ada")
    site.sign_in(ada)
    site.open(f"/competitions/{iris.pk}/participate/")
    page = site.page
    assert page.locator("script:not([src])").count() == 0
    assert page.get_by_text("alert('organizer script ran')").first.is_visible()
    page.wait_for_timeout(300)
    assert site.seen.problems() == []
