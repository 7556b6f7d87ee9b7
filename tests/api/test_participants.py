import pytest

from podium.participation.models import Participant
from tests.factories import make_competition, make_participant, make_user

pytestmark = pytest.mark.django_db


def registration_of(user):
    return Participant.objects.get(user=user)


def test_an_organizer_approves_a_pending_registration(api, collaborator, pending):
    registration = registration_of(pending)

    response = api(collaborator).post(f"/api/participants/{registration.pk}/approve/")

    assert response.status_code == 200
    registration.refresh_from_db()
    body = response.json()
    assert (body["status"], body["reason"], body["decided_by"], body["user"]) == (
        "approved",
        "",
        "colin",
        "penny",
    )
    assert (registration.status, registration.decided_by) == ("approved", collaborator)
    assert registration.decided_at is not None


def test_an_organizer_denies_with_a_reason_the_participant_reads(api, organizer, pending):
    registration = registration_of(pending)

    api(organizer).post(
        f"/api/participants/{registration.pk}/deny/",
        {"reason": "  Use your university address "},
        format="json",
    )
    seen = api(pending).get(f"/api/participants/{registration.pk}/").json()

    assert (seen["status"], seen["reason"], seen["decided_by"]) == (
        "denied",
        "Use your university address",
        "olivia",
    )


@pytest.mark.parametrize(
    ("body", "error"),
    [({}, "This field is required."), ({"reason": "   "}, "This field may not be blank.")],
)
def test_denying_without_a_reason_is_refused(api, organizer, pending, body, error):
    registration = registration_of(pending)

    response = api(organizer).post(
        f"/api/participants/{registration.pk}/deny/", body, format="json"
    )

    assert (response.status_code, response.json()) == (400, {"reason": [error]})
    registration.refresh_from_db()
    assert (registration.status, registration.decided_by) == ("pending", None)


def test_an_organizer_revokes_an_approved_participant(api, organizer, participant):
    registration = registration_of(participant)

    response = api(organizer).post(
        f"/api/participants/{registration.pk}/revoke/", {"reason": "Shared accounts"}
    )

    assert response.status_code == 200
    registration.refresh_from_db()
    assert (registration.status, registration.reason) == ("revoked", "Shared accounts")


def test_a_decision_the_state_does_not_allow_is_refused_with_its_reason(
    api, organizer, pending, participant
):
    revoke = api(organizer).post(
        f"/api/participants/{registration_of(pending).pk}/revoke/", {"reason": "No"}
    )
    deny = api(organizer).post(
        f"/api/participants/{registration_of(participant).pk}/deny/", {"reason": "No"}
    )

    assert (revoke.status_code, revoke.json()) == (
        400,
        {"detail": "only an approved participant can be revoked; this one is pending"},
    )
    assert (deny.status_code, deny.json()) == (
        400,
        {
            "detail": "only a pending registration can be denied; this one is approved "
            "(revoke an approved participant instead)"
        },
    )
    assert sorted(Participant.objects.values_list("status", flat=True)) == ["approved", "pending"]


def test_a_participant_cannot_decide_on_their_own_registration(api, pending):
    registration = registration_of(pending)

    response = api(pending).post(f"/api/participants/{registration.pk}/approve/")

    assert (response.status_code, response.json()) == (
        403,
        {"detail": "only the organizers of this competition decide registrations"},
    )
    registration.refresh_from_db()
    assert registration.status == "pending"


def test_the_list_filters_by_competition_and_status(
    api, competition, organizer, participant, pending
):
    other = make_competition(owner=organizer, title="Other")
    elsewhere = make_participant(user=make_user("quinn"), competition=other, status="pending")
    client = api(organizer)

    def users(query):
        return [row["user"] for row in client.get(f"/api/participants/{query}").json()["results"]]

    assert users("") == ["petra", "penny", "quinn"]
    assert users(f"?competition={competition.pk}") == ["petra", "penny"]
    assert users("?status=pending") == ["penny", "quinn"]
    assert users(f"?competition={other.pk}&status=pending") == ["quinn"]
    assert client.get(f"/api/participants/{elsewhere.pk}/").json()["competition"] == other.pk
    assert client.get("/api/participants/?status=maybe").json() == {
        "status": ['"maybe" is not a valid choice.']
    }


def test_a_participant_sees_only_their_own_registrations(api, participant, pending, outsider):
    assert [
        row["user"] for row in api(participant).get("/api/participants/").json()["results"]
    ] == ["petra"]
    assert api(outsider).get("/api/participants/").json()["count"] == 0
    assert api(None).get("/api/participants/").json()["count"] == 0
