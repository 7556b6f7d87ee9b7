"""Organizers write to one participant, to all, or to a group; what was sent to whom is
recorded and listed; a participant who unsubscribed is skipped."""

from __future__ import annotations

import pytest
from django.core import mail

from podium.audit.models import AuditEntry
from podium.datasets.models import Data
from podium.messaging import services as messaging
from podium.messaging.models import Message
from podium.participation.models import OrganizerEmail, Participant
from podium.submissions.services import start_submission
from tests.factories import make_data, make_participant, make_phase, make_task, make_user

pytestmark = pytest.mark.django_db


def registration(user):
    return Participant.objects.get(user=user)


def test_an_organizer_emails_one_participant(api, competition, organizer, participant):
    competition.contact_email = "team@example.org"
    competition.save()

    response = api(organizer).post(
        f"/api/participants/{registration(participant).pk}/send_email/",
        {"subject": "Your submission", "body": "Please check the format."},
        format="json",
    )
    messaging.deliver_queued()

    assert response.status_code == 201
    body = response.json()
    assert {key: body[key] for key in ("subject", "sender", "audience", "recipients")} == {
        "subject": "Your submission",
        "sender": "olivia",
        "audience": {"participant": registration(participant).pk, "user": "petra"},
        "recipients": 1,
    }
    (email,) = mail.outbox
    assert (email.to, email.subject, email.reply_to) == (
        ["petra@example.org"],
        "[Published] Your submission",
        ["team@example.org"],
    )
    assert email.body.startswith("Please check the format.\n\n-- \nYou receive this email")
    assert email.message()["List-Unsubscribe"].startswith("<http://127.0.0.1:8000/mail/")
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.details["recipients"]) == (
        "participants.email",
        organizer,
        1,
    )


def test_email_to_all_reaches_the_approved_participants_by_default(
    api, competition, organizer, participant, pending
):
    make_participant(user=make_user("rita"), competition=competition)

    response = api(organizer).post(
        f"/api/competitions/{competition.pk}/email_all_participants/",
        {"subject": "Phase 2 opens", "body": "Good luck."},
        format="json",
    )
    messaging.deliver_queued()

    assert (response.status_code, response.json()["audience"]) == (201, {"status": "approved"})
    assert sorted(email.to[0] for email in mail.outbox) == [
        "petra@example.org",
        "rita@example.org",
    ]


@pytest.mark.parametrize(
    ("status", "reached"),
    [
        ("pending", ["penny@example.org"]),
        ("any", ["penny@example.org", "petra@example.org", "rita@example.org"]),
    ],
)
def test_email_to_a_group_by_status(
    api, competition, organizer, participant, pending, status, reached
):
    make_participant(user=make_user("rita"), competition=competition, status="denied")

    api(organizer).post(
        f"/api/competitions/{competition.pk}/email_all_participants/",
        {"subject": "Hello", "body": "Hi.", "status": status},
        format="json",
    )
    messaging.deliver_queued()

    assert sorted(email.to[0] for email in mail.outbox) == reached


def test_email_to_those_who_submitted_in_a_phase(api, competition, draft, organizer, participant):
    rita = make_user("rita")
    make_participant(user=rita, competition=competition)
    task = make_task(owner=organizer)
    first = make_phase(competition=competition, tasks=[task])
    second = make_phase(competition=competition, name="Final", index=1, tasks=[task])
    for user, phase in ((participant, first), (rita, second)):
        start_submission(
            owner=user,
            participant=registration(user),
            phase=phase,
            tasks=[task],
            data=make_data(owner=user, kind=Data.Kind.SUBMISSION),
            publish=False,
        )

    response = api(organizer).post(
        f"/api/competitions/{competition.pk}/email_all_participants/",
        {"subject": "Final phase", "body": "Thanks.", "phase": second.pk},
        format="json",
    )
    elsewhere = make_phase(competition=draft)
    foreign = api(organizer).post(
        f"/api/competitions/{competition.pk}/email_all_participants/",
        {"subject": "x", "body": "y", "phase": elsewhere.pk},
        format="json",
    )
    messaging.deliver_queued()

    assert response.json()["audience"] == {"status": "approved", "phase": second.pk}
    assert [email.to[0] for email in mail.outbox] == ["rita@example.org"]
    assert (foreign.status_code, foreign.json()) == (
        400,
        {"phase": [f"phase {elsewhere.pk} is not a phase of this competition"]},
    )
    assert OrganizerEmail.objects.count() == 1


def test_an_unsubscribed_participant_is_skipped_and_counted(
    api, client, competition, organizer, participant
):
    rita = make_user("rita")
    make_participant(user=rita, competition=competition)
    api(organizer).post(
        f"/api/competitions/{competition.pk}/email_all_participants/",
        {"subject": "First", "body": "Hello."},
        format="json",
    )
    messaging.deliver_queued()
    to_rita = next(email for email in mail.outbox if email.to == ["rita@example.org"])
    link = to_rita.message()["List-Unsubscribe"].strip("<>").removeprefix("http://127.0.0.1:8000")
    assert client.post(link).status_code == 200
    mail.outbox.clear()

    api(organizer).post(
        f"/api/competitions/{competition.pk}/email_all_participants/",
        {"subject": "Second", "body": "Hello again."},
        format="json",
    )
    messaging.deliver_queued()
    listed = api(organizer).get(f"/api/competitions/{competition.pk}/emails/").json()

    assert [email.to for email in mail.outbox] == [["petra@example.org"]]
    assert listed["count"] == 2
    assert [
        {key: row[key] for key in ("subject", "recipients", "sent", "skipped", "failed", "queued")}
        for row in listed["results"]
    ] == [
        {"subject": "Second", "recipients": 2, "sent": 1, "skipped": 1, "failed": 0, "queued": 0},
        {"subject": "First", "recipients": 2, "sent": 2, "skipped": 0, "failed": 0, "queued": 0},
    ]
    skipped = Message.objects.get(status="skipped")
    assert (skipped.recipient, skipped.error) == (rita, "the recipient turned this mail off")


def test_a_failing_mail_server_shows_in_the_counts(
    api, competition, organizer, participant, settings
):
    settings.MAILERS = {"default": {"BACKEND": "tests.messaging.backends.DownBackend"}}
    api(organizer).post(
        f"/api/competitions/{competition.pk}/email_all_participants/",
        {"subject": "News", "body": "Hello."},
        format="json",
    )
    for _ in range(5):
        messaging.deliver_queued()

    (row,) = api(organizer).get(f"/api/competitions/{competition.pk}/emails/").json()["results"]
    assert (row["sent"], row["failed"], row["queued"]) == (0, 1, 0)


def test_an_empty_group_is_recorded_with_no_recipients(api, competition, organizer):
    response = api(organizer).post(
        f"/api/competitions/{competition.pk}/email_all_participants/",
        {"subject": "Anyone?", "body": "Hello.", "status": "revoked"},
        format="json",
    )

    assert (response.status_code, response.json()["recipients"]) == (201, 0)
    assert Message.objects.count() == 0


def test_an_empty_subject_or_body_is_refused(api, competition, organizer, participant):
    response = api(organizer).post(
        f"/api/participants/{registration(participant).pk}/send_email/",
        {"subject": " ", "body": ""},
        format="json",
    )

    assert (response.status_code, response.json()) == (
        400,
        {"subject": ["This field may not be blank."], "body": ["This field may not be blank."]},
    )
    assert OrganizerEmail.objects.count() == 0
