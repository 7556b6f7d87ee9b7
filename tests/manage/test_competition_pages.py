"""The organizers' pages for their competitions (/manage/), through Django's test client:
who may open and post each one, what each action changes (and that a refused one changes
nothing), and how many queries the lists cost. The browser tests
(tests/browser/test_organizer_competitions.py) walk the same pages in Chromium."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from podium.audit.models import Action, AuditEntry
from podium.bundles.services import import_bundle
from podium.competitions.models import Competition, Page, Phase, Task
from podium.datasets.models import Data
from podium.leaderboards.models import Leaderboard
from podium.participation.models import AllowedEmail, Participant, Question
from podium.participation.services import register
from podium.submissions.models import Submission
from podium.submissions.services import create_submission
from tests.factories import (
    make_competition,
    make_data,
    make_leaderboard,
    make_participant,
    make_phase,
    make_task,
    make_user,
)

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
    b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


def zip_of(files: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def zip_folder(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


SCORING_PROGRAM = zip_of(
    {"metadata.yaml": "command: python3 score.py\n", "score.py": "print('scored')\n"}
)


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/zip")


def posted(defaults: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A form's data: `defaults` with `changes`, without the fields changed to None."""
    return {key: value for key, value in (defaults | changes).items() if value is not None}


def details(**changes: Any) -> dict[str, Any]:
    defaults = {
        "title": "Iris by form",
        "description": "Flowers.",
        "terms": "Be fair.",
        "contact_email": "olivia@example.org",
        "reward": "",
        "competition_type": "competition",
        "docker_image": "python:3.12-slim",
        "queue": "",
        "max_team_size": "",
        "auto_run_submissions": "on",
        "forum_enabled": "on",
    }
    return posted(defaults, changes)


def formset(prefix: str, rows: list[dict[str, Any]], initial: int = 0) -> dict[str, Any]:
    data: dict[str, Any] = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for position, row in enumerate(rows):
        for key, value in row.items():
            if value is not None:
                data[f"{prefix}-{position}-{key}"] = value
    return data


def phase_form(**changes: Any) -> dict[str, Any]:
    defaults = {
        "name": "Development",
        "description": "",
        "start": "2030-01-01T00:00",
        "end": "2030-06-01T12:30",
        "index": "",
        "max_submissions": "10",
        "max_submissions_per_day": "2",
        "execution_time_limit": "120",
        "leaderboard": "",
    }
    return posted(defaults, changes)


def column(index: int, key: str, title: str, **changes: Any) -> dict[str, Any]:
    row = {
        "id": "",
        "index": str(index),
        "title": title,
        "key": key,
        "sorting": "desc",
        "computation": "",
        "computation_indexes": "",
        "precision": "2",
    }
    row.update(changes)
    return row


def leaderboard_form(columns: list[dict[str, Any]], initial: int = 0, **changes: Any) -> dict:
    defaults = {
        "title": "Results",
        "key": "main",
        "index": "",
        "submission_rule": "Force_Best",
        "primary_index": "0",
        "release_date": "",
        "frontier_score": "",
        "frontier_cost": "",
    }
    return posted(defaults, changes | formset("columns", columns, initial))


def snapshot(competition: Competition) -> dict[str, Any]:
    """What a refused action must leave as it was."""
    fresh = Competition.objects.get(pk=competition.pk)
    return {
        "competition": {
            field.name: getattr(fresh, field.attname)
            for field in Competition._meta.concrete_fields
            if field.name != "updated_at"
        },
        "pages": list(fresh.pages.values_list("title", "content", "index")),
        "phases": list(fresh.phases.values_list("name", "start", "end", "leaderboard")),
        "tasks": list(Task.objects.values_list("pk", "name")),
        "leaderboards": list(fresh.leaderboards.values_list("key", "title")),
        "files": Data.objects.count(),
        "questions": list(fresh.registration_questions.values_list("key", flat=True)),
        "allowed": list(fresh.registration_allow_list.values_list("value", flat=True)),
        "competitions": Competition.objects.count(),
    }


def refused(client: Any, competition: Competition, path: str, data: dict[str, Any]) -> Any:
    """The page that answers `data` posted to `path`, once checked that it refused it (400)
    and changed nothing."""
    before = snapshot(competition)
    response = client.post(path, data)
    assert response.status_code == 400
    assert snapshot(competition) == before
    return response


def stored_files(storage: Path) -> list[Path]:
    return [path for path in storage.rglob("*") if path.is_file()]


@pytest.fixture
def ready(organizer, collaborator) -> Competition:
    """A competition that takes submissions: a phase open now with a task and a leaderboard."""
    competition = make_competition(
        owner=organizer,
        title="Ready",
        published=False,
        collaborators=[collaborator],
        terms="Be fair.",
    )
    task = make_task(owner=organizer, name="Main task")
    phase = make_phase(
        competition=competition,
        name="Open",
        tasks=[task],
        start=timezone.now() - timedelta(days=1),
    )
    board = make_leaderboard(competition=competition)
    Phase.objects.filter(pk=phase.pk).update(leaderboard=board)
    return competition


# Who may open what


def status_of(response) -> int:
    """The status; a download is read to its end, which closes it (and its file)."""
    if response.streaming:
        b"".join(response.streaming_content)
    return response.status_code


