"""The organization pages: my organizations, creating one, an organization's page with its
members and invitations, and each action on it, with the authorization the API enforces.

The team (tests/organizations/conftest.py): olga owns Vision Lab, manny manages it, tess is
a participant, mel a member; oscar (the outsider) is none of them, and ada is a platform
admin. An organization's pages are its members' (and admins'): anyone else gets 404. A
refused action shows the service's reason and changes nothing.
"""

from __future__ import annotations

import pytest
from django.test import Client

from podium.accounts.models import User
from podium.datasets.models import Data
from podium.messaging.models import Category, Message
from podium.organizations import services
from podium.organizations.models import Invite, Membership, Organization
from podium.submissions.services import start_submission
from tests.factories import make_data, make_leaderboard, make_participant, make_phase, make_task
from tests.organizations.conftest import groups, make_organization

pytestmark = pytest.mark.django_db

TEAM = {"olga": "owner", "manny": "manager", "tess": "participant", "mel": "member"}


def signed_in(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def text(response) -> str:
    return response.content.decode()


def membership(user: User) -> Membership:
    return Membership.objects.get(user=user)


def flashed(client: Client, path: str) -> list[str]:
    return [str(message) for message in client.get(path).context["messages"]]


def state(organization: Organization) -> tuple:
    """Everything an action could change."""
    return (
        list(Organization.objects.order_by("pk").values_list("name", "description", "website")),
        groups(organization),
        list(Invite.objects.order_by("pk").values_list("email", "group")),
        Message.objects.count(),
    )


def pages(team: Organization, target: Membership) -> list[tuple[str, str]]:
    """Every address under an organization, with its method."""
    base = f"/organizations/{team.pk}/"
    return [
        ("get", base),
        ("get", base + "edit/"),
        ("post", base + "edit/"),
        ("post", base + "invite/"),
        ("post", base + f"members/{target.pk}/group/"),
        ("get", base + f"members/{target.pk}/remove/"),
        ("post", base + f"members/{target.pk}/remove/"),
        ("get", base + "leave/"),
        ("post", base + "leave/"),
        ("get", base + "delete/"),
        ("post", base + "delete/"),
    ]


FORM = {
    "name": "Hijacked",
    "emails": "eve@example.org",
    "group": "owner",
}


# Who may see what


def test_anonymous_visitors_are_asked_to_sign_in_and_change_nothing(team, member):
    before = state(team)
    for method, path in [
        ("get", "/organizations/"),
        ("get", "/organizations/new/"),
        ("post", "/organizations/new/"),
        *pages(team, membership(member)),
    ]:
        response = Client().post(path, FORM) if method == "post" else Client().get(path)
        assert (response.status_code, response["Location"]) == (
            302,
            f"/accounts/login/?next={path}",
        ), path
    assert state(team) == before


def test_non_members_find_no_such_organization_and_change_nothing(team, member, outsider):
    before = state(team)
    client = signed_in(outsider)
    for method, path in pages(team, membership(member)):
        response = client.post(path, FORM) if method == "post" else client.get(path)
        assert response.status_code == 404, (method, path)
    assert state(team) == before
    assert signed_in(outsider).get("/organizations/999999/").status_code == 404


def test_a_platform_admin_sees_any_organization(team, admin):
    response = signed_in(admin).get(f"/organizations/{team.pk}/")

    assert response.status_code == 200
    assert response.context["viewer"].manages


def test_my_organizations_lists_mine_with_my_group_and_invitations_for_me(
    team, owner, member, outsider, django_assert_max_num_queries
):
    other = make_organization("Audio Lab", {outsider: "owner", member: "participant"})
    make_organization("Secret Lab", {outsider: "owner"})
    services.invite(organization=other, by=outsider, emails=["olga@example.org"], group="member")
    client = signed_in(member)

    with django_assert_max_num_queries(5):
        response = client.get("/organizations/")

    assert response.status_code == 200
    assert [
        (mine.organization.name, mine.group, mine.member_count) for mine in response.context["page"]
    ] == [("Audio Lab", "participant", 2), ("Vision Lab", "member", 4)]
    assert response.context["invited"] == []
    invited = signed_in(owner).get("/organizations/").context["invited"]
    assert [(i.organization.name, i.group, i.invited_by.username) for i in invited] == [
        ("Audio Lab", "member", "oscar")
    ]
    assert f'href="/organizations/invites/{invited[0].token}/"' in text(
        signed_in(owner).get("/organizations/")
    )


def test_someone_without_organizations_is_told_how_to_get_one(outsider):
    response = signed_in(outsider).get("/organizations/")

    assert "You belong to no organization yet." in text(response)


# Creating


def test_an_organization_is_created_with_its_creator_as_owner(outsider):
    client = signed_in(outsider)

    response = client.post(
        "/organizations/new/",
        {
            "name": "  Robot   Lab ",
            "description": "We build robots.",
            "website": "https://robots.example.org",
            "email": "lab@example.org",
        },
    )

    created = Organization.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/organizations/{created.pk}/")
    assert (created.name, created.description, created.website, created.email) == (
        "Robot Lab",
        "We build robots.",
        "https://robots.example.org",
        "lab@example.org",
    )
    assert groups(created) == {"oscar": "owner"}
    assert flashed(client, response["Location"]) == ["Robot Lab is created; you are its owner."]


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"name": "vision lab"}, {"name": ["An organization named 'vision lab' already exists."]}),
        ({"name": "   "}, {"name": ["This field is required."]}),
        (
            {"name": "Robot Lab", "website": "javascript:alert(1)"},
            {"website": ["Enter a valid URL."]},
        ),
        (
            {"name": "Robot Lab", "email": "not an address"},
            {"email": ["Enter a valid email address."]},
        ),
    ],
    ids=["name-taken-ignoring-case", "blank-name", "script-link", "bad-email"],
)
def test_a_refused_organization_is_not_created(team, outsider, fields, errors):
    before = state(team)

    response = signed_in(outsider).post("/organizations/new/", fields)

    assert (response.status_code, response.context["form"].errors) == (400, errors)
    assert state(team) == before


