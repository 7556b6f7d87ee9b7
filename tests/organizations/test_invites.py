"""Inviting by email, and answering an invitation with its token (API and email link)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.shortcuts import resolve_url
from django.utils import timezone

from podium.messaging.models import Message
from podium.messaging.services import deliver_queued
from podium.organizations.models import Invite, Membership
from tests.factories import make_user
from tests.organizations.conftest import groups

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = "https://podium.example/"
    settings.ORGANIZATION_INVITE_DAYS = 3


def invite(api, by, organization, *emails, group=None):
    body = {"emails": list(emails)} | ({"group": group} if group else {})
    return api(by).post(f"/api/organizations/{organization.pk}/invite_users/", body, format="json")


def answer(api, user, token, *, decline=None):
    body = {"token": token} | ({"decline": decline} if decline is not None else {})
    return api(user).post("/api/organizations/validate_invite/", body, format="json")


def sent():
    deliver_queued()
    return [(message.to, message.subject) for message in mail.outbox]


def test_each_address_is_emailed_a_link_with_its_token(api, team, manager):
    before = timezone.now()
    response = invite(api, manager, team, "ann@example.org", "Bob@Example.org", group="participant")

    assert response.status_code == 200, response.content
    assert [(row["email"], row["group"], row["status"]) for row in response.json()] == [
        ("ann@example.org", "participant", "open"),
        ("Bob@Example.org", "participant", "open"),
    ]
    assert sent() == [
        (["ann@example.org"], "manny invites you to join Vision Lab on Podium"),
        (["Bob@Example.org"], "manny invites you to join Vision Lab on Podium"),
    ]
    ann = Invite.objects.get(email="ann@example.org")
    assert f"https://podium.example/organizations/invites/{ann.token}/" in mail.outbox[0].body
    assert "as participant" in mail.outbox[0].body
    assert before + timedelta(days=3) <= ann.expires_at <= timezone.now() + timedelta(days=3)
    assert Message.objects.filter(category="invitation").count() == 2


def test_inviting_again_refreshes_the_open_invitation(api, team, owner, manager):
    invite(api, manager, team, "ann@example.org")
    first = Invite.objects.get()
    Invite.objects.filter(pk=first.pk).update(expires_at=timezone.now() - timedelta(hours=1))

    response = invite(api, owner, team, "ANN@example.org", "ann@example.org", group="manager")

    assert response.status_code == 200, response.content
    assert len(response.json()) == 1
    again = Invite.objects.get()
    assert (again.pk, again.token, again.group, again.invited_by) == (
        first.pk,
        first.token,
        "manager",
        owner,
    )
    assert again.status == "open"
    assert sent() == [
        (["ann@example.org"], "manny invites you to join Vision Lab on Podium"),
        (["ann@example.org"], "olga invites you to join Vision Lab on Podium"),
    ]


def test_a_declined_invitation_is_not_reused_by_a_new_one(api, team, manager):
    invite(api, manager, team, "ann@example.org")
    Invite.objects.update(declined_at=timezone.now())

    invite(api, manager, team, "ann@example.org")

    assert [(row.email, row.status) for row in Invite.objects.order_by("pk")] == [
        ("ann@example.org", "declined"),
        ("ann@example.org", "open"),
    ]


def test_inviting_a_member_refuses_the_whole_list(api, team, owner):
    response = invite(api, owner, team, "ann@example.org", "MEL@example.org")

    assert response.status_code == 400
    assert response.json() == {"detail": "already members of Vision Lab: MEL@example.org"}
    assert Invite.objects.count() == 0
    assert sent() == []


def test_only_owners_invite_owners(api, team, owner, manager):
    refused = invite(api, manager, team, "ann@example.org", group="owner")
    accepted = invite(api, owner, team, "ann@example.org", group="owner")

    assert refused.status_code == 403
    assert refused.json() == {"detail": "only owners may invite owners"}
    assert accepted.status_code == 200
    assert list(Invite.objects.values_list("group", flat=True)) == ["owner"]


def test_a_list_is_between_one_and_fifty_valid_addresses(api, team, owner):
    many = [f"user{number}@example.org" for number in range(51)]

    assert invite(api, owner, team).json() == {
        "emails": ["Ensure this field has at least 1 elements."]
    }
    assert invite(api, owner, team, *many).json() == {
        "emails": ["Ensure this field has no more than 50 elements."]
    }
    assert invite(api, owner, team, "not an address").json() == {
        "emails": {"0": ["Enter a valid email address."]}
    }
    assert Invite.objects.count() == 0


def test_the_invited_user_accepts_and_joins_in_the_invited_group(api, team, manager):
    invite(api, manager, team, "Ann@Example.org", group="participant")
    ann = make_user("ann")
    token = Invite.objects.get().token

    response = answer(api, ann, token)

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["organization_name"], body["group"], body["status"]) == (
        "Vision Lab",
        "participant",
        "accepted",
    )
    assert groups(team)["ann"] == "participant"
    assert Invite.objects.get().accepted_at is not None


def test_the_invited_user_declines_with_a_flag(api, team, manager):
    invite(api, manager, team, "ann@example.org")
    ann = make_user("ann")

    response = answer(api, ann, Invite.objects.get().token, decline=True)

    assert response.status_code == 200
    assert response.json()["status"] == "declined"
    assert "ann" not in groups(team)
    assert Invite.objects.get().declined_at is not None


def test_an_unknown_token_is_not_found(api, team, outsider):
    response = answer(api, outsider, "no-such-token")

    assert response.status_code == 404
    assert response.json() == {
        "detail": "no invitation has this token; check the link, or ask for a new invitation"
    }


def test_another_addresss_invitation_is_refused(api, team, manager, outsider):
    invite(api, manager, team, "ann@example.org")

    response = answer(api, outsider, Invite.objects.get().token)

    assert response.status_code == 403
    assert response.json() == {
        "detail": "this invitation was sent to ann@example.org, not to the address of your "
        "account; sign in with the account of that address"
    }
    assert Invite.objects.get().status == "open"
    assert "oscar" not in groups(team)


def test_an_answered_invitation_cannot_be_answered_again(api, team, manager):
    invite(api, manager, team, "ann@example.org")
    ann = make_user("ann")
    token = Invite.objects.get().token
    answer(api, ann, token, decline=True)
    declined_at = Invite.objects.get().declined_at

    again = answer(api, ann, token)

    assert again.status_code == 409
    assert again.json() == {
        "detail": f"this invitation was declined on {declined_at:%Y-%m-%d %H:%M} UTC"
    }
    assert "ann" not in groups(team)


def test_an_accepted_invitation_cannot_be_used_twice(api, team, manager):
    invite(api, manager, team, "ann@example.org")
    ann = make_user("ann")
    token = Invite.objects.get().token
    answer(api, ann, token)
    Membership.objects.filter(user=ann).delete()  # left since

    again = answer(api, ann, token)

    assert again.status_code == 409
    assert again.json()["detail"].startswith("this invitation was accepted on ")
    assert "ann" not in groups(team)


def test_an_expired_invitation_is_gone(api, team, manager):
    invite(api, manager, team, "ann@example.org")
    expired = timezone.now() - timedelta(minutes=1)
    Invite.objects.update(expires_at=expired)

    response = answer(api, make_user("ann"), Invite.objects.get().token)

    assert response.status_code == 410
    assert response.json() == {
        "detail": f"this invitation expired on {expired:%Y-%m-%d %H:%M} UTC; ask the owners "
        "or managers of Vision Lab for a new one"
    }
    assert "ann" not in groups(team)


def test_accepting_while_already_a_member_is_a_conflict(api, team, owner):
    Invite.objects.create(organization=team, email="mel@example.org", invited_by=owner)
    mel = team.memberships.get(group="member").user

    response = answer(api, mel, Invite.objects.get().token)

    assert response.status_code == 409
    assert response.json() == {"detail": "you are already a member of Vision Lab"}
    assert groups(team)["mel"] == "member"


# The email's link: a page that shows the invitation, and a form that answers it.


def page(client, token, user=None, answer=None):
    if user is not None:
        client.force_login(user)
    path = f"/organizations/invites/{token}/"
    return client.get(path) if answer is None else client.post(path, {"answer": answer})


def test_the_link_shows_the_invitation_and_changes_nothing(api, client, team, manager):
    invite(api, manager, team, "ann@example.org", group="participant")
    token = Invite.objects.get().token

    anonymous = page(client, token)
    signed_in = page(client, token, make_user("ann"))

    assert anonymous.status_code == 200
    text = anonymous.content.decode()
    assert (
        "manny invites ann@example.org to join <strong>Vision Lab</strong> as participant." in text
    )
    assert "Log in</a> with the account of ann@example.org to answer." in text
    assert 'value="accept"' in signed_in.content.decode()
    assert Invite.objects.get().status == "open"
    assert "ann" not in groups(team)


def test_the_links_form_accepts_or_declines(api, client, team, manager):
    invite(api, manager, team, "ann@example.org", "bob@example.org", group="participant")
    ann, bob = make_user("ann"), make_user("bob")

    accepted = page(client, Invite.objects.get(email="ann@example.org").token, ann, "accept")
    declined = page(client, Invite.objects.get(email="bob@example.org").token, bob, "decline")

    assert accepted.status_code == 200
    assert "You accepted the invitation to join <strong>Vision Lab</strong> as participant." in (
        accepted.content.decode()
    )
    assert declined.status_code == 200
    assert "You declined the invitation" in declined.content.decode()
    assert (groups(team)["ann"], "bob" in groups(team)) == ("participant", False)


def test_the_links_form_shows_why_it_refuses(api, client, team, manager, outsider):
    invite(api, manager, team, "ann@example.org")

    response = page(client, Invite.objects.get().token, outsider, "accept")

    assert response.status_code == 403
    assert "this invitation was sent to ann@example.org" in response.content.decode()
    assert "oscar" not in groups(team)


def test_answering_through_the_link_needs_a_signed_in_user(api, client, team, manager):
    invite(api, manager, team, "ann@example.org")
    token = Invite.objects.get().token

    response = page(client, token, answer="accept")

    assert response.status_code == 302
    login = resolve_url(django_settings.LOGIN_URL)
    assert response["Location"] == f"{login}?next=/organizations/invites/{token}/"
    assert Invite.objects.get().status == "open"


def test_a_link_with_an_unknown_token_is_not_found(client, team):
    response = page(client, "forged")

    assert response.status_code == 404
    assert "This link is not valid" in response.content.decode()
