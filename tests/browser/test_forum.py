"""The forum in real Chromium: a participant starts a thread, another replies, the organizer
pins and locks it, and a post's script, event handler or `javascript:` link never runs."""

from __future__ import annotations

from playwright.sync_api import expect

from podium.forums.models import Post, Thread
from tests.browser.conftest import Browser
from tests.browser.world import World

HOSTILE_POST = (
    "Is the split **stratified**? See [the notes](javascript:alert('link ran')).\n\n"
    "<script>alert('post script ran'); console.error('post script ran')</script>"
    '<img src="data:image/png;base64,broken" onerror="alert(\'handler ran\')" alt="broken">'
    "<a href=\"javascript:alert('raw link ran')\">raw link</a>"
)


def test_participants_discuss_and_the_organizer_pins_and_locks_the_thread(
    browser: Browser, world: World
):
    forum = f"/forums/{world.competition.pk}/"
    page = browser.page

    # alice starts a thread
    browser.sign_in(world.users["alice"])
    browser.open(f"/competitions/{world.competition.pk}/")
    page.locator("nav.tabs").get_by_role("link", name="Forum").click()
    page.wait_for_url(f"**{forum}")
    expect(page.locator("h1")).to_have_text("Forum Efficient Iris")
    assert page.get_by_role("link", name="Efficient Iris").first.get_attribute("href") == (
        f"/competitions/{world.competition.pk}/"
    )
    page.get_by_role("button", name="Start a thread").click()
    page.get_by_label("Title").fill("Is the test set balanced?")
    page.get_by_label("First post").fill(HOSTILE_POST)
    page.get_by_role("button", name="Start the thread").click()
    expect(page.locator("h1")).to_have_text("Is the test set balanced?")
    expect(page.locator(".messages")).to_have_text("Your thread is started; you follow it.")
    first = page.locator(".post").first
    assert first.locator(".post-body strong").inner_text() == "stratified"
    # The sanitizer kept the words and dropped what runs: no script, no handler, no
    # javascript: address; clicking the links runs nothing.
    assert first.locator(".post-body script").count() == 0
    assert page.locator("[onerror]").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    for name in ("the notes", "raw link"):
        link = first.get_by_text(name)
        if link.count():
            link.click()
    page.wait_for_timeout(300)
    thread = Thread.objects.get()
    html = Post.objects.get().html
    assert ("<script" in html, "onerror" in html, "javascript:" in html) == (False, False, False)

    # bob replies
    browser.sign_in(world.users["bob"])
    browser.open(f"{forum}threads/{thread.pk}/")
    page.get_by_label("Your reply").fill("It is: *stratified* by species.")
    page.get_by_role("button", name="Post the reply").click()
    expect(page.locator(".messages")).to_have_text("Your reply is posted.")
    assert page.locator(".post .post-head strong").all_inner_texts() == ["alice", "bob"]
    assert page.locator(".post").nth(1).locator(".post-body em").inner_text() == "stratified"
    assert page.get_by_role("button", name="Pin").count() == 0

    # olivia, the organizer, pins and locks it
    browser.sign_in(world.organizer)
    browser.open(f"{forum}threads/{thread.pk}/")
    page.get_by_role("button", name="Pin").click()
    expect(page.locator(".messages")).to_have_text("Thread pinned to the top.")
    page.get_by_role("button", name="Lock").click()
    expect(page.locator(".messages")).to_have_text("Thread locked: only moderators may post in it.")
    assert page.locator(".thread-head .badge").all_inner_texts() == [
        "pinned",
        "locked: only moderators may post",
    ]
    assert page.get_by_role("button", name="Unpin").count() == 1
    # and takes alice's post down, after a second thought
    first = page.locator(".post").first
    first.locator("details.confirm summary").click()
    first.get_by_role("button", name="Yes, delete the post").click()
    expect(page.locator(".messages")).to_have_text("Post deleted.")
    assert page.locator(".post").first.inner_text() == "This post was deleted by a moderator."

    # bob may not reply any more, and sees why
    browser.sign_in(world.users["bob"])
    browser.open(f"{forum}threads/{thread.pk}/")
    assert page.locator(".reply .notice").inner_text() == "This thread is locked: no new posts."
    assert page.get_by_label("Your reply").count() == 0
    browser.open(forum)
    row = page.locator("table.threads tbody tr").first
    assert row.locator(".badge").all_inner_texts() == ["pinned", "locked", "following"]
    thread.refresh_from_db()
    assert (thread.pinned, thread.locked, thread.posts.count()) == (True, True, 2)
    assert browser.seen.problems() == []


def test_the_forum_is_reachable_by_keyboard(browser: Browser, world: World):
    browser.sign_in(world.users["alice"])
    browser.open(f"/forums/{world.competition.pk}/")
    page = browser.page
    focused = []
    for _ in range(25):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.textContent.trim()"))
        if focused[-1] == "Start a thread":
            break
    assert focused[-1] == "Start a thread"
    page.keyboard.press("Enter")
    page.wait_for_url("**/new/")
    assert page.get_by_label("Title").get_attribute("required") == ""
    assert browser.seen.problems() == []