def competition_pages(competition: Competition) -> list[str]:
    base = f"/manage/{competition.pk}/"
    return [
        base,
        f"{base}details/",
        f"{base}pages/",
        f"{base}phases/",
        f"{base}phases/new/",
        f"{base}tasks/",
        f"{base}tasks/new/",
        f"{base}leaderboards/",
        f"{base}leaderboards/new/",
        f"{base}fact-sheet/",
        f"{base}registration/",
        f"{base}collaborators/",
        f"{base}clone/",
        f"{base}dumps/",
        f"{base}dumps/bundle/",
    ]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("outsider", 404),
        ("participant", 404),
        ("collaborator", 200),
        ("organizer", 200),
        ("admin", 200),
    ],
)
def test_each_page_of_a_competition_opens_for_its_organizers_only(
    client, personas, competition, role, expected
):
    client.force_login(personas[role])
    codes = {path: status_of(client.get(path)) for path in competition_pages(competition)}
    assert codes == dict.fromkeys(competition_pages(competition), expected)


def test_anonymous_visitors_are_sent_to_log_in(client, competition):
    paths = [
        "/manage/",
        "/manage/new/",
        "/manage/new/bundle/",
        "/manage/files/",
        *competition_pages(competition),
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == f"/accounts/login/?next={path}", path


@pytest.mark.parametrize(
    ("role", "expected"), [("anonymous", 302), ("outsider", 404), ("participant", 404)]
)
def test_outsiders_posting_to_a_competition_are_refused_and_change_nothing(
    client, personas, ready, role, expected
):
    if personas[role] is not None:
        client.force_login(personas[role])
    phase = ready.phases.get()
    board = ready.leaderboards.get()
    before = snapshot(ready)
    base = f"/manage/{ready.pk}/"
    posts = {
        f"{base}details/": details(title="Taken over"),
        f"{base}pages/": formset("pages", [{"title": "Mine", "content": "x"}]),
        f"{base}phases/new/": phase_form(),
        f"{base}phases/{phase.pk}/": phase_form(name="Renamed"),
        f"{base}phases/{phase.pk}/delete/": {},
        f"{base}tasks/new/": {"name": "T", "scoring_program_upload": upload("s.zip", b"x")},
        f"{base}tasks/{phase.phase_tasks.get().task_id}/delete/": {},
        f"{base}leaderboards/new/": leaderboard_form([column(0, "score", "Score")], key="b"),
        f"{base}leaderboards/{board.pk}/delete/": {},
        f"{base}fact-sheet/": formset("questions", [{"key": "a", "title": "A", "type": "text"}]),
        f"{base}registration/": {"registration_auto_approve": "on", "allow_list": "x.org"}
        | formset("questions", []),
        f"{base}collaborators/": {"names": personas["outsider"].username},
        f"{base}publish/": {},
        f"{base}delete/": {},
        f"{base}clone/": {},
    }
    codes = {path: client.post(path, data).status_code for path, data in posts.items()}
    assert codes == dict.fromkeys(posts, expected)
    assert snapshot(ready) == before


# The list


def test_the_list_shows_the_competitions_i_run_with_their_counts(
    client, organizer, collaborator, outsider, ready, django_assert_max_num_queries
):
    phase = ready.phases.get()
    for name in ("petra", "paul"):
        user = make_user(name)
        make_participant(user=user, competition=ready)
        create_submission(user=user, phase=phase, stream=io.BytesIO(zip_of({"a.csv": "1"})))
    make_competition(owner=outsider, title="Someone else's")
    make_competition(owner=collaborator, title="Colin's own", published=True)
    client.force_login(collaborator)
    with django_assert_max_num_queries(6):
        response = client.get("/manage/")
    listed = [
        (item.title, item.published, item.participant_count, item.submission_count)
        for item in response.context["page"]
    ]
    assert listed == [("Colin's own", True, 0, 0), ("Ready", False, 2, 2)]
    body = response.content.decode()
    assert "Someone else&#x27;s" not in body
    assert "Owned by olivia" in body
    assert f'href="/manage/{ready.pk}/participants/"' in body


def test_platform_admins_see_every_competition(client, admin, ready, outsider):
    make_competition(owner=outsider, title="Someone else's")
    client.force_login(admin)
    titles = [item.title for item in client.get("/manage/").context["page"]]
    assert titles == ["Someone else's", "Ready"]


def test_the_menu_links_the_operations_pages_that_exist(client, organizer, ready):
    client.force_login(organizer)
    body = client.get(f"/manage/{ready.pk}/").content.decode()
    for section in ("details", "pages", "phases", "tasks", "leaderboards", "fact-sheet"):
        assert f'href="/manage/{ready.pk}/{section}/"' in body
    assert f'href="/manage/{ready.pk}/submissions/"' in body
    assert 'aria-current="page">Overview</a>' in body


# Creating step by step


def test_the_first_step_creates_an_unpublished_draft_of_mine(client, organizer):
    client.force_login(organizer)
    logo = SimpleUploadedFile("logo.png", PNG, content_type="image/png")
    response = client.post("/manage/new/", details(logo=logo))
    competition = Competition.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/manage/{competition.pk}/pages/"
    assert (competition.title, competition.created_by, competition.published) == (
        "Iris by form",
        organizer,
        False,
    )
    assert (competition.docker_image, competition.auto_run_submissions) == (
        "python:3.12-slim",
        True,
    )
    assert (competition.forum_enabled, competition.enable_detailed_results) == (True, False)
    assert (competition.logo.kind, competition.logo.owner, competition.logo.size) == (
        Data.Kind.LOGO,
        organizer,
        len(PNG),
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": ""}, "title", "This field is required."),
        ({"docker_image": "-rm everything"}, "docker_image", "not a docker image name"),
        ({"contact_email": "nope"}, "contact_email", "Enter a valid email address."),
        (
            {"logo": SimpleUploadedFile("logo.png", b"not an image")},
            "logo",
            "logo.png is not a readable image",
        ),
    ],
)
def test_a_refused_first_step_creates_nothing(client, organizer, changes, field, message):
    client.force_login(organizer)
    response = client.post("/manage/new/", details(**changes))
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert (Competition.objects.count(), Data.objects.count()) == (0, 0)


