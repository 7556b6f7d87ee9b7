"""The seed's participant endpoints: register or add, decide or correct, remove or
withdraw; and the registration form and allow-list under the competition."""

from __future__ import annotations

import pytest

from podium.audit.models import AuditEntry
from podium.participation import rules
from podium.participation.models import Participant
from tests.factories import make_user
from tests.participation.conftest import TERMS, set_addresses

pytestmark = pytest.mark.django_db

ANSWERS = {"affiliation": "CNRS", "track": "medical", "eua": True}


def test_a_user_registers_with_the_terms_and_the_form(api, with_form, outsider, sent):
    response = api(outsider).post(
        "/api/participants/",
        {"competition": with_form.pk, "accept_terms": True, "answers": ANSWERS},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["user"], body["email"], body["status"], body["answers"]) == (
        "oscar",
        "oscar@example.org",
        "pending",
        ANSWERS,
    )
    assert body["terms_sha256"] == rules.terms_sha256(TERMS)
    assert [(row["number"], row["status"]) for row in body["applications"]] == [(1, "pending")]
    again = api(outsider).post(
        "/api/participants/",
        {"competition": with_form.pk, "accept_terms": True, "answers": ANSWERS},
        format="json",
    )
    assert (again.status_code, again.json()["id"]) == (200, body["id"])
    assert sent() == [
        ("oscar@example.org", "Your registration for Published is waiting for the organizers")
    ]


def test_registering_names_each_problem_with_its_field(api, with_form, outsider, draft):
    client = api(outsider)

    no_terms = client.post(
        "/api/participants/", {"competition": with_form.pk, "answers": ANSWERS}, format="json"
    )
    bad_answers = client.post(
        "/api/participants/",
        {"competition": with_form.pk, "accept_terms": True, "answers": {"track": "x"}},
        format="json",
    )
    hidden = client.post("/api/participants/", {"competition": draft.pk}, format="json")

    assert (no_terms.status_code, no_terms.json()) == (
        400,
        {
            "accept_terms": [
                "this competition has terms: read them and accept them (accept_terms: true)"
            ]
        },
    )
    assert (bad_answers.status_code, bad_answers.json()) == (
        400,
        {
            "answers": {
                "affiliation": ["This question is required."],
                "track": ["'x' is not one of: medical, caption."],
            }
        },
    )
    assert (hidden.status_code, hidden.json()) == (
        400,
        {"competition": [f'Invalid pk "{draft.pk}" - object does not exist.']},
    )
    assert Participant.objects.filter(user=outsider).count() == 0


def test_the_registration_form_is_read_by_anyone_and_replaced_by_organizers(
    api, with_form, organizer, outsider
):
    read = api(None).get(f"/api/competitions/{with_form.pk}/registration_form/")
    assert read.status_code == 200
    assert read.json()["terms_sha256"] == rules.terms_sha256(TERMS)
    assert read.json()["auto_approve"] is False
    assert read.json()["questions"][1] == {
        "key": "track",
        "label": "Track",
        "kind": "single_choice",
        "required": True,
        "choices": ["medical", "caption"],
        "help_text": "",
    }

    questions = [
        {"key": "team", "label": "Team name", "kind": "text", "required": True},
        {"key": "tasks", "label": "Tasks", "kind": "multiple_choice", "choices": ["a", "b"]},
    ]
    replaced = api(organizer).put(
        f"/api/competitions/{with_form.pk}/registration_form/",
        {"questions": questions},
        format="json",
    )
    refused = api(outsider).put(
        f"/api/competitions/{with_form.pk}/registration_form/", {"questions": []}, format="json"
    )

    assert replaced.status_code == 200
    assert [row["key"] for row in replaced.json()["questions"]] == ["team", "tasks"]
    assert replaced.json()["questions"][0]["choices"] == []
    assert (refused.status_code, refused.json()) == (
        403,
        {"detail": "only the organizers of this competition may do this"},
    )