# An organization's page


@pytest.mark.parametrize(
    ("who", "manages", "owns"),
    [
        ("owner", True, True),
        ("manager", True, False),
        ("teammate", False, False),
        ("member", False, False),
    ],
)
def test_every_member_sees_the_members_and_their_groups(
    request, team, who, manages, owns, django_assert_max_num_queries
):
    services.invite(
        organization=team,
        by=request.getfixturevalue("owner"),
        emails=["ann@example.org"],
        group="member",
    )
    client = signed_in(request.getfixturevalue(who))

    with django_assert_max_num_queries(8):
        response = client.get(f"/organizations/{team.pk}/")

    assert response.status_code == 200
    viewer = response.context["viewer"]
    assert (viewer.manages, viewer.owns) == (manages, owns)
    assert [(m.user.username, m.group) for m in response.context["page"]] == list(TEAM.items())
    html = text(response)
    for username in TEAM:
        assert f'<a href="/users/{username}/">{username}</a>' in html
    assert ("ann@example.org" in html, "Send invitations" in html) == (manages, manages)
    assert (f"/organizations/{team.pk}/edit/" in html) == manages
    assert (f"/organizations/{team.pk}/delete/" in html) == owns
    assert f'href="/organizations/{team.pk}/leave/">Leave</a>' in html


def test_managers_are_offered_to_change_and_remove_only_those_they_may(team, owner, manager):
    as_manager = signed_in(manager).get(f"/organizations/{team.pk}/")
    as_owner = signed_in(owner).get(f"/organizations/{team.pk}/")

    assert [(m.user.username, m.may_change, m.may_remove) for m in as_manager.context["page"]] == [
        ("olga", False, False),
        ("manny", True, False),
        ("tess", True, True),
        ("mel", True, True),
    ]
    assert [value for value, _ in as_manager.context["groups"]] == [
        "manager",
        "participant",
        "member",
    ]
    assert [(m.user.username, m.may_change, m.may_remove) for m in as_owner.context["page"]] == [
        ("olga", True, False),
        ("manny", True, True),
        ("tess", True, True),
        ("mel", True, True),
    ]
    assert [value for value, _ in as_owner.context["groups"]] == [
        "owner",
        "manager",
        "participant",
        "member",
    ]