def test_a_draft_shows_its_steps_and_what_keeps_it_from_taking_submissions(
    client, organizer, draft
):
    client.force_login(organizer)
    response = client.get(f"/manage/{draft.pk}/")
    progress = response.context["progress"]
    assert [(step.name, step.done) for step in progress.steps] == [
        ("details", False),
        ("pages", False),
        ("phases", False),
        ("tasks", False),
        ("leaderboards", False),
        ("fact-sheet", True),
        ("registration", True),
        ("competition", False),
    ]
    assert progress.problems == ["It has no phase: participants submit to a phase."]
    assert "Step 8 of 8" in response.content.decode()


def test_the_whole_wizard_makes_a_competition_that_takes_submissions(client, organizer):
    """Details, pages, a phase, a task with uploads, a leaderboard with an efficiency column,
    a fact sheet, registration; then publish, and a participant's submission is accepted."""
    client.force_login(organizer)
    client.post("/manage/new/", details())
    competition = Competition.objects.get()
    base = f"/manage/{competition.pk}/"
    response = client.post(
        f"{base}pages/",
        {"then": "continue"} | formset("pages", [{"title": "Overview", "content": "# Hi"}]),
    )
    assert response["Location"] == f"{base}phases/"
    now = timezone.now()
    response = client.post(
        f"{base}phases/new/",
        phase_form(
            start=(now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            end="",
            starting_kit_upload=upload("kit.zip", zip_of({"README": "hello"})),
        ),
    )
    assert response.status_code == 302, response.context["form"].errors
    phase = competition.phases.get()
    assert (phase.name, phase.end, phase.max_submissions, phase.execution_time_limit) == (
        "Development",
        None,
        10,
        120,
    )
    assert (phase.starting_kit.kind, phase.starting_kit.name) == (Data.Kind.STARTING_KIT, "kit.zip")
    response = client.post(
        f"{base}tasks/new/",
        {
            "name": "Iris labels",
            "phases": [phase.pk],
            "scoring_program_upload": upload("scoring_program.zip", SCORING_PROGRAM),
            "reference_data_upload": upload("reference.zip", zip_of({"ref.csv": "1\n"})),
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    task = Task.objects.get()
    assert (task.created_by, task.scoring_program.kind, task.reference_data.kind) == (
        organizer,
        Data.Kind.SCORING_PROGRAM,
        Data.Kind.REFERENCE_DATA,
    )
    assert list(phase.phase_tasks.values_list("task", flat=True)) == [task.pk]
    response = client.post(
        f"{base}leaderboards/new/",
        leaderboard_form(
            [
                column(0, "accuracy", "Accuracy", precision="3"),
                column(1, "podium:prediction.wall_time", "Run time", sorting="asc"),
            ],
            phases=[phase.pk],
            frontier_score="accuracy",
            frontier_cost="podium:prediction.wall_time",
        ),
    )
    assert response.status_code == 302, response.context["form"].errors
    board = competition.leaderboards.get()
    assert list(board.columns.values_list("key", "sorting", "precision")) == [
        ("accuracy", "desc", 3),
        ("podium:prediction.wall_time", "asc", 2),
    ]
    assert board.frontier == ("accuracy", "podium:prediction.wall_time")
    response = client.post(
        f"{base}fact-sheet/",
        formset(
            "questions",
            [{"key": "method", "title": "Your method", "type": "text", "is_required": "on"}],
        ),
    )
    assert response.status_code == 302
    response = client.post(
        f"{base}registration/",
        {"registration_auto_approve": "on", "allow_list": ""} | formset("questions", []),
    )
    assert response.status_code == 302
    progress = client.get(base).context["progress"]
    assert (progress.problems, [step.done for step in progress.steps]) == (
        [],
        [True, True, True, True, True, True, True, False],
    )
    assert client.post(f"{base}publish/").status_code == 302
    competition.refresh_from_db()
    assert competition.published is True
    petra = make_user("petra")
    participant = register(user=petra, competition=competition)
    assert participant.status == Participant.Status.APPROVED
    submission = create_submission(
        user=petra,
        phase=phase,
        stream=io.BytesIO(zip_of({"predictions.csv": "1\n"})),
        fact_sheet_answers={"method": "nearest centroid"},
    )
    assert (submission.status, submission.task) == ("submitted", task)


# Details and pages


def test_collaborators_change_the_details(client, collaborator, competition):
    client.force_login(collaborator)
    response = client.post(
        f"/manage/{competition.pk}/details/",
        details(title="Renamed", enable_detailed_results="on", forum_enabled=None),
    )
    assert response.status_code == 302
    competition.refresh_from_db()
    assert (competition.title, competition.enable_detailed_results, competition.forum_enabled) == (
        "Renamed",
        True,
        False,
    )


def test_refused_details_change_nothing(client, organizer, competition):
    client.force_login(organizer)
    response = refused(
        client,
        competition,
        f"/manage/{competition.pk}/details/",
        details(title="Renamed", docker_image="has spaces in it"),
    )
    # The page still shows the saved title, not the refused one.
    assert "<title>Details · Published · Podium</title>" in response.content.decode()


def test_the_pages_are_edited_reordered_and_removed_on_one_form(client, organizer, competition):
    for index, title in enumerate(["Overview", "Data", "Old"]):
        Page.objects.create(competition=competition, index=index, title=title, content=title)
    client.force_login(organizer)
    rows = [
        {"title": "Overview", "content": "Welcome", "ORDER": "2"},
        {"title": "Data", "content": "Data", "ORDER": "1"},
        {"title": "Old", "content": "Old", "ORDER": "3", "DELETE": "on"},
        {"title": "Evaluation", "content": "Accuracy", "ORDER": ""},
    ]
    response = client.post(f"/manage/{competition.pk}/pages/", formset("pages", rows, initial=3))
    assert response.status_code == 302
    assert list(competition.pages.order_by("index").values_list("index", "title", "content")) == [
        (0, "Data", "Data"),
        (1, "Overview", "Welcome"),
        (2, "Evaluation", "Accuracy"),
    ]


# Phases


def test_a_phase_ending_before_it_starts_is_refused_and_nothing_is_saved(
    client, organizer, competition, storage
):
    client.force_login(organizer)
    response = refused(
        client,
        competition,
        f"/manage/{competition.pk}/phases/new/",
        phase_form(end="2029-01-01T00:00", public_data_upload=upload("public.zip", b"data")),
    )
    assert response.context["form"].errors["end"] == ["the phase must end after it starts"]
    # The upload was stored before the phase's rules refused it: its bytes went too.
    assert stored_files(storage) == []


def test_a_phase_is_changed_and_deleted(client, collaborator, ready):
    phase = ready.phases.get()
    client.force_login(collaborator)
    form = client.get(f"/manage/{ready.pk}/phases/{phase.pk}/").context["form"]
    assert form.initial["tasks"] == [phase.phase_tasks.get().task_id]
    response = client.post(
        f"/manage/{ready.pk}/phases/{phase.pk}/",
        phase_form(
            name="Final",
            tasks=form.initial["tasks"],
            leaderboard=str(phase.leaderboard_id),
            max_submissions="",
        ),
    )
    assert response.status_code == 302
    phase.refresh_from_db()
    assert (phase.name, phase.start, phase.max_submissions, phase.leaderboard_id) == (
        "Final",
        datetime(2030, 1, 1, tzinfo=UTC),
        None,
        ready.leaderboards.get().pk,
    )
    assert client.get(f"/manage/{ready.pk}/phases/{phase.pk}/delete/").status_code == 200
    assert client.post(f"/manage/{ready.pk}/phases/{phase.pk}/delete/").status_code == 302
    assert ready.phases.count() == 0


def test_a_phase_of_another_competition_is_not_found(client, organizer, ready, draft):
    other = make_phase(competition=draft)
    client.force_login(organizer)
    assert client.get(f"/manage/{ready.pk}/phases/{other.pk}/").status_code == 404
    assert client.post(f"/manage/{ready.pk}/phases/{other.pk}/delete/").status_code == 404
    assert Phase.objects.filter(pk=other.pk).exists()


def test_the_phases_list_costs_a_handful_of_queries(
    client, organizer, ready, django_assert_max_num_queries
):
    for index in range(1, 6):
        make_phase(competition=ready, name=f"Phase {index}", index=index)
    client.force_login(organizer)
    with django_assert_max_num_queries(10):
        response = client.get(f"/manage/{ready.pk}/phases/")
    assert len(response.context["rows"]) == 6


# Tasks


def test_a_task_without_a_scoring_program_is_refused_and_stores_no_file(
    client, organizer, competition, storage
):
    client.force_login(organizer)
    response = refused(
        client,
        competition,
        f"/manage/{competition.pk}/tasks/new/",
        {"name": "Half", "reference_data_upload": upload("ref.zip", b"reference")},
    )
    assert response.context["form"].errors["scoring_program"] == [
        "A task needs a scoring program: choose one or upload one."
    ]
    assert stored_files(storage) == []


def test_a_file_of_the_wrong_kind_is_refused_by_the_tasks_rules(client, organizer, competition):
    data = make_data(owner=organizer, kind=Data.Kind.INPUT_DATA)
    client.force_login(organizer)
    response = client.post(
        f"/manage/{competition.pk}/tasks/new/",
        {"name": "Wrong", "scoring_program": str(data.pk)},
    )
    # The form offers scoring programs only; a forged id is not among its choices.
    assert response.status_code == 400
    assert "scoring_program" in response.context["form"].errors
    assert Task.objects.count() == 0


def test_a_task_is_reused_from_my_files_and_moved_between_phases(client, organizer, ready):
    program = make_data(owner=organizer, kind=Data.Kind.SCORING_PROGRAM, name="mine.zip")
    first = ready.phases.get()
    second = make_phase(competition=ready, name="Second", index=1)
    client.force_login(organizer)
    response = client.post(
        f"/manage/{ready.pk}/tasks/new/",
        {"name": "Reused", "scoring_program": str(program.pk), "phases": [first.pk, second.pk]},
    )
    assert response.status_code == 302
    task = Task.objects.get(name="Reused")
    assert task.scoring_program == program
    assert list(first.phase_tasks.order_by("index").values_list("task__name", flat=True)) == [
        "Main task",
        "Reused",
    ]
    response = client.post(
        f"/manage/{ready.pk}/tasks/{task.pk}/",
        {"name": "Reused again", "scoring_program": str(program.pk), "phases": [second.pk]},
    )
    assert response.status_code == 302
    assert list(first.phase_tasks.values_list("task__name", flat=True)) == ["Main task"]
    assert list(second.phase_tasks.values_list("task__name", flat=True)) == ["Reused again"]


def test_only_a_tasks_creator_changes_it(client, collaborator, ready):
    task = Task.objects.get()
    client.force_login(collaborator)
    response = client.post(
        f"/manage/{ready.pk}/tasks/{task.pk}/",
        {"name": "Mine now", "scoring_program_upload": upload("s.zip", SCORING_PROGRAM)},
    )
    assert response.status_code == 403
    assert "Only the creator of task" in response.content.decode()
    assert Task.objects.get().name == "Main task"


def test_a_spare_task_is_deleted_from_the_tasks_page_and_audited(client, organizer, ready):
    spare = make_task(owner=organizer, name="Old attempt")
    client.force_login(organizer)
    listed = client.get(f"/manage/{ready.pk}/tasks/").content.decode()
    delete = f"/manage/{ready.pk}/tasks/{spare.pk}/delete/"
    assert f'href="{delete}"' in listed

    asked = client.get(delete)
    done = client.post(delete, follow=True)

    assert asked.status_code == 200
    assert "task &#x27;Old attempt&#x27;" in asked.content.decode()
    assert done.redirect_chain == [(f"/manage/{ready.pk}/tasks/", 302)]
    assert "Task &#x27;Old attempt&#x27; was deleted." in done.content.decode()
    assert list(Task.objects.values_list("name", flat=True)) == ["Main task"]
    entry = AuditEntry.objects.get(action=Action.TASK_DELETE)
    assert (entry.actor, entry.target_id) == (organizer, spare.pk)


def test_a_task_another_competition_runs_is_not_deleted_and_the_page_says_where(
    client, organizer, ready
):
    spare = make_task(owner=organizer, name="Shared")
    elsewhere = make_competition(owner=organizer, title="Other")
    make_phase(competition=elsewhere, name="Main", tasks=[spare])
    client.force_login(organizer)

    done = client.post(f"/manage/{ready.pk}/tasks/{spare.pk}/delete/", follow=True)

    assert done.redirect_chain == [(f"/manage/{ready.pk}/tasks/", 302)]
    assert (
        "Not deleted: task &#x27;Shared&#x27; is still in use: 1 phase(s) of yours run it "
        "(&#x27;Main&#x27; of &#x27;Other&#x27;)." in done.content.decode()
    )
    assert Task.objects.filter(pk=spare.pk).exists()
    assert not AuditEntry.objects.filter(action=Action.TASK_DELETE).exists()


def test_only_a_tasks_creator_deletes_it(client, collaborator, ready):
    task = Task.objects.get()
    client.force_login(collaborator)

    response = client.post(f"/manage/{ready.pk}/tasks/{task.pk}/delete/")

    assert response.status_code == 403
    assert "Only the creator of task &#x27;Main task&#x27; may delete it." in (
        response.content.decode()
    )
    assert Task.objects.filter(pk=task.pk).exists()


def test_the_tasks_list_costs_a_handful_of_queries(
    client, organizer, ready, django_assert_max_num_queries
):
    phase = ready.phases.get()
    for index in range(4):
        task = make_task(owner=organizer, name=f"Extra {index}")
        phase.phase_tasks.create(task=task, index=index + 1)
    client.force_login(organizer)
    with django_assert_max_num_queries(10):
        response = client.get(f"/manage/{ready.pk}/tasks/")
    assert [task.name for task in response.context["used"]] == [
        "Main task",
        "Extra 0",
        "Extra 1",
        "Extra 2",
        "Extra 3",
    ]


# Leaderboards


def test_a_column_with_an_unknown_measurement_is_refused_on_its_row(client, organizer, ready):
    client.force_login(organizer)
    response = refused(
        client,
        ready,
        f"/manage/{ready.pk}/leaderboards/new/",
        leaderboard_form(
            [column(0, "accuracy", "Accuracy"), column(1, "podium:bogus", "Bogus")], key="second"
        ),
    )
    columns = response.context["columns"]
    assert columns.forms[0].errors == {}
    assert columns.forms[1].errors["key"][0].startswith("unknown measurement; known: ")


def test_a_leaderboard_is_changed_keeping_its_columns_and_deleted(client, organizer, ready):
    board = ready.leaderboards.get()
    score = board.columns.get()
    client.force_login(organizer)
    columns = client.get(f"/manage/{ready.pk}/leaderboards/{board.pk}/").context["columns"]
    assert [form.initial["key"] for form in columns.forms[:1]] == ["score"]
    response = client.post(
        f"/manage/{ready.pk}/leaderboards/{board.pk}/",
        leaderboard_form(
            [
                column(0, "score", "Score", id=str(score.pk), sorting="asc"),
                column(1, "mean", "Mean", computation="avg", computation_indexes="0"),
            ],
            initial=1,
            key="main",
            title="Renamed",
            phases=[ready.phases.get().pk],
        ),
    )
    assert response.status_code == 302, response.context["form"].errors
    board.refresh_from_db()
    assert board.title == "Renamed"
    assert list(board.columns.values_list("pk", "key", "sorting", "computation_indexes")) == [
        (score.pk, "score", "asc", None),
        (score.pk + 1, "mean", "desc", [0]),
    ]
    assert client.post(f"/manage/{ready.pk}/leaderboards/{board.pk}/delete/").status_code == 302
    assert Leaderboard.objects.count() == 0
    assert ready.phases.get().leaderboard is None


# Fact sheet and registration


def test_the_fact_sheet_is_checked_by_the_bundle_formats_rules(client, organizer, competition):
    client.force_login(organizer)
    response = refused(
        client,
        competition,
        f"/manage/{competition.pk}/fact-sheet/",
        formset("questions", [{"key": "data", "title": "Data used", "type": "select"}]),
    )
    form = response.context["formset"].forms[0]
    assert form.errors["selection"] == ["a select question needs a list of options"]
    response = client.post(
        f"/manage/{competition.pk}/fact-sheet/",
        formset(
            "questions",
            [
                {"key": "data", "title": "Data used", "type": "select", "selection": "a, b"},
                {"key": "extra", "title": "External data", "type": "checkbox"},
            ],
        ),
    )
    assert response.status_code == 302
    competition.refresh_from_db()
    assert competition.fact_sheet == {
        "data": {
            "key": "data",
            "type": "select",
            "title": "Data used",
            "selection": ["a", "b"],
            "is_required": False,
            "is_on_leaderboard": False,
        },
        "extra": {
            "key": "extra",
            "type": "checkbox",
            "title": "External data",
            "selection": None,
            "is_required": False,
            "is_on_leaderboard": False,
        },
    }


def test_registration_settings_are_saved_through_the_participation_services(
    client, organizer, competition
):
    client.force_login(organizer)
    response = client.post(
        f"/manage/{competition.pk}/registration/",
        {"registration_auto_approve": "on", "allow_list": "Example.org\nada@lab.net\n"}
        | formset(
            "questions",
            [
                {"key": "lab", "label": "Your lab", "kind": "single_choice", "choices": "A\nB"},
                # The blank row a browser sends, its select on its first choice.
                {"key": "", "label": "", "kind": "text", "choices": "", "help_text": ""},
            ],
        ),
    )
    assert response.status_code == 302
    competition.refresh_from_db()
    assert competition.registration_auto_approve is True
    assert list(competition.registration_allow_list.values_list("value", flat=True)) == [
        "ada@lab.net",
        "example.org",
    ]
    assert list(Question.objects.values_list("key", "kind", "choices")) == [
        ("lab", "single_choice", ["A", "B"])
    ]


def test_refused_registration_settings_change_nothing(client, organizer, competition):
    AllowedEmail.objects.create(competition=competition, value="keep.org")
    client.force_login(organizer)
    response = refused(
        client,
        competition,
        f"/manage/{competition.pk}/registration/",
        {"registration_auto_approve": "on", "allow_list": "good.org\nnot an address\n"}
        | formset("questions", [{"key": "Bad Key", "label": "Lab", "kind": "text"}]),
    )
    assert response.context["formset"].forms[0].errors["key"][0].startswith("Use lowercase")
    assert response.context["form"].errors["allow_list"][0].startswith("not an address: ")


# Publishing, deleting, cloning


def test_publish_flips_the_flag_and_is_post_only(client, collaborator, draft):
    client.force_login(collaborator)
    assert client.get(f"/manage/{draft.pk}/publish/").status_code == 405
    assert client.post(f"/manage/{draft.pk}/publish/").status_code == 302
    draft.refresh_from_db()
    assert draft.published is True
    client.post(f"/manage/{draft.pk}/publish/")
    draft.refresh_from_db()
    assert draft.published is False


def test_collaborators_may_not_delete(client, collaborator, draft):
    client.force_login(collaborator)
    assert client.get(f"/manage/{draft.pk}/delete/").status_code == 403
    response = client.post(f"/manage/{draft.pk}/delete/")
    assert response.status_code == 403
    assert "Only the competition&#x27;s owner may delete it" in response.content.decode()
    assert Competition.objects.filter(pk=draft.pk).exists()


def test_a_published_competition_is_unpublished_before_it_is_deleted(
    client, organizer, competition
):
    client.force_login(organizer)
    response = client.post(f"/manage/{competition.pk}/delete/")
    assert response.status_code == 409
    assert "unpublish it before deleting it" in response.content.decode()
    assert Competition.objects.filter(pk=competition.pk).exists()
    client.post(f"/manage/{competition.pk}/publish/")
    response = client.post(f"/manage/{competition.pk}/delete/")
    assert response.status_code == 302
    assert response["Location"] == "/manage/"
    assert not Competition.objects.filter(pk=competition.pk).exists()


def test_a_clone_is_a_new_draft_of_mine_without_participants_or_submissions(
    client, collaborator, organizer
):
    imported = import_bundle(source=EXAMPLES / "iris-results", owner=organizer).competition
    imported.collaborators.add(collaborator)
    imported.published = True
    imported.save()
    petra = make_user("petra")
    make_participant(user=petra, competition=imported)
    Question.objects.create(competition=imported, key="lab", label="Lab", kind="text")
    client.force_login(collaborator)
    response = client.post(f"/manage/{imported.pk}/clone/")
    copy = Competition.objects.exclude(pk=imported.pk).get()
    assert response["Location"] == f"/manage/{copy.pk}/"
    assert (copy.title, copy.created_by, copy.published) == (
        "Iris Species Classification (copy)",
        collaborator,
        False,
    )
    assert (
        copy.participants.count(),
        Submission.objects.filter(phase__competition=copy).count(),
    ) == (
        0,
        0,
    )
    assert list(copy.phases.values_list("name", flat=True)) == ["Development", "Final"]
    assert copy.fact_sheet == imported.fact_sheet
    assert list(copy.registration_questions.values_list("key", flat=True)) == ["lab"]
    cloned = AuditEntry.objects.get(action=Action.COMPETITION_CLONE)
    assert (cloned.actor, cloned.target_id, cloned.competition_id, cloned.details) == (
        collaborator,
        copy.pk,
        imported.pk,
        {"from": imported.pk, "from_title": "Iris Species Classification"},
    )
    assert (
        not Task.objects.filter(phases__competition=copy)
        .filter(phases__competition=imported)
        .exists()
    )


def test_an_incomplete_draft_is_not_cloned_and_says_why(client, organizer, draft):
    client.force_login(organizer)
    response = client.post(f"/manage/{draft.pk}/clone/")
    assert response.status_code == 400
    assert response.context["errors"] == [
        "image: required (the path of the logo file)",
        "terms: 'terms.md' is empty",
        "leaderboards: must hold at least one leaderboard",
        "phases: must hold at least one phase",
    ]
    assert "a clone is made from the competition's bundle" in response.content.decode()
    assert Competition.objects.count() == 1


# Bundles


def test_a_bundle_upload_becomes_a_draft_with_its_warnings(client, organizer):
    client.force_login(organizer)
    bundle = upload("iris.zip", zip_folder(EXAMPLES / "iris-results"))
    response = client.post(
        "/manage/new/bundle/", {"file": bundle}, headers={"Accept": "application/json"}
    )
    competition = Competition.objects.get()
    assert response.status_code == 200
    assert response.json() == {
        "competition": competition.pk,
        "redirect": f"/manage/{competition.pk}/",
        "warnings": [],
    }
    assert (competition.title, competition.created_by, competition.published) == (
        "Iris Species Classification",
        organizer,
        False,
    )


def test_a_broken_bundle_lists_every_problem_with_its_key_path_and_saves_nothing(client, organizer):
    client.force_login(organizer)
    yaml = (EXAMPLES / "iris-results" / "competition.yaml").read_text()
    broken = yaml.replace("title: Iris Species Classification\n", "").replace(
        "tasks: [0]", "tasks: [7]"
    )
    files = {"competition.yaml": broken, "terms.md": "Terms", "logo.png": PNG}
    bundle = upload("broken.zip", zip_of(files))
    response = client.post(
        "/manage/new/bundle/", {"file": bundle}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "title: required" in errors
    assert any(error.startswith("phases[0].tasks") for error in errors)
    assert (Competition.objects.count(), Data.objects.count()) == (0, 0)


def test_without_the_script_a_bundle_posts_as_a_form(client, organizer):
    client.force_login(organizer)
    response = client.post("/manage/new/bundle/", {"file": upload("x.zip", b"not a zip")})
    assert response.status_code == 400
    assert response.context["errors"]
    response = client.post(
        "/manage/new/bundle/", {"file": upload("iris.zip", zip_folder(EXAMPLES / "iris-results"))}
    )
    competition = Competition.objects.get()
    assert response["Location"] == f"/manage/{competition.pk}/"


# Dumps


def test_the_bundle_downloads_and_imports_again(client, organizer, tmp_path):
    original = import_bundle(source=EXAMPLES / "iris-results", owner=organizer).competition
    client.force_login(organizer)
    response = client.get(f"/manage/{original.pk}/dumps/bundle/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    target = tmp_path / "export.zip"
    target.write_bytes(b"".join(response.streaming_content))
    again = import_bundle(source=target, owner=organizer).competition
    assert again.title == original.title


def test_the_results_links_answer_the_organizers(client, organizer, ready):
    client.force_login(organizer)
    body = client.get(f"/manage/{ready.pk}/dumps/").content.decode()
    link = f"/api/competitions/{ready.pk}/results/?format=csv"
    assert link in body
    response = client.get(link)
    assert response.status_code == 200
    assert response.content.decode().splitlines()[0].startswith("phase,leaderboard,rank")


# Files


def test_my_files_show_what_uses_them_and_only_unused_ones_are_deleted(
    client, organizer, outsider, ready, django_assert_max_num_queries
):
    task = Task.objects.get()
    spare = make_data(owner=organizer, kind=Data.Kind.INPUT_DATA, name="spare.zip")
    make_data(owner=outsider, kind=Data.Kind.INPUT_DATA, name="theirs.zip")
    client.force_login(organizer)
    with django_assert_max_num_queries(12):
        response = client.get("/manage/files/")
    rows = {data.name: (uses, unused) for data, uses, unused in response.context["rows"]}
    assert rows == {
        "spare.zip": ([], True),
        "file.zip": (["task 'Main task' (Ready)"], False),
    }
    response = client.post(f"/manage/files/{task.scoring_program_id}/delete/")
    assert response.status_code == 302
    assert Data.objects.filter(pk=task.scoring_program_id).exists()
    client.post(f"/manage/files/{spare.pk}/delete/")
    assert not Data.objects.filter(pk=spare.pk).exists()


def test_files_are_uploaded_and_other_peoples_are_not_found(client, organizer, outsider):
    theirs = make_data(owner=outsider, name="theirs.zip")
    client.force_login(organizer)
    response = client.post(
        "/manage/files/",
        {"kind": "reference_data", "file": upload("labels.zip", b"labels"), "name": ""},
    )
    assert response.status_code == 302
    mine = Data.objects.get(owner=organizer)
    assert (mine.name, mine.kind, mine.size) == ("labels.zip", "reference_data", 6)
    assert status_of(client.get(f"/manage/files/{mine.pk}/download/")) == 200
    assert client.get(f"/manage/files/{theirs.pk}/download/").status_code == 404
    assert client.post(f"/manage/files/{theirs.pk}/delete/").status_code == 404
    assert Data.objects.filter(pk=theirs.pk).exists()


# Collaborators


def test_the_owner_chooses_the_collaborators_by_username_or_address(
    client, organizer, collaborator, competition
):
    make_user("carla")
    client.force_login(organizer)
    response = client.post(
        f"/manage/{competition.pk}/collaborators/", {"names": "carla\ncolin@example.org\n"}
    )
    assert response.status_code == 302
    assert sorted(competition.collaborators.values_list("username", flat=True)) == [
        "carla",
        "colin",
    ]
    entry = AuditEntry.objects.get(action=Action.COLLABORATORS_UPDATE)
    assert (entry.actor, entry.competition_id, entry.details) == (
        organizer,
        competition.pk,
        {"before": ["colin"], "after": ["carla", "colin"]},
    )
    # Saving the same names again changes nothing, and records nothing.
    client.post(f"/manage/{competition.pk}/collaborators/", {"names": "colin\ncarla"})
    assert AuditEntry.objects.filter(action=Action.COLLABORATORS_UPDATE).count() == 1


def test_unknown_names_change_no_collaborator(client, organizer, collaborator, competition):
    client.force_login(organizer)
    response = client.post(f"/manage/{competition.pk}/collaborators/", {"names": "nobody\nolivia"})
    assert response.status_code == 400
    assert response.context["form"].errors["names"] == [
        "no account has the username or email address 'nobody'",
        "olivia owns the competition: the owner organizes it already",
    ]
    assert list(competition.collaborators.all()) == [collaborator]


def test_collaborators_see_the_collaborators_but_do_not_change_them(
    client, collaborator, outsider, competition
):
    client.force_login(collaborator)
    assert (
        "Only the owner changes who organizes"
        in client.get(f"/manage/{competition.pk}/collaborators/").content.decode()
    )
    response = client.post(f"/manage/{competition.pk}/collaborators/", {"names": "oscar"})
    assert response.status_code == 403
    assert list(competition.collaborators.all()) == [collaborator]


# Queries


def test_every_page_costs_a_handful_of_queries(client, organizer, django_assert_max_num_queries):
    competition = import_bundle(source=EXAMPLES / "iris-results", owner=organizer).competition
    phase, board = competition.phases.first(), competition.leaderboards.get()
    client.force_login(organizer)
    base = f"/manage/{competition.pk}/"
    paths = [
        "/manage/",
        "/manage/files/",
        "/manage/new/",
        "/manage/new/bundle/",
        *[path for path in competition_pages(competition) if not path.endswith("bundle/")],
        f"{base}phases/{phase.pk}/",
        f"{base}leaderboards/{board.pk}/",
        f"{base}delete/",
    ]
    for path in paths:
        with django_assert_max_num_queries(12):
            assert client.get(path).status_code == 200, path
