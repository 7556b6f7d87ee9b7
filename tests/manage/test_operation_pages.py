"""The organizers' operations pages through Django's test client: participants,
submissions and phases, emails, queues. Who may open and use them (anonymous visitors are
sent to log in; outsiders and participants read a 404; collaborators, the owner and
platform admins are served), that every action calls its service and says what it did or
why it was refused, that a refusal changes nothing, and how many queries each page costs.
The browser tests (tests/browser/test_organizer_journey.py) drive the same pages in
Chromium."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client, TestCase
from django.utils import timezone

from podium.accounts.models import User
from podium.audit.models import AuditEntry
from podium.competitions.models import Competition, Phase
from podium.leaderboards.models import Leaderboard
from podium.messaging import services as messaging
from podium.messaging.models import Message
from podium.participation import outreach, rules, services
from podium.participation.models import OrganizerEmail, Participant
from podium.queues.models import Queue
from podium.submissions import dispatch
from podium.submissions.models import Submission
from podium_worker.protocol import Status
from tests.browser.world import finish, report, submit
from tests.factories import make_competition, make_leaderboard, make_phase, make_task, make_user

pytestmark = pytest.mark.django_db

ALLOWED = ("collaborator", "organizer", "admin")
NOT_FOUND = ("outsider", "pending", "participant")


@pytest.fixture(autouse=True)
def jobs(monkeypatch) -> list[tuple[int, int]]:
    """The jobs re-runs and migrations would hand the broker once they commit."""
    sent: list[tuple[int, int]] = []
    monkeypatch.setattr(
        dispatch, "publish", lambda submission, task: sent.append((submission.pk, task.pk))
    )
    return sent


def signed_in(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def said(response) -> list[str]:
    """The flash messages of the page a POST led to (followed)."""
    return [f"{message.level_tag}: {message}" for message in response.context["messages"]]


def registration(user: User) -> Participant:
    return Participant.objects.get(user=user)


@pytest.fixture
def contest(competition, organizer) -> dict[str, Any]:
    """The published competition with two phases of one task (Development now, Final
    later), a leaderboard under Add_And_Delete on Development, and submissions: petra's
    finished one, the organizer's finished baseline, and penny's running one (penny is
    pending, but organizers' pages list every submission)."""
    now = timezone.now()
    task = make_task(owner=organizer, name="Iris")
    development = make_phase(
        competition=competition,
        name="Development",
        index=0,
        tasks=[task],
        start=now - timedelta(days=5),
        end=now + timedelta(days=5),
    )
    final = make_phase(
        competition=competition,
        name="Final",
        index=1,
        tasks=[task],
        start=now + timedelta(days=5),
    )
    leaderboard = make_leaderboard(competition=competition, columns=["accuracy"])
    Leaderboard.objects.filter(pk=leaderboard.pk).update(
        submission_rule=Leaderboard.Rule.ADD_AND_DELETE
    )
    Phase.objects.filter(pk=development.pk).update(leaderboard=leaderboard)
    development.refresh_from_db()
    return {
        "task": task,
        "development": development,
        "final": final,
        "leaderboard": leaderboard,
    }


@pytest.fixture
def runs(contest, organizer, participant, pending) -> dict[str, Submission]:
    development = contest["development"]
    return {
        "finished": finish(submit(participant, development), 0.9, 1.0, 100),
        "baseline": finish(submit(organizer, development, baseline=True), 0.8, 1.0, 100),
        "running": report(submit(pending, development), Status.RUNNING),
    }


def messaging_record(competition: Competition, organizer: User) -> OrganizerEmail:
    return outreach.email_participants(
        competition, by=organizer, subject="Welcome", body="Phase 1 is open."
    )


def pages(competition: Competition, **ids: int) -> dict[str, str]:
    base = f"/manage/{competition.pk}/"
    found = {
        "participants": f"{base}participants/",
        "submissions": f"{base}submissions/",
        "emails": f"{base}emails/",
        "queues": f"{base}queues/",
    }
    if "participant" in ids:
        found["participant email"] = f"{base}participants/{ids['participant']}/email/"
    if "submission" in ids:
        found["submission row"] = f"{base}submissions/{ids['submission']}/row/"
    if "email" in ids:
        found["email"] = f"{base}emails/{ids['email']}/"
    return found


# Who may open the pages


@pytest.mark.parametrize("role", ["anonymous", *NOT_FOUND, *ALLOWED])
def test_only_the_organizers_open_the_operations_pages(role, personas, competition, runs):
    record = messaging_record(competition, personas["organizer"])
    every = pages(
        competition,
        participant=registration(personas["pending"]).pk,
        submission=runs["running"].pk,
        email=record.pk,
    )
    client = signed_in(personas[role])
    answers = {name: client.get(path) for name, path in every.items()}
    if role == "anonymous":
        assert {name: (r.status_code, r["Location"]) for name, r in answers.items()} == {
            name: (302, f"/accounts/login/?next={path}") for name, path in every.items()
        }
    elif role in NOT_FOUND:
        assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(every, 404)
    else:
        assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(every, 200)


def state(competition: Competition) -> dict[str, Any]:
    """Everything the actions could change."""
    competition.refresh_from_db()
    return {
        "participants": sorted(
            Participant.objects.filter(competition=competition).values_list(
                "user__username", "status", "reason"
            )
        ),
        "submissions": sorted(
            Submission.objects.filter(phase__competition=competition).values_list(
                "pk", "status", "leaderboard_id", "is_public"
            )
        ),
        "messages": Message.objects.count(),
        "emails": OrganizerEmail.objects.count(),
        "queue": competition.queue_id,
        "audit": AuditEntry.objects.count(),
    }


def actions(competition: Competition, personas, runs, queue: Queue) -> list[tuple[str, dict]]:
    base = f"/manage/{competition.pk}/"
    pending = registration(personas["pending"]).pk
    approved = registration(personas["participant"]).pk
    finished, running = runs["finished"].pk, runs["running"].pk
    development = runs["finished"].phase_id
    return [
        (f"{base}participants/{pending}/decide/", {"decision": "approve"}),
        (f"{base}participants/{approved}/decide/", {"decision": "revoke", "reason": "Cheated"}),
        (f"{base}participants/approve/", {"action": "approve", "participants": [pending]}),
        (f"{base}participants/{pending}/email/", {"subject": "Hi", "body": "Hello"}),
        (f"{base}submissions/{finished}/action/", {"action": "rerun"}),
        (f"{base}submissions/{running}/action/", {"action": "cancel"}),
        (f"{base}submissions/{finished}/action/", {"action": "delete"}),
        (f"{base}submissions/{finished}/action/", {"action": "add"}),
        (f"{base}submissions/bulk/", {"action": "rerun", "submissions": [finished]}),
        (f"{base}phases/{development}/rerun/", {}),
        (f"{base}phases/{development}/migrate/", {}),
        (f"{base}emails/", {"audience": "any", "subject": "Hi", "body": "Hello"}),
        (f"{base}queues/", {"queue": queue.pk}),
    ]


@pytest.mark.parametrize("role", ["anonymous", *NOT_FOUND])
def test_no_one_but_the_organizers_acts_and_a_refusal_changes_nothing(
    role, personas, competition, runs
):
    queue = Queue.objects.create(name="Public GPUs", owner=personas["admin"], is_public=True)
    before = state(competition)
    client = signed_in(personas[role])
    codes = {
        path + str(sorted(data)): client.post(path, data).status_code
        for path, data in actions(competition, personas, runs, queue)
    }
    assert set(codes.values()) == ({302} if role == "anonymous" else {404})
    assert state(competition) == before


@pytest.mark.parametrize("role", ALLOWED)
def test_the_organizers_act(role, personas, competition, runs):
    queue = Queue.objects.create(name="Public GPUs", owner=personas["admin"], is_public=True)
    client = signed_in(personas[role])
    path, data = actions(competition, personas, runs, queue)[0]
    assert client.post(path, data).status_code == 302
    assert registration(personas["pending"]).status == Participant.Status.APPROVED


def test_the_actions_refuse_gets(organizer, competition, runs):
    client = signed_in(organizer)
    base = f"/manage/{competition.pk}/"
    for path in (
        f"{base}participants/{registration(User.objects.get(username='penny')).pk}/decide/",
        f"{base}participants/approve/",
        f"{base}submissions/{runs['finished'].pk}/action/",
        f"{base}submissions/bulk/",
        f"{base}phases/{runs['finished'].phase_id}/rerun/",
        f"{base}phases/{runs['finished'].phase_id}/migrate/",
    ):
        assert client.get(path, {"decision": "approve", "action": "rerun"}).status_code == 405
    assert registration(User.objects.get(username="penny")).status == Participant.Status.PENDING


def test_an_organizer_of_another_competition_reads_nothing_of_this_one(competition, runs):
    stranger = make_user("stella")
    make_competition(owner=stranger, title="Theirs")
    client = signed_in(stranger)
    before = state(competition)
    assert client.get(f"/manage/{competition.pk}/participants/").status_code == 404
    penny = registration(User.objects.get(username="penny")).pk
    path = f"/manage/{competition.pk}/participants/{penny}/decide/"
    assert client.post(path, {"decision": "approve"}).status_code == 404
    assert state(competition) == before


def test_a_row_of_another_competition_is_not_found_through_this_one(organizer, competition, runs):
    other = make_competition(owner=organizer, title="Other")
    stranger = make_user("stella")
    theirs = Participant.objects.create(user=stranger, competition=other)
    client = signed_in(organizer)
    base = f"/manage/{competition.pk}/"
    assert (
        client.post(f"{base}participants/{theirs.pk}/decide/", {"decision": "approve"}).status_code
        == 404
    )
    other_phase = make_phase(competition=other, name="Elsewhere")
    assert client.post(f"{base}phases/{other_phase.pk}/rerun/").status_code == 404
    assert Participant.objects.get(pk=theirs.pk).status == Participant.Status.PENDING


# Participants


def test_the_participants_page_lists_pending_first_with_answers_and_terms(
    organizer, competition, participant, pending, django_assert_max_num_queries
):
    competition.terms = "Be fair."
    competition.save()
    services.set_questions(
        competition,
        questions=[
            rules.Question(key="affiliation", label="Affiliation", kind="text", required=True),
            rules.Question(key="eua", label="I signed the agreement", kind="checkbox"),
        ],
    )
    registration(pending).delete()
    applied, _ = services.apply(
        user=pending,
        competition=competition,
        accept_terms=True,
        answers={"affiliation": "CLEF Lab", "eua": True},
    )
    client = signed_in(organizer)
    with django_assert_max_num_queries(7):
        response = client.get(f"/manage/{competition.pk}/participants/")
    rows = response.context["rows"]
    assert [(row.participant.user.username, row.participant.status) for row in rows] == [
        ("penny", "pending"),
        ("petra", "approved"),
    ]
    assert [(answer.label, answer.text) for answer in rows[0].answers] == [
        ("Affiliation", "CLEF Lab"),
        ("I signed the agreement", "Yes"),
    ]
    assert (rows[0].terms, rows[1].terms) == ("current", "none")
    assert response.context["counts"] == [
        ("pending", "Pending", 1),
        ("approved", "Approved", 1),
        ("denied", "Denied", 0),
        ("revoked", "Revoked", 0),
    ]
    body = response.content.decode()
    assert "CLEF Lab" in body
    assert f'value="{applied.pk}" form="bulk-participants"' in body
    assert f'href="/forums/{competition.pk}/"' in body


def test_the_participants_filter_by_status(organizer, competition, participant, pending):
    response = signed_in(organizer).get(
        f"/manage/{competition.pk}/participants/", {"status": "approved"}
    )
    assert [row.participant.user.username for row in response.context["rows"]] == ["petra"]
    response = signed_in(organizer).get(
        f"/manage/{competition.pk}/participants/", {"status": "nonsense"}
    )
    assert len(response.context["rows"]) == 2


def test_approving_a_registration_emails_the_participant(organizer, competition, pending):
    client = signed_in(organizer)
    path = f"/manage/{competition.pk}/participants/{registration(pending).pk}/decide/"
    response = client.post(
        path,
        {"decision": "approve", "next": f"/manage/{competition.pk}/participants/?status=pending"},
        follow=True,
    )
    assert response.redirect_chain == [
        (f"/manage/{competition.pk}/participants/?status=pending", 302)
    ]
    assert said(response) == ["success: penny is approved; they are emailed."]
    found = registration(pending)
    assert (found.status, found.decided_by) == ("approved", organizer)
    messaging.deliver_queued()
    assert [(email.to, email.subject) for email in mail.outbox] == [
        (["penny@example.org"], "You are registered for Published")
    ]
    assert AuditEntry.objects.get().action == "participant.approve"


def test_denying_needs_a_reason_and_tells_it(organizer, competition, pending):
    client = signed_in(organizer)
    path = f"/manage/{competition.pk}/participants/{registration(pending).pk}/decide/"
    response = client.post(path, {"decision": "deny", "reason": "  "}, follow=True)
    assert said(response) == ["error: Reason: Say why: the participant reads it."]
    assert registration(pending).status == Participant.Status.PENDING
    assert Message.objects.count() == 0

    response = client.post(
        path, {"decision": "deny", "reason": "No affiliation given"}, follow=True
    )
    assert said(response) == ["success: penny is denied; they are emailed."]
    assert (registration(pending).status, registration(pending).reason) == (
        "denied",
        "No affiliation given",
    )
    messaging.deliver_queued()
    (email,) = mail.outbox
    assert "Their reason: No affiliation given" in email.body


def test_revoking_an_approved_participant_and_the_refusal_to_deny_one(
    organizer, competition, participant
):
    client = signed_in(organizer)
    path = f"/manage/{competition.pk}/participants/{registration(participant).pk}/decide/"
    response = client.post(path, {"decision": "deny", "reason": "Too late"}, follow=True)
    assert said(response) == [
        "error: Only a pending registration can be denied; this one is approved (revoke an "
        "approved participant instead)"
    ]
    assert registration(participant).status == Participant.Status.APPROVED
    response = client.post(path, {"decision": "revoke", "reason": "Two accounts"}, follow=True)
    assert said(response) == ["success: petra is revoked; they are emailed."]
    assert (registration(participant).status, registration(participant).reason) == (
        "revoked",
        "Two accounts",
    )


def test_an_unknown_decision_is_refused(organizer, competition, pending):
    path = f"/manage/{competition.pk}/participants/{registration(pending).pk}/decide/"
    response = signed_in(organizer).post(path, {"decision": "ban"}, follow=True)
    assert said(response) == [
        "error: Select a valid choice. ban is not one of the available choices."
    ]
    assert registration(pending).status == Participant.Status.PENDING


def test_bulk_approval_approves_all_the_selected_or_none(organizer, competition, pending):
    rita = make_user("rita")
    other = Participant.objects.create(user=rita, competition=competition)
    elsewhere = Participant.objects.create(
        user=make_user("sam"), competition=make_competition(owner=organizer, title="Other")
    )
    client = signed_in(organizer)
    path = f"/manage/{competition.pk}/participants/approve/"
    response = client.post(
        path,
        {"action": "approve", "participants": [registration(pending).pk, elsewhere.pk]},
        follow=True,
    )
    assert said(response) == [
        "error: A selected registration is not one of this competition's; none changed"
    ]
    assert Participant.objects.filter(status="pending").count() == 3

    response = client.post(path, {"action": "approve"}, follow=True)
    assert said(response) == ["error: Registrations: Select at least one registration."]

    response = client.post(
        path,
        {"action": "approve", "participants": [registration(pending).pk, other.pk]},
        follow=True,
    )
    assert said(response) == ["success: Approved 2: penny, rita. They are emailed."]
    assert sorted(
        Participant.objects.filter(competition=competition).values_list("user__username", "status")
    ) == [("penny", "approved"), ("rita", "approved")]
    messaging.deliver_queued()
    assert sorted(email.to[0] for email in mail.outbox) == ["penny@example.org", "rita@example.org"]


def test_emailing_one_participant(organizer, competition, participant):
    client = signed_in(organizer)
    path = f"/manage/{competition.pk}/participants/{registration(participant).pk}/email/"
    page = client.get(path)
    assert page.context["participant"].user == participant

    refused = client.post(path, {"subject": "", "body": "Hello"})
    assert refused.status_code == 400
    assert refused.context["form"].errors == {"subject": ["This field is required."]}
    assert Message.objects.count() == 0

    response = client.post(
        path, {"subject": "Your file", "body": "Please check the format."}, follow=True
    )
    assert response.redirect_chain == [(f"/manage/{competition.pk}/participants/", 302)]
    assert said(response) == ["success: Your email to petra is on its way."]
    messaging.deliver_queued()
    (email,) = mail.outbox
    assert (email.to, email.subject) == (["petra@example.org"], "[Published] Your file")
    assert OrganizerEmail.objects.get().audience == {
        "participant": registration(participant).pk,
        "user": "petra",
    }


def test_a_next_address_outside_the_competition_is_not_followed(organizer, competition, pending):
    path = f"/manage/{competition.pk}/participants/{registration(pending).pk}/decide/"
    for target in ("https://evil.example/", "//evil.example/", "/manage/999/participants/"):
        response = signed_in(organizer).post(path, {"decision": "approve", "next": target})
        assert response["Location"] == f"/manage/{competition.pk}/participants/"


# Submissions


def test_the_submissions_page_lists_every_submission_with_scores_and_files(
    organizer, competition, runs, django_assert_max_num_queries
):
    client = signed_in(organizer)
    with django_assert_max_num_queries(8):
        response = client.get(f"/manage/{competition.pk}/submissions/")
    rows = response.context["rows"]
    assert [(row.submission.owner.username, row.submission.status, row.live) for row in rows] == [
        ("penny", "running", True),
        ("olivia", "finished", False),
        ("petra", "finished", False),
    ]
    assert [score.text for score in rows[2].scores] == ["0.90"]
    assert [label for label, _ in rows[2].downloads] == ["The uploaded submission"]
    assert rows[2].downloads[0][1].startswith("http://127.0.0.1:8000/files/")
    assert [row.mine for row in rows] == [False, True, False]
    body = response.content.decode()
    running = runs["running"].pk
    assert (
        f'hx-get="/manage/{competition.pk}/submissions/{running}/row/?next=/manage/'
        f'{competition.pk}/submissions/" hx-trigger="every 2s"'
    ) in body
    assert body.count('hx-trigger="every 2s"') == 1
    assert f'href="/api/competitions/{competition.pk}/results/?format=csv"' in body
    assert [
        (
            line.phase.name,
            line.total,
            line.ended,
            line.running,
            getattr(line.next_phase, "name", None),
        )
        for line in response.context["phases"]
    ] == [("Development", 3, 2, 1, "Final"), ("Final", 0, 0, 0, None)]


def test_the_submissions_filter_by_phase_status_and_participant(organizer, competition, runs):
    client = signed_in(organizer)
    path = f"/manage/{competition.pk}/submissions/"

    def owners(**query: Any) -> list[str]:
        rows = client.get(path, query).context["rows"]
        return [row.submission.owner.username for row in rows]

    assert owners(status="finished") == ["olivia", "petra"]
    assert owners(participant="PET") == ["petra"]
    assert owners(phase=runs["finished"].phase_id, status="running") == ["penny"]
    assert owners(phase=Phase.objects.get(name="Final").pk) == []
    assert owners(status="nonsense", phase="x") == ["penny", "olivia", "petra"]


def test_a_polled_row_stops_polling_once_its_submission_has_ended(
    organizer, competition, runs, django_assert_max_num_queries
):
    client = signed_in(organizer)
    running = runs["running"]
    path = f"/manage/{competition.pk}/submissions/{running.pk}/row/"
    with django_assert_max_num_queries(5):
        live = client.get(path, {"next": f"/manage/{competition.pk}/submissions/?status=running"})
    body = live.content.decode()
    assert body.lstrip().startswith(f'<tr id="submission-{running.pk}"')
    assert 'hx-trigger="every 2s"' in body
    assert f'name="next" value="/manage/{competition.pk}/submissions/?status=running"' in body
    finish(running, 0.7, 1.0, 100)
    ended = client.get(path, {"next": "https://evil.example/"}).content.decode()
    assert "hx-trigger" not in ended
    assert '<span class="status">finished</span>' in ended
    assert f'name="next" value="/manage/{competition.pk}/submissions/"' in ended


def act(client: Client, competition: Competition, submission: Submission, action: str):
    path = f"/manage/{competition.pk}/submissions/{submission.pk}/action/"
    return client.post(path, {"action": action}, follow=True)


def test_re_running_a_submission_queues_a_new_one(organizer, competition, runs, jobs, contest):
    client = signed_in(organizer)
    finished = runs["finished"]
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = act(client, competition, finished, "rerun")
    again = Submission.objects.latest("pk")
    assert said(response) == [
        f"success: Submission {finished.pk} runs again as submission {again.pk}."
    ]
    assert (again.owner.username, again.status, again.phase_id) == (
        "petra",
        "submitted",
        finished.phase_id,
    )
    assert jobs == [(again.pk, contest["task"].pk)]
    assert AuditEntry.objects.get().action == "submission.rerun"


def test_a_running_submission_is_cancelled_not_re_run_nor_deleted(organizer, competition, runs):
    client = signed_in(organizer)
    running = runs["running"]
    before = state(competition)
    response = act(client, competition, running, "rerun")
    assert said(response) == [
        f"error: Submission {running.pk}: submission {running.pk} is still running; re-run it "
        "once it has ended"
    ]
    response = act(client, competition, running, "delete")
    assert said(response) == [
        f"error: Submission {running.pk}: submission {running.pk} is running; cancel it first"
    ]
    assert state(competition) == before
    response = act(client, competition, running, "cancel")
    assert said(response) == [f"success: Submission {running.pk} is cancelled."]
    running.refresh_from_db()
    assert (running.status, running.status_detail) == ("cancelled", "cancelled by olivia")


def test_deleting_a_finished_submission(organizer, competition, runs):
    finished = runs["finished"]
    response = act(signed_in(organizer), competition, finished, "delete")
    assert said(response) == [f"success: Submission {finished.pk} is deleted."]
    assert not Submission.objects.filter(pk=finished.pk).exists()


def test_adding_to_and_removing_from_the_leaderboard(organizer, competition, runs, contest):
    client = signed_in(organizer)
    finished = runs["finished"]
    response = act(client, competition, finished, "add")
    assert said(response) == [f"success: Submission {finished.pk} is on the leaderboard."]
    finished.refresh_from_db()
    assert finished.leaderboard_id == contest["leaderboard"].pk
    response = act(client, competition, finished, "remove")
    assert said(response) == [f"success: Submission {finished.pk} is not on the leaderboard."]
    finished.refresh_from_db()
    assert finished.leaderboard_id is None
    running = runs["running"]
    response = act(client, competition, running, "add")
    assert said(response) == [
        f"error: Submission {running.pk}: only a finished submission can be on the leaderboard; "
        f"submission {running.pk} is running"
    ]


def test_only_its_owner_makes_a_submission_public(organizer, competition, runs):
    client = signed_in(organizer)
    response = act(client, competition, runs["baseline"], "public")
    assert said(response) == [f"success: Submission {runs['baseline'].pk} is public."]
    response = act(client, competition, runs["finished"], "public")
    assert said(response) == [
        f"error: Submission {runs['finished'].pk}: only its owner may make a submission public "
        "or private"
    ]
    assert list(Submission.objects.filter(is_public=True).values_list("pk", flat=True)) == [
        runs["baseline"].pk
    ]
    body = client.get(f"/manage/{competition.pk}/submissions/").content.decode()
    assert body.count('value="private"') == 1
    assert body.count('value="public"') == 0


def test_bulk_actions_change_all_the_selected_or_none(organizer, competition, runs):
    client = signed_in(organizer)
    path = f"/manage/{competition.pk}/submissions/bulk/"
    selected = [runs["finished"].pk, runs["baseline"].pk, runs["running"].pk]
    before = state(competition)
    response = client.post(path, {"action": "rerun", "submissions": selected}, follow=True)
    assert said(response) == [
        f"error: Submission {runs['running'].pk}: submission {runs['running'].pk} is still "
        "running; re-run it once it has ended. None of the selected changed."
    ]
    assert state(competition) == before

    response = client.post(path, {"action": "rerun", "submissions": selected[:2]}, follow=True)
    new = list(Submission.objects.filter(pk__gt=runs["running"].pk).order_by("pk"))
    assert said(response) == [
        f"success: Submission {runs['finished'].pk} runs again as submission {new[0].pk}.",
        f"success: Submission {runs['baseline'].pk} runs again as submission {new[1].pk}.",
    ]
    assert [(row.owner.username, row.is_baseline) for row in new] == [
        ("petra", False),
        ("olivia", True),
    ]

    response = client.post(
        path, {"action": "cancel", "submissions": [new[0].pk, new[1].pk]}, follow=True
    )
    assert sorted(
        Submission.objects.filter(pk__in=[n.pk for n in new]).values_list("status", flat=True)
    ) == [
        "cancelled",
        "cancelled",
    ]


def test_a_bulk_deletion_deletes_what_has_ended_and_names_what_it_did_not(
    organizer, competition, runs
):
    client = signed_in(organizer)
    selected = [runs["finished"].pk, runs["running"].pk]
    response = client.post(
        f"/manage/{competition.pk}/submissions/bulk/",
        {"action": "delete", "submissions": selected},
        follow=True,
    )
    assert said(response) == [
        f"success: Deleted 1: submission {runs['finished'].pk}.",
        f"error: Not deleted: submission {runs['running'].pk}: submission "
        f"{runs['running'].pk} is running; cancel it first",
    ]
    assert list(Submission.objects.filter(pk__in=selected).values_list("pk", flat=True)) == [
        runs["running"].pk
    ]


def test_bulk_actions_refuse_submissions_of_other_competitions(organizer, competition, runs):
    other = make_competition(owner=make_user("stella"), title="Theirs")
    phase = make_phase(competition=other, tasks=[make_task(owner=other.created_by)])
    theirs = finish(submit(other.created_by, phase), 0.5, 1.0, 10)
    before = state(competition)
    response = signed_in(organizer).post(
        f"/manage/{competition.pk}/submissions/bulk/",
        {"action": "rerun", "submissions": [runs["finished"].pk, theirs.pk]},
        follow=True,
    )
    assert said(response) == [
        "error: A selected submission is not one of this competition's; none changed"
    ]
    assert state(competition) == before
    assert Submission.objects.filter(phase=phase).count() == 1


def test_re_running_a_whole_phase(organizer, competition, runs, contest):
    response = signed_in(organizer).post(
        f"/manage/{competition.pk}/phases/{contest['development'].pk}/rerun/", follow=True
    )
    assert said(response) == ["success: 2 submissions of Development run again."]
    assert Submission.objects.filter(phase=contest["development"]).count() == 5
    response = signed_in(organizer).post(
        f"/manage/{competition.pk}/phases/{contest['final'].pk}/rerun/", follow=True
    )
    assert said(response) == ["success: 0 submissions of Final run again."]


def test_migrating_a_phase_to_the_next(organizer, competition, runs, contest):
    client = signed_in(organizer)
    response = client.post(
        f"/manage/{competition.pk}/phases/{contest['development'].pk}/migrate/", follow=True
    )
    assert said(response) == [
        "success: 1 submission of Development migrated to Final, where they run now."
    ]
    assert list(
        Submission.objects.filter(phase=contest["final"]).values_list("owner__username", "status")
    ) == [("petra", "submitted")]
    response = client.post(
        f"/manage/{competition.pk}/phases/{contest['final'].pk}/migrate/", follow=True
    )
    assert said(response) == [
        "error: Phase 'Final' is the last phase: there is no phase to migrate to"
    ]
    assert Submission.objects.filter(phase=contest["final"]).count() == 1


# Emails


def test_writing_to_the_approved_participants(
    organizer, competition, participant, pending, django_assert_max_num_queries
):
    client = signed_in(organizer)
    path = f"/manage/{competition.pk}/emails/"
    response = client.post(
        path,
        {"audience": "approved", "subject": "Phase 2 opens", "body": "Good luck."},
        follow=True,
    )
    assert said(response) == ["success: Your email “Phase 2 opens” is on its way to 1 person."]
    messaging.deliver_queued()
    assert [(email.to, email.subject) for email in mail.outbox] == [
        (["petra@example.org"], "[Published] Phase 2 opens")
    ]
    (sent,) = response.context["sent"]
    assert (sent.email.subject, sent.audience, sent.delivery.queued) == (
        "Phase 2 opens",
        "Approved participants",
        1,
    )
    with django_assert_max_num_queries(8):
        page = client.get(path)
    (sent,) = page.context["sent"]
    assert (sent.delivery.sent, sent.delivery.queued) == (1, 0)


def test_writing_to_a_group_with_submissions_in_a_phase(
    organizer, competition, participant, pending, runs, contest
):
    client = signed_in(organizer)
    client.post(
        f"/manage/{competition.pk}/emails/",
        {
            "audience": "any",
            "phase": contest["development"].pk,
            "subject": "Your runs",
            "body": "We re-ran them.",
        },
    )
    messaging.deliver_queued()
    assert sorted(email.to[0] for email in mail.outbox) == [
        "penny@example.org",
        "petra@example.org",
    ]
    record = OrganizerEmail.objects.get()
    assert record.audience == {"status": "any", "phase": contest["development"].pk}
    page = client.get(f"/manage/{competition.pk}/emails/")
    assert page.context["sent"][0].audience == (
        "Everyone registered, whatever their status with a submission in Development"
    )


def test_an_email_without_a_subject_is_refused_and_nothing_is_sent(
    organizer, competition, participant
):
    other = make_competition(owner=organizer, title="Other")
    foreign = make_phase(competition=other)
    response = signed_in(organizer).post(
        f"/manage/{competition.pk}/emails/",
        {"audience": "approved", "phase": foreign.pk, "subject": " ", "body": "Hello"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "phase": ["Select a valid choice. That choice is not one of the available choices."],
        "subject": ["This field is required."],
    }
    assert (OrganizerEmail.objects.count(), Message.objects.count()) == (0, 0)


def test_what_was_sent_to_whom(
    organizer, competition, participant, pending, django_assert_max_num_queries
):
    messaging.unsubscribe(pending, competition)
    messaging_record(competition, organizer)  # another email, to others: not listed below
    record = outreach.email_participants(
        competition, by=organizer, subject="To all", body="<b>Hello</b>", status=None
    )
    messaging.deliver_queued()
    client = signed_in(organizer)
    with django_assert_max_num_queries(8):
        response = client.get(f"/manage/{competition.pk}/emails/{record.pk}/")
    assert [
        (message.to, message.status, message.error)
        for message in response.context["page"].object_list
    ] == [
        ("penny@example.org", "skipped", "the recipient turned this mail off"),
        ("petra@example.org", "sent", ""),
    ]
    assert (response.context["delivery"].sent, response.context["delivery"].skipped) == (1, 1)
    body = response.content.decode()
    assert "&lt;b&gt;Hello&lt;/b&gt;" in body
    other = make_competition(owner=organizer, title="Other")
    elsewhere = signed_in(organizer).get(f"/manage/{other.pk}/emails/{record.pk}/")
    assert elsewhere.status_code == 404


# Queues


def test_the_queues_an_organizer_may_use_and_their_workers(
    organizer, collaborator, competition, runs, django_assert_max_num_queries
):
    mine = Queue.objects.create(name="Olivia's GPUs", owner=organizer)
    shared = Queue.objects.create(name="Lab queue", owner=make_user("lab"))
    shared.organizers.add(organizer)
    public = Queue.objects.create(name="Public CPUs", owner=make_user("host"), is_public=True)
    Queue.objects.create(name="Someone's private queue", owner=make_user("someone"))
    client = signed_in(organizer)
    with django_assert_max_num_queries(9):
        response = client.get(f"/manage/{competition.pk}/queues/")
    lines = [(line.queue, state) for line, state in response.context["lines"]]
    assert [(queue.name if queue else None, state) for queue, state in lines] == [
        (None, "busy"),
        ("Lab queue", "idle"),
        ("Olivia's GPUs", "idle"),
        ("Public CPUs", "idle"),
    ]
    default = response.context["lines"][0][0]
    assert (default.chosen, default.activity.running, default.activity.waiting) == (True, 1, 0)
    assert [job.pk for job in response.context["jobs"].object_list] == [runs["running"].pk]
    body = response.content.decode()
    assert f"--queue {mine.broker_queue}" in body
    assert shared.broker_queue not in body
    assert public.broker_queue not in body


def test_choosing_the_competitions_queue(organizer, competition):
    mine = Queue.objects.create(name="Olivia's GPUs", owner=organizer)
    private = Queue.objects.create(name="Someone's private queue", owner=make_user("someone"))
    client = signed_in(organizer)
    path = f"/manage/{competition.pk}/queues/"
    refused = client.post(path, {"queue": private.pk})
    assert refused.status_code == 400
    assert refused.context["form"].errors == {
        "queue": ["That queue does not exist or is not yours to use."]
    }
    competition.refresh_from_db()
    assert competition.queue_id is None

    response = client.post(path, {"queue": mine.pk}, follow=True)
    assert said(response) == [
        "success: New jobs of Published go to Olivia's GPUs. Jobs already queued stay."
    ]
    competition.refresh_from_db()
    assert competition.queue == mine
    client.post(path, {"queue": ""})
    competition.refresh_from_db()
    assert competition.queue is None


# Organizer-written content


def test_organizer_written_content_is_escaped_on_every_page(organizer, competition, pending, runs):
    script = "<script>alert('x')</script>"
    Competition.objects.filter(pk=competition.pk).update(title=f"Cup {script}")
    services.set_questions(
        competition,
        questions=[rules.Question(key="bio", label=f"Bio {script}", kind="text")],
    )
    registration(pending).delete()
    services.apply(
        user=pending, competition=competition, accept_terms=True, answers={"bio": script}
    )
    record = outreach.email_participants(
        competition, by=organizer, subject=f"News {script}", body=script, status=None
    )
    client = signed_in(organizer)
    for path in (*pages(competition, email=record.pk).values(),):
        body = client.get(path).content.decode()
        assert "<script>alert" not in body, path
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in body, path