def test_the_members_list_pages(team, owner):
    for number in range(50):
        user = User.objects.create_user(f"extra{number:02}", f"extra{number:02}@example.org", "pw")
        Membership.objects.create(organization=team, user=user)

    first = signed_in(owner).get(f"/organizations/{team.pk}/")
    second = signed_in(owner).get(f"/organizations/{team.pk}/?page=2")

    assert [len(first.context["page"]), len(second.context["page"])] == [50, 4]
    assert [m.user.username for m in second.context["page"]][-1] == "mel"


# Editing


def test_a_manager_changes_the_details(team, manager):
    client = signed_in(manager)

    response = client.post(
        f"/organizations/{team.pk}/edit/",
        {"name": "Vision Lab II", "description": "New.", "website": "", "email": ""},
    )

    assert (response.status_code, response["Location"]) == (302, f"/organizations/{team.pk}/")
    team.refresh_from_db()
    assert (team.name, team.description) == ("Vision Lab II", "New.")


@pytest.mark.parametrize("who", ["teammate", "member"])
def test_participants_and_members_may_not_change_the_details(request, team, who):
    before = state(team)
    client = signed_in(request.getfixturevalue(who))

    shown = client.get(f"/organizations/{team.pk}/edit/")
    refused = client.post(f"/organizations/{team.pk}/edit/", {"name": "Hijacked"})

    assert (shown.status_code, refused.status_code) == (403, 403)
    assert "<form" not in text(shown).split("<main", 1)[1]
    assert "Only the owners and managers of Vision Lab may change its details." in text(shown)
    assert "Only the owners and managers of Vision Lab may do this." in text(refused)
    assert state(team) == before


def test_a_name_taken_by_another_organization_is_refused(team, manager, outsider):
    make_organization("Audio Lab", {outsider: "owner"})
    before = state(team)

    response = signed_in(manager).post(f"/organizations/{team.pk}/edit/", {"name": "AUDIO LAB"})

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "name": ["An organization named 'AUDIO LAB' already exists."]
    }
    assert "<h1>Edit Vision Lab</h1>" in text(response)
    assert state(team) == before


# Inviting


def test_a_manager_invites_by_email_and_the_invitation_is_mailed(team, manager):
    client = signed_in(manager)

    response = client.post(
        f"/organizations/{team.pk}/invite/",
        {"emails": "ann@example.org, ben@example.org\ncat@example.org", "group": "participant"},
    )

    assert (response.status_code, response["Location"]) == (
        302,
        f"/organizations/{team.pk}/#invites",
    )
    assert list(Invite.objects.order_by("email").values_list("email", "group")) == [
        ("ann@example.org", "participant"),
        ("ben@example.org", "participant"),
        ("cat@example.org", "participant"),
    ]
    assert sorted(
        Message.objects.filter(category=Category.INVITATION).values_list("to", flat=True)
    ) == ["ann@example.org", "ben@example.org", "cat@example.org"]
    assert flashed(client, f"/organizations/{team.pk}/") == [
        "Invitation emailed to ann@example.org, ben@example.org, cat@example.org."
    ]


@pytest.mark.parametrize(
    ("who", "form", "status", "message"),
    [
        (
            "manager",
            {"emails": "ann@example.org", "group": "owner"},
            403,
            "No invitation was sent: only owners may invite owners.",
        ),
        (
            "member",
            {"emails": "ann@example.org", "group": "member"},
            403,
            "No invitation was sent: only the owners and managers of Vision Lab may do this.",
        ),
        (
            "teammate",
            {"emails": "ann@example.org", "group": "member"},
            403,
            "No invitation was sent: only the owners and managers of Vision Lab may do this.",
        ),
        (
            "owner",
            {"emails": "ann@example.org mel@example.org", "group": "member"},
            400,
            "No invitation was sent: already members of Vision Lab: mel@example.org.",
        ),
    ],
    ids=["manager-invites-owner", "member", "participant", "already-a-member"],
)
def test_a_refused_invitation_sends_nothing(request, team, who, form, status, message):
    before = state(team)

    response = signed_in(request.getfixturevalue(who)).post(
        f"/organizations/{team.pk}/invite/", form
    )

    assert (response.status_code, response.context["error"]) == (status, message)
    assert message in text(response)
    assert state(team) == before