def test_an_invalid_form_is_refused_question_by_question(api, with_form, organizer):
    response = api(organizer).put(
        f"/api/competitions/{with_form.pk}/registration_form/",
        {
            "questions": [
                {"key": "ok", "label": "OK", "kind": "checkbox"},
                {"key": "Bad Key", "label": "X", "kind": "text"},
                {"key": "pick", "label": "Pick", "kind": "single_choice"},
            ]
        },
        format="json",
    )

    assert (response.status_code, response.json()) == (
        400,
        {
            "questions": [
                {},
                {
                    "key": [
                        "Use lowercase letters, digits and underscores, starting with a letter "
                        "(at most 50 characters)."
                    ]
                },
                {"choices": ["A choice question needs at least one choice."]},
            ]
        },
    )
    assert [row.key for row in with_form.registration_questions.order_by("index")] == [
        "affiliation",
        "track",
        "eua",
    ]


def test_organizers_keep_an_allow_list_that_approves_at_once(api, with_form, organizer, outsider):
    client = api(organizer)
    put = client.put(
        f"/api/competitions/{with_form.pk}/allow_list/",
        {"entries": ["@Example.org", "Ada@uni.edu"]},
        format="json",
    )
    bad = client.put(
        f"/api/competitions/{with_form.pk}/allow_list/",
        {"entries": ["ok.org", "not a domain"]},
        format="json",
    )
    set_addresses(outsider, verified=["oscar@example.org"])
    registered = api(outsider).post(
        "/api/participants/",
        {"competition": with_form.pk, "accept_terms": True, "answers": ANSWERS},
        format="json",
    )

    assert (put.status_code, put.json()) == (200, {"entries": ["ada@uni.edu", "example.org"]})
    assert (bad.status_code, bad.json()) == (
        400,
        {
            "entries": {
                "1": ["'not a domain' is neither an email address nor a domain like example.org."]
            }
        },
    )
    assert client.get(f"/api/competitions/{with_form.pk}/allow_list/").json() == {
        "entries": ["ada@uni.edu", "example.org"]
    }
    assert registered.json()["status"] == "approved"
    assert registered.json()["applications"][0]["approved_by_rule"] == "allow-list: example.org"


def test_organizers_add_a_participant_by_username_or_email(api, competition, organizer, sent):
    make_user("ada")

    added = api(organizer).post(
        "/api/participants/",
        {"competition": competition.pk, "user": "ada@example.org"},
        format="json",
    )
    unknown = api(organizer).post(
        "/api/participants/", {"competition": competition.pk, "user": "zed"}, format="json"
    )

    assert (added.status_code, added.json()["user"], added.json()["status"]) == (
        201,
        "ada",
        "approved",
    )
    assert added.json()["decided_by"] == "olivia"
    assert (unknown.status_code, unknown.json()) == (
        400,
        {"user": ["no account has the username or email address 'zed'"]},
    )
    assert sent() == [("ada@example.org", "You were added to Published")]


def test_only_organizers_add_others(api, competition, participant, outsider):
    response = api(participant).post(
        "/api/participants/", {"competition": competition.pk, "user": "oscar"}, format="json"
    )

    assert (response.status_code, response.json()) == (
        403,
        {"detail": "only the organizers of this competition add participants"},
    )
    assert Participant.objects.filter(user=outsider).count() == 0


