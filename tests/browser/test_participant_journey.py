"""The participant's journey in real Chromium: sign up on the sign-up page, verify the address
through the link mailed, register for a competition (accept its terms, answer its form),
submit a zip through the uploads API with the progress bar reaching 100%, watch the status
change by itself while the worker reports, and find the submission on the Results tab with
its chart. Then: a refused submission says why and leaves nothing behind, the actions of a
row work, and every participant page renders without a console error."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from playwright.sync_api import expect

from podium.messaging.services import deliver_queued
from podium.participation import services as registrations
from podium.participation.models import Participant, Question
from podium.submissions import dispatch
from podium.submissions.models import Submission
from podium.uploads.models import Upload
from podium_worker.protocol import Status
from tests.browser.conftest import Browser, finish_in_view
from tests.browser.test_pages import drawn
from tests.browser.world import World, report, submit
from tests.factories import make_participant, make_user

PASSWORD = "a long and quiet passphrase"

# Every value the progress bar's label shows, in order.
WATCH_PROGRESS = """() => {
    window.progressSeen = [];
    const output = document.getElementById('upload-percent');
    new MutationObserver(() => window.progressSeen.push(output.textContent))
        .observe(output, {childList: true, characterData: true, subtree: true});
}"""


@pytest.fixture(autouse=True)
def jobs(monkeypatch) -> list[int]:
    """The submissions whose jobs were queued, as the broker would have carried them."""
    sent: list[int] = []
    monkeypatch.setattr(dispatch, "publish", lambda submission, task: sent.append(submission.pk))
    cache.clear()  # sign-up and sign-in limits count in the cache
    return sent


def results_zip(size: int = 2 * 2**20) -> bytes:
    """A results submission of about `size` bytes: big enough for the bar to move."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("predictions.csv", "id,label\n" + "1,setosa\n" * (size // 9))
    return buffer.getvalue()


def ask_questions(world: World) -> None:
    for index, (key, label, kind, choices) in enumerate(
        [
            ("affiliation", "Your affiliation", "text", []),
            ("country", "Country", "single_choice", ["France", "Germany", "Japan"]),
        ]
    ):
        Question.objects.create(
            competition=world.competition,
            index=index,
            key=key,
            label=label,
            kind=kind,
            choices=choices,
            required=True,
        )


def verification_path(address: str) -> str:
    deliver_queued()
    (message,) = [sent for sent in mail.outbox if sent.to == [address]]
    (url,) = re.findall(re.escape(settings.SITE_URL.rstrip("/")) + r"(/\S+)", message.body)
    return url


def test_a_new_user_signs_up_registers_submits_and_sees_the_result(
    browser: Browser, world: World, jobs
):
    ask_questions(world)
    page = browser.page
    competition = f"/competitions/{world.competition.pk}/"

    # A visitor is asked to sign up, and does.
    browser.open(f"{competition}participate/")
    page.locator(".sign-in-prompt").get_by_role("button", name="Sign up").click()
    page.wait_for_url("**/accounts/signup/**")
    page.fill("input[name=username]", "sam")
    page.fill("input[name=email]", "sam@example.org")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.check("input[name=accept_terms]")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("Verify your email address")

    # The link mailed verifies the address.
    confirming = verification_path("sam@example.org")
    browser.open(confirming)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    browser.open(f"{competition}participate/")
    if page.locator(".sign-in-prompt").count():  # not signed in on confirming
        browser.open("/accounts/login/")
        page.fill("input[name=login]", "sam")
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
        browser.open(f"{competition}participate/")
    expect(page.locator("header nav")).to_contain_text("Signed in as sam")

    # Registering: the terms, the organizers' questions.
    expect(page.locator(".terms-text")).to_contain_text("Be fair: one account per person.")
    page.get_by_label("Your affiliation").fill("Sorbonne")
    page.get_by_label("Japan").check()
    page.get_by_label("I have read the terms of this competition and accept them").check()
    page.get_by_role("button", name="Register").click()
    expect(page.locator(".messages")).to_have_text(
        "Your request was sent to the organizers. We email you when they decide on it."
    )
    expect(page.locator("#status-title .badge")).to_have_text("pending")
    expect(page.locator(".answers")).to_contain_text("Sorbonne")

    # The organizers approve.
    sam = Participant.objects.get(user__username="sam", competition=world.competition)
    registrations.approve(sam, by=world.organizer)
    page.reload()
    expect(page.locator("#status-title .badge")).to_have_text("approved")
    page.get_by_role("link", name="make a submission").click()
    page.wait_for_url("**/submissions/")

    # Submitting: the file goes through the uploads API, the bar to 100%.
    page.evaluate(WATCH_PROGRESS)
    page.get_by_label("Your submission (a zip of results or of code)").set_input_files(
        {"name": "results.zip", "mimeType": "application/zip", "buffer": results_zip()}
    )
    page.get_by_role("button", name="Submit").click()
    expect(page.locator("#upload-status")).to_contain_text("was made", timeout=20_000)
    made = Submission.objects.get(owner__username="sam")
    expect(page.locator("#upload-status")).to_have_text(
        f"Submission #{made.pk} was made; its status updates below."
    )
    assert page.locator("#upload-progress").evaluate("bar => bar.value") == 100
    seen = page.evaluate("window.progressSeen")
    assert seen[-1] == "100%"
    percents = [int(text.rstrip("%")) for text in seen]
    assert percents == sorted(percents)
    assert (made.data.name, made.data.size, jobs) == ("results.zip", len(results_zip()), [made.pk])
    assert Upload.objects.get(owner=made.owner).status == "used"
    row = page.locator(f"#submission-{made.pk}")
    expect(row.locator(".status")).to_have_text("submitted")

    # The worker runs it: the row follows by itself, with the end of the logs.
    report(made, Status.RUNNING, log_tail="epoch 1: loss 0.52\nepoch 2: loss 0.31")
    expect(row.locator(".status")).to_have_text("running")
    expect(row.locator("pre.log")).to_have_text("epoch 1: loss 0.52\nepoch 2: loss 0.31")
    finish_in_view(row, made)
    expect(row.locator(".entry")).to_contain_text("On the leaderboard")

    # The Results tab ranks it first, and its chart counts it.
    page.get_by_role("navigation", name="Competition sections").get_by_role(
        "link", name="Results"
    ).click()
    page.wait_for_url("**/results/")
    first = page.locator("table.leaderboard tbody tr").first
    assert first.get_attribute("class").split() == ["mine", "on-frontier"]
    assert first.locator("td.rank").inner_text() == "1"
    assert first.locator(".name").inner_text() == "sam"
    assert drawn(page, "history-chart") == [
        ["Best so far", 4],
        ["Leaderboard entries", 5],
        ["Baseline: olivia", 2],
    ]
    assert browser.seen.problems() == []


