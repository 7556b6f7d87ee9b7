"""Accounts and organizations in real Chromium: signing up and verifying the address by the
mailed link, the profile with a picture, an API token that works, notification preferences,
an organization whose invitation is accepted, and a forgotten password reset by its link.

Mail goes through the outbox as in production: the pages queue it, the test delivers it
(the scheduler's job) and follows the links it carries. No page logs a console error or
answers an error status.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import httpx
from django.core import mail
from django.core.mail import EmailMessage
from PIL import Image
from playwright.sync_api import expect

from podium.accounts.models import ApiToken, Profile, User
from podium.messaging.models import Preferences
from podium.messaging.services import deliver_queued
from podium.organizations.models import Membership, Organization
from tests.browser.conftest import Browser
from tests.factories import make_user

PASSWORD = "a long and quiet passphrase"


def delivered() -> list[EmailMessage]:
    """The queued mail, delivered as the scheduler does; then cleared for the next step."""
    deliver_queued()
    sent = list(mail.outbox)
    mail.outbox.clear()
    return sent


def link_in(message: EmailMessage) -> str:
    """The one link to this instance in a message, as a path (mail links name SITE_URL,
    not the test's server)."""
    (path,) = re.findall(r"http://127\.0\.0\.1:8000(/\S+)", str(message.body))
    return path


def picture(folder: Path) -> Path:
    path = folder / "me.png"
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), "teal").save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


def sign_in_with_the_form(browser: Browser, login: str, password: str) -> None:
    """On the sign-in page, signs in."""
    page = browser.page
    expect(page.locator("h1")).to_have_text("Sign in")
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password:", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(browser.base + "/")


