"""The audit log: what organizers and the platform did, recorded by the services that do
it, kept after what it describes is gone, and read by platform admins only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from podium.audit import services as audit
from podium.audit.models import Action, AuditEntry
from podium.competitions.models import Competition
from podium.datasets.models import Data
from podium.participation import services as participation
from podium.participation.models import Participant
from podium.submissions import dispatch, lifecycle
from podium.submissions.services import start_submission, transition
from podium_worker.protocol import Status
from tests.factories import make_data, make_phase, make_task, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def published(monkeypatch):
    monkeypatch.setattr(dispatch, "publish", lambda submission, task: None)


@pytest.fixture
def phase(competition, organizer):
    return make_phase(competition=competition, tasks=[make_task(owner=organizer)])


def submission_of(user, phase, *, finished=True):
    submission = start_submission(
        owner=user,
        participant=Participant.objects.filter(user=user).first(),
        phase=phase,
        tasks=list(phase.tasks.all()),
        data=make_data(owner=user, kind=Data.Kind.SUBMISSION),
        publish=False,
    )
    if finished:
        for step in (Status.PREPARING, Status.SCORING, Status.FINISHED):
            transition(submission, step)
    return submission


def entries():
    return list(
        AuditEntry.objects.order_by("id").values_list(
            "actor_name", "action", "target_type", "target_id", "competition_id", "details"
        )
    )


def test_an_entry_names_its_actor_target_and_competition(organizer, competition):
    entry = audit.record(
        actor=organizer,
        action=Action.COMPETITION_PUBLISH,
        target=competition,
        competition=competition.pk,
        details={"why": "ready"},
    )
    assert (entry.actor, entry.actor_name, entry.target_type, entry.target_id) == (
        organizer,
        "olivia",
        "competition",
        competition.pk,
    )
    assert (entry.competition_id, entry.details) == (competition.pk, {"why": "ready"})
    assert str(entry) == f"olivia: competition.publish competition {competition.pk}"


def test_the_platform_itself_acts_without_an_actor(phase):
    entry = audit.record(actor=None, action=Action.PHASE_MIGRATE, target=phase)
    assert (entry.actor, entry.actor_name, str(entry)) == (
        None,
        "",
        f"the platform: phase.migrate phase {phase.pk}",
    )


def test_entries_outlive_the_competition_and_the_actor(api, organizer, competition):
    api(organizer).post(f"/api/competitions/{competition.pk}/toggle_publish/")
    pk = competition.pk
    assert api(organizer).delete(f"/api/competitions/{pk}/").status_code == 204

    assert not Competition.objects.filter(pk=pk).exists()
    assert entries() == [
        ("olivia", "competition.unpublish", "competition", pk, pk, {}),
        ("olivia", "competition.delete", "competition", pk, pk, {"title": "Published"}),
    ]
    colleague = make_user("carl")
    audit.record(actor=colleague, action=Action.PHASE_RERUN)
    colleague.delete()
    last = AuditEntry.objects.order_by("-id").first()
    assert (last.actor, last.actor_name) == (None, "carl")


def test_publishing_and_unpublishing_are_recorded(api, collaborator, draft):
    client = api(collaborator)
    client.post(f"/api/competitions/{draft.pk}/toggle_publish/")
    client.post(f"/api/competitions/{draft.pk}/toggle_publish/")
    assert [(row[0], row[1]) for row in entries()] == [
        ("colin", "competition.publish"),
        ("colin", "competition.unpublish"),
    ]


def test_deleting_a_phase_is_recorded(api, organizer, participant, phase):
    submission_of(participant, phase)
    assert api(organizer).delete(f"/api/phases/{phase.pk}/").status_code == 204
    assert entries() == [
        (
            "olivia",
            "phase.delete",
            "phase",
            phase.pk,
            phase.competition_id,
            {"name": "Phase", "submissions": 1},
        )
    ]


def test_registration_decisions_are_recorded_with_their_reason(organizer, competition, pending):
    registration = Participant.objects.get(user=pending)
    participation.deny(registration, by=organizer, reason="Use your work address")
    participation.approve(registration, by=organizer)
    participation.approve(registration, by=organizer)  # already approved: nothing happens
    participation.revoke(registration, by=organizer, reason="Shared account")
    assert entries() == [
        (
            "olivia",
            "participant.deny",
            "participant",
            registration.pk,
            competition.pk,
            {"user": "penny", "reason": "Use your work address"},
        ),
        (
            "olivia",
            "participant.approve",
            "participant",
            registration.pk,
            competition.pk,
            {"user": "penny", "reason": ""},
        ),
        (
            "olivia",
            "participant.revoke",
            "participant",
            registration.pk,
            competition.pk,
            {"user": "penny", "reason": "Shared account"},
        ),
    ]


def test_cancelling_is_recorded_once(participant, phase):
    submission = submission_of(participant, phase, finished=False)
    lifecycle.cancel(submission, by=participant)
    lifecycle.cancel(submission, by=participant)
    assert entries() == [
        ("petra", "submission.cancel", "submission", submission.pk, phase.competition_id, {})
    ]


def test_re_runs_are_recorded_with_the_new_submission(organizer, participant, phase):
    original = submission_of(participant, phase)
    again = lifecycle.re_run(original, by=organizer)
    assert lifecycle.re_run_phase(phase, by=organizer) == 1
    assert entries() == [
        (
            "olivia",
            "submission.rerun",
            "submission",
            original.pk,
            phase.competition_id,
            {"new_submission": again.pk},
        ),
        ("olivia", "phase.rerun", "phase", phase.pk, phase.competition_id, {"submissions": 1}),
    ]


def test_deleting_a_submission_is_recorded(api, participant, phase):
    submission = submission_of(participant, phase)
    assert api(participant).delete(f"/api/submissions/{submission.pk}/").status_code == 204
    assert entries() == [
        (
            "petra",
            "submission.delete",
            "submission",
            submission.pk,
            phase.competition_id,
            {"owner": "petra", "status": "finished"},
        )
    ]


def test_a_refused_change_records_nothing(organizer, participant, phase):
    running = submission_of(participant, phase, finished=False)
    with pytest.raises(lifecycle.Conflict):
        lifecycle.delete(running, by=organizer)
    with pytest.raises(lifecycle.Conflict):
        lifecycle.re_run(running, by=organizer)
    assert AuditEntry.objects.count() == 0


# Reading the log


@pytest.fixture
def log(organizer, collaborator, competition, draft, phase):
    base = timezone.now() - timedelta(days=3)
    rows = [
        (organizer, Action.COMPETITION_PUBLISH, competition, competition.pk, base),
        (collaborator, Action.PHASE_RERUN, phase, competition.pk, base + timedelta(days=1)),
        (organizer, Action.COMPETITION_UNPUBLISH, draft, draft.pk, base + timedelta(days=2)),
    ]
    made = []
    for actor, action, target, competition_id, at in rows:
        entry = audit.record(actor=actor, action=action, target=target, competition=competition_id)
        AuditEntry.objects.filter(pk=entry.pk).update(at=at)
        made.append(entry.pk)
    return made, base


def ids(client, query=""):
    response = client.get(f"/api/audit/{query}")
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_platform_admins_read_the_log_newest_first(api, admin, organizer, log, competition):
    made, base = log
    client = api(admin)
    assert ids(client) == made[::-1]
    detail = client.get(f"/api/audit/{made[0]}/").json()
    assert detail == {
        "id": made[0],
        "at": (base).isoformat().replace("+00:00", "Z"),
        "actor": "olivia",
        "actor_id": organizer.pk,
        "action": "competition.publish",
        "target_type": "competition",
        "target_id": competition.pk,
        "competition": competition.pk,
        "details": {},
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?action=phase.rerun", [1]),
        ("?actor=olivia", [2, 0]),
        ("?competition={competition}", [1, 0]),
        ("?target_type=competition", [2, 0]),
        ("?target_type=phase&target_id={phase}", [1]),
        ("?since={day1}", [2, 1]),
        ("?until={day1}", [0]),
        ("?since={day1}&until={day2}&actor=colin", [1]),
    ],
)
def test_the_log_filters_combine(api, admin, log, competition, phase, query, expected):
    made, base = log
    query = query.format(
        competition=competition.pk,
        phase=phase.pk,
        day1=(base + timedelta(days=1)).isoformat().replace("+00:00", "Z"),
        day2=(base + timedelta(days=2)).isoformat().replace("+00:00", "Z"),
    )
    assert ids(api(admin), query) == [made[index] for index in expected]


def test_a_bad_filter_is_refused(api, admin, log):
    response = api(admin).get("/api/audit/?action=steal")
    assert (response.status_code, response.json()) == (
        400,
        {"action": ['"steal" is not a valid choice.']},
    )


@pytest.mark.parametrize(
    ("role", "code"),
    [("anonymous", 401), ("outsider", 403), ("organizer", 403), ("collaborator", 403)],
)
def test_nobody_else_reads_the_log(api, personas, log, role, code):
    made, _ = log
    client = api(personas[role])
    assert client.get("/api/audit/").status_code == code
    assert client.get(f"/api/audit/{made[0]}/").status_code == code


def test_the_log_is_read_only_in_the_admin_site(client, admin, log):
    made, _ = log
    client.force_login(admin)
    assert client.get("/admin/audit/auditentry/").status_code == 200
    assert client.get("/admin/audit/auditentry/add/").status_code == 403
    assert client.post(f"/admin/audit/auditentry/{made[0]}/delete/").status_code == 403
    assert AuditEntry.objects.count() == 3


def test_the_log_cannot_be_written_over_the_api(api, admin, log):
    assert api(admin).post("/api/audit/", {}, format="json").status_code == 405
    assert api(admin).delete(f"/api/audit/{log[0][0]}/").status_code == 405
