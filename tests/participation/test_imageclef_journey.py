"""The ImageCLEF registration workflow (seed section 3.4), end to end through the API: a
registration form, a pending request in the organizers' digest, a denial with a reason,
corrected answers, an approval, and the external system reading applicants by key."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from podium.audit.models import AuditEntry
from podium.messaging.services import deliver_queued
from podium.participation import notices

pytestmark = pytest.mark.django_db

EUA = "ImageCLEF end-user agreement: the data is for research only."
FORM = [
    {"key": "institution", "label": "Institution", "kind": "text", "required": True},
    {
        "key": "tasks",
        "label": "Tasks you will take part in",
        "kind": "multiple_choice",
        "choices": ["caption", "medical", "aware"],
        "required": True,
    },
    {
        "key": "eua_signed",
        "label": "I uploaded the signed end-user agreement",
        "kind": "checkbox",
        "required": True,
    },
    {"key": "comments", "label": "Comments", "kind": "long_text"},
]


def delivered() -> list[tuple[str, str, str]]:
    deliver_queued()
    emails = [(email.to[0], email.subject, email.body) for email in mail.outbox]
    mail.outbox.clear()
    return emails


def test_the_imageclef_registration_journey(api, competition, organizer, collaborator, outsider):
    start = timezone.now()
    olivia, oscar = api(organizer), api(outsider)
    competition.title = "ImageCLEF 2026"
    competition.terms = EUA
    competition.save()
    assert (
        olivia.put(
            f"/api/competitions/{competition.pk}/registration_form/",
            {"questions": FORM},
            format="json",
        ).status_code
        == 200
    )
    key = olivia.post(
        f"/api/competitions/{competition.pk}/applicants_keys/",
        {"name": "ImageCLEF EUA system"},
        format="json",
    ).json()

    # Oscar reads the form and the terms' fingerprint, and applies with a signed EUA
    # missing: the form refuses it, naming the question.
    form = oscar.get(f"/api/competitions/{competition.pk}/registration_form/").json()
    first_answers = {"institution": "home", "tasks": ["caption"], "eua_signed": False}
    refused = oscar.post(
        "/api/participants/",
        {
            "competition": competition.pk,
            "accept_terms": True,
            "terms_sha256": form["terms_sha256"],
            "answers": first_answers,
        },
        format="json",
    )
    assert (refused.status_code, refused.json()) == (
        400,
        {"answers": {"eua_signed": ["This box must be checked."]}},
    )
    first_answers["eua_signed"] = True
    applied = oscar.post(
        "/api/participants/",
        {
            "competition": competition.pk,
            "accept_terms": True,
            "terms_sha256": form["terms_sha256"],
            "answers": first_answers,
        },
        format="json",
    )
    assert (applied.status_code, applied.json()["status"]) == (201, "pending")
    registration = applied.json()["id"]
    assert [(to, subject) for to, subject, _ in delivered()] == [
        ("oscar@example.org", "Your registration for ImageCLEF 2026 is waiting for the organizers")
    ]

    # The organizers each get the request in their digest.
    assert notices.send_digests(now=start) == 2
    digests = delivered()
    assert sorted((to, subject) for to, subject, _ in digests) == [
        ("colin@example.org", "1 new registration request to review in ImageCLEF 2026"),
        ("olivia@example.org", "1 new registration request to review in ImageCLEF 2026"),
    ]
    assert "- oscar <oscar@example.org>, applied " in digests[0][2]

    # Olivia denies it: "home" is no institution. Oscar reads why in his email.
    denied = olivia.post(
        f"/api/participants/{registration}/deny/",
        {"reason": "Give the name of your institution."},
        format="json",
    )
    assert denied.json()["status"] == "denied"
    ((to, subject, body),) = delivered()
    assert (to, subject) == ("oscar@example.org", "Your registration for ImageCLEF 2026 was denied")
    assert "Their reason: Give the name of your institution." in body

    # Oscar corrects his answers: a second application, pending again.
    corrected = oscar.patch(
        f"/api/participants/{registration}/",
        {
            "answers": {
                "institution": "Univ. Politehnica of Bucharest",
                "tasks": ["medical", "caption"],
                "eua_signed": True,
            },
            "accept_terms": True,
        },
        format="json",
    )
    assert corrected.status_code == 200
    assert [(row["number"], row["status"]) for row in corrected.json()["applications"]] == [
        (1, "denied"),
        (2, "pending"),
    ]
    assert [subject for _, subject, _ in delivered()] == [
        "Your registration for ImageCLEF 2026 is waiting for the organizers"
    ]
    assert notices.send_digests(now=start + timedelta(minutes=30)) == 0  # hourly
    assert notices.send_digests(now=start + timedelta(minutes=61)) == 2
    assert {subject for _, subject, _ in delivered()} == {
        "1 new registration request to review in ImageCLEF 2026"
    }

    # The organizers see the latest answers and the history, and approve.
    seen = olivia.get(f"/api/participants/{registration}/").json()
    assert seen["answers"]["institution"] == "Univ. Politehnica of Bucharest"
    assert seen["applications"][0]["reason"] == "Give the name of your institution."
    approved = olivia.post(f"/api/participants/{registration}/approve/")
    assert approved.json()["status"] == "approved"
    assert [(to, subject) for to, subject, _ in delivered()] == [
        ("oscar@example.org", "You are registered for ImageCLEF 2026")
    ]

    # The external system reads the applicants and their answers with its key.
    system = APIClient()
    system.credentials(HTTP_AUTHORIZATION=f"Key {key['key']}")
    applicants = system.get(f"/api/competitions/{competition.pk}/applicants/").json()
    (oscar_row,) = [row for row in applicants["results"] if row["user"] == "oscar"]
    assert (oscar_row["status"], oscar_row["email"], oscar_row["terms_sha256"]) == (
        "approved",
        "oscar@example.org",
        form["terms_sha256"],
    )
    assert oscar_row["answers"] == {
        "institution": "Univ. Politehnica of Bucharest",
        "tasks": ["caption", "medical"],
        "eua_signed": True,
        "comments": "",
    }
    assert [
        (row["number"], row["status"], row["answers"]["institution"])
        for row in oscar_row["applications"]
    ] == [(1, "denied", "home"), (2, "approved", "Univ. Politehnica of Bucharest")]

    assert list(AuditEntry.objects.order_by("pk").values_list("action", "actor__username")) == [
        ("applicants_key.create", "olivia"),
        ("participant.deny", "olivia"),
        ("participant.approve", "olivia"),
    ]
