"""Creating, reading and changing organizations: what members and others see."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from podium.organizations.models import Invite, Membership, Organization
from tests.organizations.conftest import groups, make_organization

pytestmark = pytest.mark.django_db

PUBLIC = {"id", "name", "description", "website", "created_at", "member_count"}


def test_the_creator_becomes_its_owner(api, outsider):
    response = api(outsider).post(
        "/api/organizations/",
        {"name": "  Deep   Vision ", "description": "A lab.", "website": "https://lab.example"},
        format="json",
    )

    assert response.status_code == 201, response.content
    organization = Organization.objects.get()
    assert (organization.name, organization.created_by) == ("Deep Vision", outsider)
    assert groups(organization) == {"oscar": "owner"}
    body = response.json()
    assert (body["name"], body["my_group"], body["member_count"]) == ("Deep Vision", "owner", 1)
    assert [(row["user"], row["group"]) for row in body["members"]] == [("oscar", "owner")]
    assert body["invites"] == []


def test_a_name_is_unique_ignoring_case(api, outsider, team):
    response = api(outsider).post("/api/organizations/", {"name": "VISION LAB"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"name": ["an organization named 'VISION LAB' already exists"]}
    assert Organization.objects.count() == 1


def test_only_web_addresses_are_accepted_as_a_website(api, outsider):
    response = api(outsider).post(
        "/api/organizations/",
        {"name": "Lab", "website": "javascript:alert(1)"},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["website"]
    assert Organization.objects.count() == 0


def test_others_see_the_public_fields_only(api, outsider, team):
    team.email = "contact@lab.example"
    team.save()

    for user in (None, outsider):
        body = api(user).get(f"/api/organizations/{team.pk}/").json()

        assert body["name"] == "Vision Lab"
        assert body["member_count"] == 4
        assert (body["my_group"], body["email"], body["members"], body["invites"]) == (
            None,
            None,
            None,
            None,
        )


def test_members_see_the_members_and_managers_also_the_open_invitations(
    api, team, owner, member, admin
):
    team.email = "contact@lab.example"
    team.save()
    Invite.objects.create(organization=team, email="new@example.org", invited_by=owner)
    answered = Invite.objects.create(organization=team, email="old@example.org", invited_by=owner)
    answered.declined_at = answered.created_at
    answered.save()

    seen = {
        user.username: api(user).get(f"/api/organizations/{team.pk}/").json()
        for user in (owner, member, admin)
    }

    assert [(row["user"], row["group"]) for row in seen["mel"]["members"]] == [
        ("olga", "owner"),
        ("manny", "manager"),
        ("tess", "participant"),
        ("mel", "member"),
    ]
    assert (seen["mel"]["my_group"], seen["mel"]["email"], seen["mel"]["invites"]) == (
        "member",
        "contact@lab.example",
        None,
    )
    for name in ("olga", "ada"):
        invites = seen[name]["invites"]
        assert [(row["email"], row["status"], row["invited_by"]) for row in invites] == [
            ("new@example.org", "open", "olga")
        ]
        assert "token" not in invites[0]
    assert seen["ada"]["my_group"] is None


def test_the_list_is_sorted_by_name_and_mine_keeps_the_callers_own(api, team, member, outsider):
    make_organization("Audio Lab", {outsider: Membership.Group.OWNER})

    everyone = api(None).get("/api/organizations/").json()
    mine = api(member).get("/api/organizations/", {"mine": "true"}).json()

    assert [row["name"] for row in everyone["results"]] == ["Audio Lab", "Vision Lab"]
    assert all(set(PUBLIC) <= set(row) for row in everyone["results"])
    assert [(row["name"], row["my_group"]) for row in mine["results"]] == [("Vision Lab", "member")]
    assert api(None).get("/api/organizations/", {"mine": "true"}).json()["count"] == 0


def test_owners_and_managers_change_the_details(api, team, manager):
    response = api(manager).patch(
        f"/api/organizations/{team.pk}/", {"description": "Seeing things."}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["description"] == "Seeing things."

    response = api(manager).put(
        f"/api/organizations/{team.pk}/",
        {"name": "Vision Group", "website": "https://vision.example", "email": "v@example.org"},
        format="json",
    )
    assert response.status_code == 200, response.content
    team.refresh_from_db()
    assert (team.name, team.description, team.website, team.email) == (
        "Vision Group",
        "Seeing things.",
        "https://vision.example",
        "v@example.org",
    )


def test_a_full_update_needs_the_name(api, team, owner):
    response = api(owner).put(f"/api/organizations/{team.pk}/", {"description": "x"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"name": ["This field is required."]}


def test_renaming_to_another_organizations_name_is_refused(api, team, owner, outsider):
    make_organization("Audio Lab", {outsider: Membership.Group.OWNER})

    response = api(owner).patch(
        f"/api/organizations/{team.pk}/", {"name": "audio lab"}, format="json"
    )
    same = api(owner).patch(f"/api/organizations/{team.pk}/", {"name": "VISION lab"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"name": ["an organization named 'audio lab' already exists"]}
    assert same.status_code == 200
    assert Organization.objects.get(pk=team.pk).name == "VISION lab"


def test_participants_and_members_may_not_change_the_details(api, team, teammate, member):
    for user in (teammate, member):
        response = api(user).patch(
            f"/api/organizations/{team.pk}/", {"name": "Mine now"}, format="json"
        )

        assert response.status_code == 403
        assert response.json() == {
            "detail": "only the owners and managers of Vision Lab may do this"
        }
    assert Organization.objects.get(pk=team.pk).name == "Vision Lab"


def test_a_page_costs_the_same_queries_however_many_organizations_it_lists(api, team, owner):
    def count():
        with CaptureQueriesContext(connection) as captured:
            assert api(owner).get("/api/organizations/").status_code == 200
        return len(captured)

    one = count()
    for number in range(5):
        lab = make_organization(f"Lab {number}", {owner: Membership.Group.OWNER})
        Invite.objects.create(organization=lab, email="x@example.org", invited_by=owner)

    assert count() == one