def test_a_refused_submission_says_why_and_leaves_no_upload_behind(browser: Browser, world: World):
    development = world.phases["development"]
    development.max_submissions_per_day = 1
    development.save()
    alice = world.users["alice"]
    submit(alice, development)
    browser.sign_in(alice)
    browser.open(f"/competitions/{world.competition.pk}/submissions/")
    before = Submission.objects.count()
    expect(browser.page.locator(f"#limit-{development.pk} .today")).to_have_text(
        "0 of 1 left today (UTC)"
    )
    browser.page.get_by_label("Your submission (a zip of results or of code)").set_input_files(
        {"name": "results.zip", "mimeType": "application/zip", "buffer": results_zip(1000)}
    )
    browser.page.get_by_role("button", name="Submit").click()
    errors = browser.page.locator("#upload-errors")
    expect(errors).to_contain_text("daily limit reached (1/1)")
    assert errors.locator("p").inner_text() == "Your submission was not made:"
    assert errors.locator("li").all_inner_texts() == ["daily limit reached (1/1)"]
    expect(browser.page.get_by_role("button", name="Submit")).to_be_enabled()
    assert Submission.objects.count() == before
    browser.page.wait_for_timeout(300)  # the aborted upload's DELETE
    assert Upload.objects.filter(owner=alice).count() == 0
    address = f"{browser.base}/api/submissions/"
    assert browser.seen.failed == [f"400 {address}"]
    assert browser.seen.console_errors == [
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]


def test_a_row_s_actions_cancel_and_publish(browser: Browser, world: World):
    alice = world.users["alice"]
    running = report(submit(alice, world.phases["development"]), Status.RUNNING)
    done = world.submissions["alice"]
    browser.sign_in(alice)
    browser.open(f"/competitions/{world.competition.pk}/submissions/")
    page = browser.page
    page.get_by_role("button", name=f"Cancel submission #{running.pk}").click()
    expect(page.locator(".messages")).to_have_text(f"Submission #{running.pk} was cancelled.")
    expect(page.locator(f"#submission-{running.pk} .status")).to_have_text("cancelled")
    page.get_by_role("button", name=f"Make public submission #{done.pk}").click()
    expect(page.locator(".messages")).to_have_text(f"Submission #{done.pk} is public.")
    expect(page.locator(f"#submission-{done.pk} .badge.public")).to_have_text("public")
    done.refresh_from_db()
    assert done.is_public
    assert browser.seen.problems() == []


def participant_pages(world: World) -> dict[str, str]:
    competition = f"/competitions/{world.competition.pk}/"
    bob = world.submissions["bob"].pk
    return {
        "participate": f"{competition}participate/",
        "my submissions": f"{competition}submissions/",
        "a submission": f"{competition}submissions/{bob}/",
        "results": f"{competition}results/",
    }


def test_every_participant_page_renders_without_console_errors(browser: Browser, world: World):
    ask_questions(world)
    world.competition.fact_sheet = {
        "method": {"key": "method", "type": "text", "title": "Method", "is_required": True},
    }
    world.competition.save()
    pending = make_user("penny")
    make_participant(user=pending, competition=world.competition, status="pending")
    # No submission runs here: a poll still in flight when the test moves on to the next
    # page is aborted by the browser, and would read as a failed request.
    browser.open(participant_pages(world)["participate"])
    for user in (world.users["bob"], pending, make_user("oscar")):
        browser.sign_in(user)
        for name, path in participant_pages(world).items():
            if name == "a submission" and user != world.users["bob"]:
                continue
            browser.open(path)
            assert browser.page.locator("h1").inner_text() == "Efficient Iris", (user, name)
            assert browser.seen.problems() == [], (user.username, name)
    browser.sign_in(world.users["bob"])
    phone = [participant_pages(world)[name] for name in ("participate", "my submissions")]
    assert browser.widths_on_a_phone(phone) == dict.fromkeys(phone, 390)
    assert browser.seen.problems() == []
