"""Keys that let an external system read one competition's applicants and their answers."""

from __future__ import annotations

import hashlib

import pytest
from rest_framework.test import APIClient

from podium.audit.models import AuditEntry
from podium.participation import services
from podium.participation.models import ApplicantsKey
from tests.factories import make_competition, make_participant, make_user

pytestmark = pytest.mark.django_db


def with_key(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Key {secret}")
    return client


@pytest.fixture
def key(api, competition, organizer):
    response = api(organizer).post(
        f"/api/competitions/{competition.pk}/applicants_keys/",
        {"name": "EUA checker"},
        format="json",
    )
    assert response.status_code == 201
    return response.json()


def test_a_key_is_shown_once_and_stored_hashed(api, key, competition, organizer):
    stored = ApplicantsKey.objects.get()

    assert key["key"].startswith("pdk_")
    assert len(key["key"]) == 47
    assert (key["name"], key["prefix"], key["created_by"], key["revoked_at"]) == (
        "EUA checker",
        key["key"][:12],
        "olivia",
        None,
    )
    assert stored.digest == hashlib.sha256(key["key"].encode()).hexdigest()
    assert key["key"] not in str(list(ApplicantsKey.objects.values()))
    listed = api(organizer).get(f"/api/competitions/{competition.pk}/applicants_keys/").json()
    assert [(row["id"], row["prefix"]) for row in listed] == [(key["id"], key["prefix"])]
    assert "key" not in listed[0]
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.details) == (
        "applicants_key.create",
        organizer,
        {"name": "EUA checker", "prefix": key["prefix"]},
    )


def test_a_key_reads_its_competitions_applicants_with_their_answers(
    key, competition, participant, pending, outsider
):
    services.apply(user=outsider, competition=competition, accept_terms=True, answers={})
    elsewhere = make_competition(owner=make_user("zoe"), title="Elsewhere")
    make_participant(user=make_user("yann"), competition=elsewhere)

    everyone = with_key(key["key"]).get(f"/api/competitions/{competition.pk}/applicants/")
    waiting = with_key(key["key"]).get(
        f"/api/competitions/{competition.pk}/applicants/?status=pending"
    )

    assert everyone.status_code == 200
    assert [(row["user"], row["email"], row["status"]) for row in everyone.json()["results"]] == [
        ("petra", "petra@example.org", "approved"),
        ("penny", "penny@example.org", "pending"),
        ("oscar", "oscar@example.org", "pending"),
    ]
    assert [row["user"] for row in waiting.json()["results"]] == ["penny", "oscar"]
    assert ApplicantsKey.objects.get().last_used_at is not None


def test_a_key_reads_nothing_of_another_competition_nor_anything_else(
    key, organizer, competition, draft, participant
):
    client = with_key(key["key"])

    other = client.get(f"/api/competitions/{draft.pk}/applicants/")
    participants = client.get("/api/participants/")
    keys = client.get(f"/api/competitions/{competition.pk}/applicants_keys/")

    assert (other.status_code, other.json()) == (
        404,
        {"detail": "this key reads another competition's applicants"},
    )
    assert participants.json()["count"] == 0  # the key signs nobody in elsewhere
    assert keys.status_code == 401


def test_a_revoked_or_unknown_key_is_refused(api, key, competition, organizer):
    revoked = api(organizer).delete(
        f"/api/competitions/{competition.pk}/applicants_keys/{key['id']}/"
    )
    again = api(organizer).delete(
        f"/api/competitions/{competition.pk}/applicants_keys/{key['id']}/"
    )

    refused = with_key(key["key"]).get(f"/api/competitions/{competition.pk}/applicants/")
    unknown = with_key("pdk_made-up").get(f"/api/competitions/{competition.pk}/applicants/")
    malformed = APIClient().get(
        f"/api/competitions/{competition.pk}/applicants/", HTTP_AUTHORIZATION="Key"
    )

    assert (revoked.status_code, again.status_code) == (204, 204)
    assert (refused.status_code, refused.json()) == (
        401,
        {"detail": "This key is unknown or revoked."},
    )
    assert refused["WWW-Authenticate"] == 'Key realm="api"'
    assert unknown.status_code == 401
    assert (malformed.status_code, malformed.json()) == (
        401,
        {"detail": "Send the header as: Authorization: Key <key>"},
    )
    assert ApplicantsKey.objects.get().revoked_by == organizer
    assert list(AuditEntry.objects.order_by("pk").values_list("action", flat=True)) == [
        "applicants_key.create",
        "applicants_key.revoke",
    ]


def test_a_key_of_another_competition_cannot_be_revoked_through_this_one(
    api, key, organizer, draft, competition
):
    response = api(organizer).delete(f"/api/competitions/{draft.pk}/applicants_keys/{key['id']}/")

    assert (response.status_code, response.json()) == (
        404,
        {"detail": "this competition has no such key"},
    )
    assert ApplicantsKey.objects.get().revoked_at is None


def test_organizers_read_the_applicants_signed_in_and_others_may_not(
    api, competition, collaborator, participant
):
    mine = api(collaborator).get(f"/api/competitions/{competition.pk}/applicants/")
    theirs = api(participant).get(f"/api/competitions/{competition.pk}/applicants/")
    anonymous = api(None).get(f"/api/competitions/{competition.pk}/applicants/")

    assert [row["user"] for row in mine.json()["results"]] == ["petra"]
    assert theirs.status_code == 403
    assert (anonymous.status_code, anonymous["WWW-Authenticate"]) == (401, 'Key realm="api"')