def test_organizers_decide_through_a_status_with_its_reason(api, pending, organizer, sent):
    registration = Participant.objects.get(user=pending)

    denied = api(organizer).patch(
        f"/api/participants/{registration.pk}/",
        {"status": "denied", "reason": "Use your university address"},
        format="json",
    )
    no_reason = api(organizer).put(
        f"/api/participants/{registration.pk}/", {"status": "revoked"}, format="json"
    )
    approved = api(organizer).put(
        f"/api/participants/{registration.pk}/", {"status": "approved"}, format="json"
    )

    assert (denied.status_code, denied.json()["status"], denied.json()["reason"]) == (
        200,
        "denied",
        "Use your university address",
    )
    assert (no_reason.status_code, no_reason.json()) == (
        400,
        {"detail": "a reason is required to revoke a participant"},
    )
    assert (approved.status_code, approved.json()["status"]) == (200, "approved")
    assert sent() == [
        ("penny@example.org", "Your registration for Published was denied"),
        ("penny@example.org", "You are registered for Published"),
    ]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, "Nothing to change: send a status (organizers) or answers (the participant)."),
        (
            {"status": "approved", "answers": {}},
            "Send either a status (organizers) or answers (the participant), not both.",
        ),
    ],
)
def test_an_update_says_what_it_changes(api, pending, organizer, body, error):
    registration = Participant.objects.get(user=pending)

    response = api(organizer).patch(f"/api/participants/{registration.pk}/", body, format="json")

    assert (response.status_code, response.json()) == (400, {"non_field_errors": [error]})


def test_the_participant_corrects_answers_and_organizers_may_not(
    api, with_form, outsider, organizer, sent
):
    created = api(outsider).post(
        "/api/participants/",
        {"competition": with_form.pk, "accept_terms": True, "answers": ANSWERS},
        format="json",
    )
    path = f"/api/participants/{created.json()['id']}/"
    sent()

    corrected = api(outsider).patch(
        path, {"answers": {**ANSWERS, "track": "caption"}}, format="json"
    )
    by_organizer = api(organizer).patch(path, {"answers": ANSWERS}, format="json")
    decided_by_self = api(outsider).patch(path, {"status": "approved"}, format="json")

    assert (corrected.status_code, corrected.json()["answers"]["track"]) == (200, "caption")
    assert (by_organizer.status_code, by_organizer.json()) == (
        403,
        {"detail": "only the participant changes their answers"},
    )
    assert (decided_by_self.status_code, decided_by_self.json()) == (
        403,
        {"detail": "only the organizers of this competition decide registrations"},
    )
    assert Participant.objects.get(user=outsider).status == "pending"
    assert sent() == []


def test_a_participant_withdraws_and_an_organizer_removes(
    api, competition, participant, pending, organizer, sent
):
    withdrawn = api(pending).delete(
        f"/api/participants/{Participant.objects.get(user=pending).pk}/"
    )
    registration = Participant.objects.get(user=participant)
    removed = api(organizer).delete(f"/api/participants/{registration.pk}/")

    assert (withdrawn.status_code, removed.status_code) == (204, 204)
    assert Participant.objects.count() == 0
    assert api(organizer).get(f"/api/participants/{registration.pk}/").status_code == 404
    assert list(
        AuditEntry.objects.order_by("pk").values_list("actor__username", "details__withdrawn")
    ) == [("penny", True), ("olivia", False)]
    assert sent() == [
        ("penny@example.org", "You left Published"),
        ("petra@example.org", "You were removed from Published"),
    ]


def test_a_revoked_participant_cannot_withdraw_through_the_api(api, participant, organizer):
    registration = Participant.objects.get(user=participant)
    registration.status = Participant.Status.REVOKED
    registration.save()

    response = api(participant).delete(f"/api/participants/{registration.pk}/")

    assert (response.status_code, response.json()) == (
        403,
        {"detail": "your participation was revoked: only the organizers can remove it"},
    )
    assert Participant.objects.filter(pk=registration.pk).exists()


def test_the_seeds_register_endpoint_refuses_a_required_form_with_the_questions(
    api, with_form, outsider
):
    response = api(outsider).post(f"/api/competitions/{with_form.pk}/register/")

    assert (response.status_code, response.json()) == (
        400,
        {
            "detail": "the registration form is not answered right: affiliation: This "
            "question is required.; track: This question is required."
        },
    )