def test_a_new_user_signs_up_verifies_sets_up_a_profile_a_token_and_their_mail(
    browser: Browser, tmp_path: Path
):
    page = browser.page
    browser.open("/")
    page.locator("header").get_by_role("button", name="Sign up").click()
    page.get_by_label("Username:").fill("sam")
    page.get_by_label("Email:").fill("sam@example.org")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again):").fill(PASSWORD)
    page.get_by_label("I accept the platform's terms").check()
    page.locator("main").get_by_role("button", name="Sign up").click()
    expect(page.locator("h1")).to_have_text("Verify your email address")

    (verification,) = delivered()
    assert verification.to == ["sam@example.org"]
    browser.open(link_in(verification))
    page.get_by_role("button", name="Confirm").click()
    # A confirmed address leads to the sign-in page.
    sign_in_with_the_form(browser, "sam", PASSWORD)
    assert page.locator("header nav").get_by_text("Signed in as sam").count() == 1
    assert browser.seen.problems() == []

    # The account menu opens without script and leads to the settings
    menu = page.locator("details.account-menu")
    menu.locator("summary").click()
    expect(menu.get_by_role("link", name="Settings")).to_be_visible()
    page.keyboard.press("Escape")
    expect(menu.get_by_role("link", name="Settings")).to_be_hidden()
    menu.locator("summary").click()
    menu.get_by_role("link", name="Settings").click()
    expect(page.locator("h1")).to_have_text("Profile")

    # Profile, then a picture
    page.get_by_label("Name", exact=True).fill("Sam Vimes")
    page.get_by_label("Location").fill("Ankh-Morpork")
    page.get_by_label("Affiliations").fill("City Watch\nUnseen University")
    page.get_by_label("GitHub").fill("sam-vimes")
    page.get_by_role("button", name="Save profile").click()
    expect(page.locator(".messages")).to_have_text("Your profile is saved.")
    page.get_by_label("New picture").set_input_files(picture(tmp_path))
    page.get_by_role("button", name="Upload picture").click()
    expect(page.locator(".messages")).to_have_text("Your new picture is saved.")
    profile = Profile.objects.get(user__username="sam")
    assert (profile.display_name, profile.affiliations) == (
        "Sam Vimes",
        ["City Watch", "Unseen University"],
    )
    shown = page.locator("img.avatar")
    expect(shown).to_have_attribute("src", "/" + profile.avatar.name)
    # The page is shown before its picture has arrived: wait for the load, then read it.
    page.wait_for_function("image => image.complete", arg=shown.element_handle())
    assert shown.evaluate("image => image.naturalWidth") == 512
    page.get_by_role("link", name="your profile page").click()
    expect(page.locator("h1")).to_have_text("Sam Vimes")
    assert page.locator(".affiliations li").all_inner_texts() == [
        "City Watch",
        "Unseen University",
    ]
    assert browser.seen.problems() == []

    # An API token, copied and used
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=browser.base)
    browser.open("/settings/tokens/")
    page.get_by_label("Name").fill("laptop")
    page.get_by_role("button", name="Create token").click()
    key = page.get_by_label("Key").input_value()
    assert ApiToken.objects.get().name == "laptop"
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("[data-copy-status]")).to_have_text("Copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == key
    me = httpx.get(browser.base + "/api/users/me/", headers={"Authorization": f"Token {key}"})
    assert (me.status_code, me.json()["username"], me.json()["display_name"]) == (
        200,
        "sam",
        "Sam Vimes",
    )
    browser.open("/settings/tokens/")
    assert page.get_by_label("Key").count() == 0
    assert page.locator("table.tokens .token-name").all_inner_texts() == ["laptop"]
    expect(page.locator("table.tokens .last-used")).not_to_have_text("Never")
    assert browser.seen.problems() == []

    # Notification preferences
    browser.open("/")
    page.locator("details.account-menu summary").click()
    page.get_by_role("link", name="Notifications").click()
    page.get_by_label("Emails from the organizers of my competitions").uncheck()
    page.get_by_label("My submissions finishing or failing").check()
    page.get_by_label("Once a day").check()
    page.get_by_role("button", name="Save preferences").click()
    expect(page.locator(".messages")).to_have_text("Your notification preferences are saved.")
    prefs = Preferences.objects.get(user__username="sam")
    assert (prefs.announcement, prefs.submission, prefs.organizer, prefs.forum) == (
        False,
        True,
        "daily",
        True,
    )
    expect(page.get_by_label("Once a day")).to_be_checked()
    assert browser.seen.problems() == []


def test_an_organization_is_created_and_its_invitation_accepted(browser: Browser):
    olga = make_user("olga")
    make_user("bea")
    page = browser.page
    browser.sign_in(olga)
    browser.open("/")
    page.locator("details.account-menu summary").click()
    page.get_by_role("link", name="Organizations").click()
    page.get_by_role("button", name="Create an organization").click()
    page.get_by_label("Name").fill("Vision Lab")
    page.get_by_label("Description").fill("Seeing things.")
    page.get_by_role("button", name="Create organization").click()
    expect(page.locator("h1")).to_have_text("Vision Lab")
    expect(page.locator(".messages")).to_have_text("Vision Lab is created; you are its owner.")

    page.get_by_label("Email addresses").fill("bea@example.org")
    page.get_by_label("They join as").select_option("participant")
    page.get_by_role("button", name="Send invitations").click()
    expect(page.locator(".messages")).to_have_text("Invitation emailed to bea@example.org.")
    assert page.locator("table.invites tbody th").all_inner_texts() == ["bea@example.org"]
    (invitation,) = delivered()
    assert invitation.to == ["bea@example.org"]
    assert browser.seen.problems() == []

    browser.sign_in(User.objects.get(username="bea"))
    browser.open("/organizations/")
    expect(page.get_by_role("link", name="Vision Lab")).to_have_attribute(
        "href", link_in(invitation)
    )
    browser.open(link_in(invitation))
    page.get_by_role("button", name="Accept").click()
    expect(page.locator("main")).to_contain_text("You accepted the invitation")
    page.get_by_role("link", name="Go to Vision Lab").click()
    rows = page.locator("table.members tbody tr")
    assert rows.locator("th").all_inner_texts() == ["olga", "bea (you)"]
    assert rows.locator("td .badge").all_inner_texts() == ["owner", "participant"]
    assert browser.seen.problems() == []

    # The owner makes her a manager
    browser.sign_in(olga)
    organization = Organization.objects.get()
    browser.open(f"/organizations/{organization.pk}/")
    page.get_by_label("Group of bea", exact=True).select_option("manager")
    page.get_by_role("button", name="Change the group of bea").click()
    expect(page.locator(".messages")).to_have_text("bea is now manager.")
    assert Membership.objects.get(user__username="bea").group == "manager"
    assert browser.seen.problems() == []


def test_a_forgotten_password_is_reset_through_the_mailed_link(browser: Browser):
    make_user("vera")
    page = browser.page
    browser.open("/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("vera@example.org")
    page.get_by_role("button", name="Email me a link").click()
    page.wait_for_url("**/password/reset/done/")

    (reset,) = delivered()
    assert reset.to == ["vera@example.org"]
    browser.open(link_in(reset))
    page.get_by_label("New Password:", exact=True).fill(PASSWORD)
    page.get_by_label("New Password (again):").fill(PASSWORD)
    page.get_by_role("button", name="Change password").click()
    page.wait_for_url("**/password/reset/key/done/")
    assert [message.subject for message in delivered()] == ["[Podium] Password Reset"]

    browser.open("/accounts/login/")
    sign_in_with_the_form(browser, "vera@example.org", PASSWORD)
    assert page.locator("header nav").get_by_text("Signed in as vera").count() == 1
    assert browser.seen.problems() == []


def test_every_account_page_renders_without_errors_and_fits_a_phone(browser: Browser):
    vera = make_user("vera")
    olga = make_user("olga")
    organization = Organization.objects.create(name="Vision Lab", created_by=olga)
    Membership.objects.create(organization=organization, user=olga, group="owner")
    Membership.objects.create(organization=organization, user=vera, group="member")
    paths = [
        "/users/olga/",
        "/settings/profile/",
        "/settings/tokens/",
        "/settings/delete/",
        "/mail/preferences/",
        "/accounts/email/",
        "/accounts/password/change/",
        "/organizations/",
        "/organizations/new/",
        f"/organizations/{organization.pk}/",
        f"/organizations/{organization.pk}/edit/",
        f"/organizations/{organization.pk}/leave/",
        f"/organizations/{organization.pk}/delete/",
    ]
    browser.sign_in(olga)
    assert browser.widths_on_a_phone(paths) == dict.fromkeys(paths, 390)
    assert browser.seen.problems() == []