def test_invalid_addresses_are_named(team, owner):
    before = state(team)

    response = signed_in(owner).post(
        f"/organizations/{team.pk}/invite/", {"emails": "ann@example.org, nope", "group": "member"}
    )

    assert response.status_code == 400
    assert response.context["invite_form"].errors == {"emails": ["Not email addresses: nope."]}
    assert state(team) == before


def test_an_accepted_invitation_leads_to_the_organization(team, owner, outsider):
    (sent,) = services.invite(
        organization=team, by=owner, emails=["oscar@example.org"], group="participant"
    )
    client = signed_in(outsider)

    response = client.post(f"/organizations/invites/{sent.token}/", {"answer": "accept"})

    assert response.status_code == 200
    assert f'<a href="/organizations/{team.pk}/">Go to Vision Lab</a>' in text(response)
    assert groups(team)["oscar"] == "participant"
    assert client.get(f"/organizations/{team.pk}/").status_code == 200


# Changing a member's group


@pytest.mark.parametrize(
    ("who", "target", "group", "status", "message"),
    [
        ("owner", "manager", "owner", 302, "manny is now owner."),
        (
            "owner",
            "owner",
            "member",
            409,
            "No group was changed: olga is the last owner of "
            "Vision Lab; make another member an owner first.",
        ),
        ("manager", "member", "participant", 302, "mel is now participant."),
        (
            "manager",
            "member",
            "owner",
            403,
            "No group was changed: only owners may make an owner or change an owner's group.",
        ),
        (
            "manager",
            "owner",
            "member",
            403,
            "No group was changed: only owners may make an owner or change an owner's group.",
        ),
        (
            "teammate",
            "member",
            "participant",
            403,
            "No group was changed: only the owners and managers of Vision Lab may do this.",
        ),
        (
            "member",
            "member",
            "manager",
            403,
            "No group was changed: only the owners and managers of Vision Lab may do this.",
        ),
    ],
)
def test_who_may_change_a_members_group(request, team, who, target, group, status, message):
    before = groups(team)
    moved = request.getfixturevalue(target)
    client = signed_in(request.getfixturevalue(who))

    response = client.post(
        f"/organizations/{team.pk}/members/{membership(moved).pk}/group/", {"group": group}
    )

    assert response.status_code == status
    if status == 302:
        assert groups(team) == {**before, moved.username: group}
        assert flashed(client, f"/organizations/{team.pk}/") == [message]
    else:
        assert response.context["error"] == message
        assert groups(team) == before


def test_an_unknown_group_or_member_changes_nothing(team, owner, outsider):
    other = make_organization("Audio Lab", {outsider: "owner"})
    before = groups(team)
    client = signed_in(owner)

    bad_group = client.post(
        f"/organizations/{team.pk}/members/{membership(owner).pk}/group/", {"group": "king"}
    )
    elsewhere = client.post(
        f"/organizations/{team.pk}/members/{membership(outsider).pk}/group/", {"group": "member"}
    )

    assert (bad_group.status_code, bad_group.context["error"]) == (400, "Choose a group.")
    assert (elsewhere.status_code, elsewhere.context["error"]) == (
        404,
        f"No group was changed: member {membership(outsider).pk} is not a member of Vision Lab.",
    )
    assert (groups(team), groups(other)) == (before, {"oscar": "owner"})


# Removing members, leaving


def test_removing_a_member_asks_first_then_removes(team, manager, member):
    client = signed_in(manager)
    path = f"/organizations/{team.pk}/members/{membership(member).pk}/remove/"

    asked = client.get(path)

    assert asked.status_code == 200
    assert "<strong>Remove mel (member) from Vision Lab?</strong>" in text(asked)
    assert "mel" in groups(team)

    done = client.post(path)

    assert (done.status_code, done["Location"]) == (302, f"/organizations/{team.pk}/")
    assert "mel" not in groups(team)
    assert flashed(client, f"/organizations/{team.pk}/") == ["mel is removed from Vision Lab."]


