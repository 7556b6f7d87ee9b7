import pytest

from podium.audit.models import Action, AuditEntry
from podium.competitions.models import Phase, Task
from podium.datasets.models import Data
from podium.submissions.services import start_submission
from tests.factories import (
    make_competition,
    make_data,
    make_leaderboard,
    make_phase,
    make_task,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(organizer):
    return make_data(owner=organizer, kind=Data.Kind.SCORING_PROGRAM, name="score.zip")


def new_phase(competition, **fields):
    return {
        "competition": competition.pk,
        "name": "Final",
        "start": "2030-01-01T00:00:00Z",
    } | fields


def test_a_phase_keeps_its_tasks_in_the_order_given(api, competition, organizer, program):
    first = make_task(owner=organizer, name="First", scoring_program=program)
    second = make_task(owner=organizer, name="Second", scoring_program=program)

    response = api(organizer).post(
        "/api/phases/", new_phase(competition, tasks=[second.pk, first.pk]), format="json"
    )

    assert response.status_code == 201
    phase = Phase.objects.get(pk=response.json()["id"])
    assert response.json()["tasks"] == [second.pk, first.pk]
    assert list(phase.phase_tasks.order_by("index").values_list("task_id", flat=True)) == [
        second.pk,
        first.pk,
    ]
    assert (response.json()["status"], response.json()["end"]) == ("next", None)


def test_a_phase_must_end_after_it_starts(api, competition, organizer):
    response = api(organizer).post(
        "/api/phases/", new_phase(competition, end="2029-12-31T00:00:00Z"), format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"end": ["the phase must end after it starts"]}
    assert Phase.objects.count() == 0


def test_a_phase_takes_only_tasks_the_caller_may_see(api, competition, collaborator):
    stranger = make_user("stranger")
    private = make_task(owner=stranger, name="Private")

    response = api(collaborator).post(
        "/api/phases/", new_phase(competition, tasks=[private.pk]), format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "tasks": {"0": [f'Invalid pk "{private.pk}" - object does not exist.']}
    }
    assert Phase.objects.count() == 0


def test_a_phase_cannot_name_a_task_twice(api, competition, organizer, program):
    task = make_task(owner=organizer, scoring_program=program)

    response = api(organizer).post(
        "/api/phases/", new_phase(competition, tasks=[task.pk, task.pk]), format="json"
    )

    assert (response.status_code, response.json()) == (400, {"tasks": ["a task appears twice"]})


def test_a_phase_cannot_move_to_another_competition(api, competition, draft, organizer):
    phase = make_phase(competition=competition)

    response = api(organizer).patch(
        f"/api/phases/{phase.pk}/", {"competition": draft.pk}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"competition": ["a phase cannot move to another competition"]}
    phase.refresh_from_db()
    assert phase.competition == competition


def test_a_phase_takes_only_a_leaderboard_of_its_own_competition(
    api, competition, draft, organizer
):
    elsewhere = make_leaderboard(competition=draft)

    response = api(organizer).post(
        "/api/phases/", new_phase(competition, leaderboard=elsewhere.pk), format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"leaderboard": ["no leaderboard with this id in this competition"]}


def test_putting_tasks_replaces_them(api, competition, organizer, program):
    old = make_task(owner=organizer, name="Old", scoring_program=program)
    new = make_task(owner=organizer, name="New", scoring_program=program)
    phase = make_phase(competition=competition, tasks=[old])

    response = api(organizer).patch(f"/api/phases/{phase.pk}/", {"tasks": [new.pk]}, format="json")

    assert (response.status_code, response.json()["tasks"]) == (200, [new.pk])
    assert list(phase.tasks.values_list("name", flat=True)) == ["New"]


def test_phases_filter_by_competition(api, competition, draft, organizer):
    mine = make_phase(competition=competition, name="Mine")
    make_phase(competition=draft, name="Other")

    response = api(organizer).get(f"/api/phases/?competition={competition.pk}")

    assert [(row["id"], row["name"]) for row in response.json()["results"]] == [(mine.pk, "Mine")]
    assert api(organizer).get("/api/phases/?competition=x").json() == {
        "competition": ["A valid integer is required."]
    }


def test_a_task_is_created_for_the_caller_whatever_the_payload_says(
    api, organizer, outsider, program
):
    response = api(organizer).post(
        "/api/tasks/",
        {"name": "Mine", "scoring_program": program.pk, "created_by": outsider.pk, "key": "k"},
        format="json",
    )

    assert response.status_code == 201
    task = Task.objects.get()
    assert (task.name, task.created_by, task.scoring_program) == ("Mine", organizer, program)
    assert response.json()["created_by"] == "olivia"


def test_a_task_takes_files_of_the_matching_kind_only(api, organizer, program):
    data = make_data(owner=organizer, kind=Data.Kind.INPUT_DATA)

    response = api(organizer).post(
        "/api/tasks/",
        {"name": "Mixed up", "scoring_program": data.pk, "reference_data": program.pk},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "scoring_program": ["must be a scoring_program file, not input_data"],
        "reference_data": ["must be a reference_data file, not scoring_program"],
    }


def test_a_task_cannot_use_another_users_private_program(api, outsider, program):
    response = api(outsider).post(
        "/api/tasks/", {"name": "Borrowed", "scoring_program": program.pk}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "scoring_program": [f'Invalid pk "{program.pk}" - object does not exist.']
    }
    assert Task.objects.count() == 0


def test_a_task_in_use_cannot_be_deleted(api, competition, organizer, program):
    task = make_task(owner=organizer, scoring_program=program)
    make_phase(competition=competition, tasks=[task])

    response = api(organizer).delete(f"/api/tasks/{task.pk}/")

    assert response.status_code == 409
    assert response.json() == {
        "detail": f"task {task.name!r} is still in use: 1 phase(s) of yours run it "
        f"({competition.phases.get().name!r} of {competition.title!r})"
    }
    assert Task.objects.filter(pk=task.pk).exists()
    assert not AuditEntry.objects.filter(action=Action.TASK_DELETE).exists()


def test_a_task_that_scored_submissions_cannot_be_deleted(api, competition, organizer, program):
    task = make_task(owner=organizer, scoring_program=program)
    phase = make_phase(competition=competition, tasks=[task])
    sam = make_user("sam")
    start_submission(owner=sam, participant=None, phase=phase, tasks=[task],
                     data=make_data(owner=sam, kind=Data.Kind.SUBMISSION), is_baseline=False,
                     publish=False)  # fmt: skip
    phase.phase_tasks.all().delete()  # no phase runs it any more; the submission still counts

    response = api(organizer).delete(f"/api/tasks/{task.pk}/")

    assert response.status_code == 409
    assert response.json() == {
        "detail": f"task {task.name!r} is still in use: 1 submission(s) were evaluated on it"
    }


def test_a_shared_tasks_creator_learns_nothing_of_other_organizers_competitions(
    api, competition, organizer, program
):
    task = make_task(owner=organizer, scoring_program=program)
    make_phase(competition=competition, name="Mine", tasks=[task])
    draft = make_competition(owner=make_user("otto"), title="Otto's secret draft")
    make_phase(competition=draft, name="Hidden", tasks=[task])

    response = api(organizer).delete(f"/api/tasks/{task.pk}/")

    assert response.status_code == 409
    detail = response.json()["detail"]
    assert detail == (
        f"task {task.name!r} is still in use: 1 phase(s) of yours run it ('Mine' of "
        f"{competition.title!r}); 1 phase(s) of other organizers' competitions run it"
    )
    assert "secret" not in detail


def test_a_task_nothing_uses_is_deleted_and_audited(api, organizer, program):
    task = make_task(owner=organizer, name="Spare", scoring_program=program)

    response = api(organizer).delete(f"/api/tasks/{task.pk}/")

    assert response.status_code == 204
    assert not Task.objects.filter(pk=task.pk).exists()
    entry = AuditEntry.objects.get(action=Action.TASK_DELETE)
    assert (entry.actor, entry.target_id, entry.details) == (organizer, task.pk, {"name": "Spare"})


def test_organizers_see_the_tasks_of_their_competitions_but_only_the_creator_changes_them(
    api, competition, organizer, collaborator, program
):
    task = make_task(owner=organizer, name="Shared", scoring_program=program)
    make_phase(competition=competition, tasks=[task])

    listed = api(collaborator).get("/api/tasks/").json()["results"]
    refused = api(collaborator).patch(f"/api/tasks/{task.pk}/", {"name": "X"}, format="json")

    assert [row["name"] for row in listed] == ["Shared"]
    assert (refused.status_code, refused.json()) == (
        403,
        {"detail": "only its creator may change a task"},
    )
