"""Member groups and removing members: who may, the last owner, and the audit trail."""

from __future__ import annotations

import pytest

from podium.audit.models import AuditEntry
from podium.organizations.models import Membership
from tests.organizations.conftest import groups

pytestmark = pytest.mark.django_db


def regroup(api, by, organization, group, **who):
    return api(by).post(
        f"/api/organizations/{organization.pk}/update_member_group/",
        {**who, "group": group},
        format="json",
    )


def remove(api, by, organization, *, body=None, **query):
    path = f"/api/organizations/{organization.pk}/delete_member/"
    if body is not None:
        return api(by).delete(path, body, format="json")
    return api(by).delete(path + ("?" + "&".join(f"{k}={v}" for k, v in query.items())))


def trail():
    return list(
        AuditEntry.objects.order_by("pk").values_list(
            "actor_name", "action", "target_type", "details"
        )
    )


def test_a_manager_moves_a_member_by_username_or_membership_id(api, team, manager, member):
    by_name = regroup(api, manager, team, "participant", username="mel")
    mel = Membership.objects.get(user=member)
    by_id = regroup(api, manager, team, "manager", member=mel.pk)

    assert by_name.status_code == 200, by_name.content
    assert by_name.json() | {"joined_at": None} == {
        "id": mel.pk,
        "user": "mel",
        "group": "participant",
        "joined_at": None,
    }
    assert by_id.json()["group"] == "manager"
    assert groups(team)["mel"] == "manager"
    assert trail() == [
        (
            "manny",
            "organization.member_group",
            "organization",
            {"user": "mel", "from": "member", "to": "participant"},
        ),
        (
            "manny",
            "organization.member_group",
            "organization",
            {"user": "mel", "from": "participant", "to": "manager"},
        ),
    ]


def test_the_same_group_again_changes_and_records_nothing(api, team, owner):
    response = regroup(api, owner, team, "member", username="mel")

    assert response.status_code == 200
    assert trail() == []


def test_managers_cannot_make_owners_nor_change_an_owners_group(api, team, manager):
    promote = regroup(api, manager, team, "owner", username="mel")
    itself = regroup(api, manager, team, "owner", username="manny")
    demote = regroup(api, manager, team, "member", username="olga")

    for response in (promote, itself, demote):
        assert response.status_code == 403
        assert response.json() == {
            "detail": "only owners may make an owner or change an owner's group"
        }
    assert groups(team) == {
        "olga": "owner",
        "manny": "manager",
        "tess": "participant",
        "mel": "member",
    }
    assert trail() == []


def test_the_last_owner_cannot_be_demoted_until_another_owner_exists(api, team, owner):
    refused = regroup(api, owner, team, "manager", username="olga")

    assert refused.status_code == 409
    assert refused.json() == {
        "detail": "olga is the last owner of Vision Lab; make another member an owner first"
    }
    assert regroup(api, owner, team, "owner", username="manny").status_code == 200
    assert regroup(api, owner, team, "member", username="olga").status_code == 200
    assert groups(team) == {
        "olga": "member",
        "manny": "owner",
        "tess": "participant",
        "mel": "member",
    }


def test_a_member_is_named_exactly_once(api, team, owner):
    neither = regroup(api, owner, team, "member")
    both = regroup(api, owner, team, "member", username="mel", member=1)
    unknown = regroup(api, owner, team, "member", username="nobody")
    bad_group = regroup(api, owner, team, "admin", username="mel")

    assert neither.json() == {"non_field_errors": ["name the member by `member` or by `username`"]}
    assert both.status_code == 400
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": "'nobody' is not a member of Vision Lab"}
    assert bad_group.json() == {"group": ['"admin" is not a valid choice.']}


def test_another_organizations_membership_id_is_not_found(api, team, owner, outsider):
    other = Membership.objects.create(
        organization=team.__class__.objects.create(name="Other", created_by=outsider),
        user=outsider,
        group="owner",
    )

    response = regroup(api, owner, team, "member", member=other.pk)

    assert response.status_code == 404
    assert response.json() == {"detail": f"member {other.pk} is not a member of Vision Lab"}


def test_a_non_member_learns_nothing_about_who_is_a_member(api, team, outsider):
    known = remove(api, outsider, team, username="mel")
    unknown = remove(api, outsider, team, username="nobody")

    assert (known.status_code, unknown.status_code) == (403, 403)
    assert (
        known.json() == unknown.json() == {"detail": "only the members of Vision Lab may do this"}
    )


def test_members_are_removed_by_query_string_or_by_json_body(api, team, manager, member):
    mel = Membership.objects.get(user=member)

    by_query = remove(api, manager, team, member=mel.pk)
    by_body = remove(api, manager, team, body={"username": "tess"})

    assert (by_query.status_code, by_body.status_code) == (204, 204)
    assert groups(team) == {"olga": "owner", "manny": "manager"}
    assert trail() == [
        (
            "manny",
            "organization.member_remove",
            "organization",
            {"user": "mel", "group": "member", "left": False},
        ),
        (
            "manny",
            "organization.member_remove",
            "organization",
            {"user": "tess", "group": "participant", "left": False},
        ),
    ]


def test_any_member_may_leave(api, team, member):
    response = remove(api, member, team, username="mel")

    assert response.status_code == 204
    assert "mel" not in groups(team)
    assert trail() == [
        (
            "mel",
            "organization.member_remove",
            "organization",
            {"user": "mel", "group": "member", "left": True},
        )
    ]


def test_participants_and_members_cannot_remove_others(api, team, teammate, member):
    for user, other in ((teammate, "mel"), (member, "tess")):
        response = remove(api, user, team, username=other)

        assert response.status_code == 403
        assert response.json() == {
            "detail": "only the owners and managers of Vision Lab may do this"
        }
    assert len(groups(team)) == 4


def test_only_owners_remove_owners_and_the_last_owner_stays(api, team, owner, manager):
    by_manager = remove(api, manager, team, username="olga")
    leaving = remove(api, owner, team, username="olga")

    assert by_manager.status_code == 403
    assert by_manager.json() == {"detail": "only owners may remove an owner"}
    assert leaving.status_code == 409
    assert leaving.json() == {
        "detail": "olga is the last owner of Vision Lab; make another member an owner first, "
        "or delete the organization"
    }
    regroup(api, owner, team, "owner", username="manny")
    assert remove(api, owner, team, username="olga").status_code == 204
    assert groups(team) == {"manny": "owner", "tess": "participant", "mel": "member"}