@pytest.mark.parametrize(
    ("who", "target", "message"),
    [
        ("manager", "owner", "Not removed: only owners may remove an owner."),
        (
            "member",
            "teammate",
            "Not removed: only the owners and managers of Vision Lab may do this.",
        ),
        (
            "teammate",
            "member",
            "Not removed: only the owners and managers of Vision Lab may do this.",
        ),
    ],
)
def test_who_may_not_remove_whom(request, team, who, target, message):
    before = state(team)
    client = signed_in(request.getfixturevalue(who))
    path = (
        f"/organizations/{team.pk}/members/{membership(request.getfixturevalue(target)).pk}/remove/"
    )

    asked = client.get(path)
    refused = client.post(path)

    assert asked.status_code == 403
    assert "<button" not in text(asked).split("<main", 1)[1]
    assert (refused.status_code, refused.context["error"]) == (403, message)
    assert state(team) == before


def test_removing_oneself_is_leaving(team, manager):
    response = signed_in(manager).post(
        f"/organizations/{team.pk}/members/{membership(manager).pk}/remove/"
    )

    assert (response.status_code, response["Location"]) == (302, f"/organizations/{team.pk}/leave/")
    assert "manny" in groups(team)


@pytest.mark.parametrize("who", ["manager", "teammate", "member"])
def test_a_member_leaves(request, team, who):
    leaving = request.getfixturevalue(who)
    client = signed_in(leaving)

    asked = client.get(f"/organizations/{team.pk}/leave/")
    done = client.post(f"/organizations/{team.pk}/leave/")

    assert asked.status_code == 200
    assert (done.status_code, done["Location"]) == (302, "/organizations/")
    assert leaving.username not in groups(team)
    assert client.get(f"/organizations/{team.pk}/").status_code == 404


def test_the_last_owner_may_not_leave(team, owner):
    before = state(team)

    response = signed_in(owner).post(f"/organizations/{team.pk}/leave/")

    assert response.status_code == 409
    assert response.context["error"] == (
        "You did not leave: olga is the last owner of Vision Lab; make another member an "
        "owner first, or delete the organization."
    )
    assert state(team) == before


# Deleting


def test_an_owner_deletes_the_organization_after_confirming(team, owner):
    client = signed_in(owner)

    asked = client.get(f"/organizations/{team.pk}/delete/")
    done = client.post(f"/organizations/{team.pk}/delete/")

    assert asked.status_code == 200
    assert '<button type="submit" class="danger">Delete the organization</button>' in text(asked)
    assert (done.status_code, done["Location"]) == (302, "/organizations/")
    assert (Organization.objects.count(), Membership.objects.count()) == (0, 0)
    assert flashed(client, "/organizations/") == ["Vision Lab is deleted."]


@pytest.mark.parametrize("who", ["manager", "teammate", "member"])
def test_only_owners_delete_it(request, team, who):
    before = state(team)
    client = signed_in(request.getfixturevalue(who))

    asked = client.get(f"/organizations/{team.pk}/delete/")
    refused = client.post(f"/organizations/{team.pk}/delete/")

    assert asked.status_code == 403
    assert "Delete the organization</button>" not in text(asked)
    assert (refused.status_code, refused.context["error"]) == (
        403,
        "Not deleted: only the owners of Vision Lab may delete it.",
    )
    assert state(team) == before


def test_an_organization_with_ranked_results_is_not_deleted(
    team, owner, teammate, competition, organizer
):
    participant = make_participant(user=teammate, competition=competition)
    participant.organization = team
    participant.save()
    phase = make_phase(competition=competition, tasks=[make_task(owner=organizer)])
    submission = start_submission(
        owner=teammate,
        participant=participant,
        phase=phase,
        tasks=list(phase.tasks.all()),
        data=make_data(owner=teammate, kind=Data.Kind.SUBMISSION),
        organization=team,
        publish=False,
    )
    submission.leaderboard = make_leaderboard(competition=competition)
    submission.save()
    before = state(team)

    response = signed_in(owner).post(f"/organizations/{team.pk}/delete/")

    assert response.status_code == 409
    assert (
        "Not deleted: Vision Lab has entries on the leaderboards of &#x27;Published&#x27;"
        in text(response)
    )
    assert state(team) == before
