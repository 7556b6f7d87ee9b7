"""Who may call what: every endpoint against every persona, with the exact status code.

An object the caller may not see is 404 whatever the method (HOSTILE C22, C23); one they
may see but not change is 403; anonymous writes are 401. Whenever a call is refused (or
only reads), the database and the storage folder are exactly as before.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from podium.accounts.models import User
from podium.audit import services as audit
from podium.audit.models import Action, AuditEntry
from podium.competitions.models import Competition, Page, Phase, PhaseTask, Task
from podium.datasets.models import Data
from podium.leaderboards.models import Column, Leaderboard
from podium.participation.models import Participant
from podium.submissions.models import StatusChange, Submission, SubmissionScore
from podium.submissions.services import start_submission, transition
from podium_worker.protocol import Status
from tests.conftest import ROLES
from tests.factories import (
    make_data,
    make_leaderboard,
    make_participant,
    make_phase,
    make_task,
    make_user,
)

pytestmark = pytest.mark.django_db

REFUSED = {400, 401, 403, 404, 405, 409}
MODELS = [
    User,
    Competition,
    Page,
    Phase,
    PhaseTask,
    Task,
    Data,
    Leaderboard,
    Column,
    Participant,
    Submission,
    StatusChange,
    SubmissionScore,
    AuditEntry,
]
START = "2030-01-01T00:00:00Z"


def codes(
    anonymous: int,
    outsider: int,
    pending: int,
    participant: int,
    collaborator: int,
    organizer: int,
    admin: int,
) -> dict[str, int]:
    return dict(
        zip(
            ROLES,
            [anonymous, outsider, pending, participant, collaborator, organizer, admin],
            strict=True,
        )
    )


Body = Callable[[dict[str, int]], dict[str, Any]] | None


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # placeholders name objects of the world below
    body: Body
    expected: dict[str, int]
    multipart: bool = False
    # The seed's few GETs that change things (cancel, toggle, re-run): kept for Codabench's
    # scripts, so the table checks them like writes.
    writes: bool = False

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def upload(ids: dict[str, int]) -> dict[str, Any]:
    return {
        "file": SimpleUploadedFile("data.csv", b"a,b\n1,2\n"),
        "kind": "input_data",
        "name": "Data",
    }


EVERYONE = codes(200, 200, 200, 200, 200, 200, 200)
ORGANIZERS_ONLY_SEE = codes(404, 404, 404, 404, 200, 200, 200)
SIGNED_IN_CREATE = codes(401, 201, 201, 201, 201, 201, 201)
ORGANIZERS_CHANGE = codes(401, 403, 403, 403, 200, 200, 200)
ORGANIZERS_CHANGE_DRAFT = codes(401, 404, 404, 404, 200, 200, 200)
# `submission` is the participant's, queued; `finished` the participant's, finished;
# `public_submission` and `rival_submission` are another approved participant's, finished,
# public and private: for them the participant persona is "another participant".
OWNER_AND_ORGANIZERS_SEE = codes(404, 404, 404, 200, 200, 200, 200)
OWNER_AND_ORGANIZERS_CHANGE = codes(401, 404, 404, 200, 200, 200, 200)
ORGANIZERS_CHANGE_PUBLIC = codes(401, 403, 403, 403, 200, 200, 200)


def results_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("predictions.csv", "1\n")
    return buffer.getvalue()


def submission_upload(ids: dict[str, int]) -> dict[str, Any]:
    return {
        "file": SimpleUploadedFile("results.zip", results_zip()),
        "phase": ids["phase"],
    }


CASES = [
    # competitions
    Case("GET", "/api/competitions/", None, EVERYONE),
    Case("POST", "/api/competitions/", lambda ids: {"title": "New"}, SIGNED_IN_CREATE),
    Case("GET", "/api/competitions/{competition}/", None, EVERYONE),
    Case("GET", "/api/competitions/{draft}/", None, ORGANIZERS_ONLY_SEE),
    Case("PUT", "/api/competitions/{competition}/", lambda ids: {"title": "X"}, ORGANIZERS_CHANGE),
    Case("PUT", "/api/competitions/{draft}/", lambda ids: {"title": "X"}, ORGANIZERS_CHANGE_DRAFT),
    Case(
        "PATCH", "/api/competitions/{competition}/", lambda ids: {"title": "X"}, ORGANIZERS_CHANGE
    ),
    Case(
        "PATCH", "/api/competitions/{draft}/", lambda ids: {"title": "X"}, ORGANIZERS_CHANGE_DRAFT
    ),
    Case(
        "DELETE", "/api/competitions/{competition}/", None, codes(401, 403, 403, 403, 403, 204, 204)
    ),
    Case("DELETE", "/api/competitions/{draft}/", None, codes(401, 404, 404, 404, 403, 204, 204)),
    Case("POST", "/api/competitions/{competition}/toggle_publish/", None, ORGANIZERS_CHANGE),
    Case("GET", "/api/competitions/?mine=true", None, codes(401, 200, 200, 200, 200, 200, 200)),
    Case("GET", "/api/competitions/{competition}/export_bundle/", None, ORGANIZERS_CHANGE),
    Case("GET", "/api/competitions/{draft}/export_bundle/", None, ORGANIZERS_CHANGE_DRAFT),
    Case("POST", "/api/competitions/{draft}/toggle_publish/", None, ORGANIZERS_CHANGE_DRAFT),
    Case("GET", "/api/competitions/public/", None, EVERYONE),
    Case("GET", "/api/competitions/front_page/", None, EVERYONE),
    Case("POST", "/api/competitions/{competition}/register/", None, codes(401, *[200] * 6)),
    Case("POST", "/api/competitions/{draft}/register/", None, ORGANIZERS_CHANGE_DRAFT),
    Case("POST", "/api/competitions/upload_bundle/", None, codes(401, *[400] * 6), True),
    # phases
    Case("GET", "/api/phases/", None, EVERYONE),
    Case("GET", "/api/phases/{phase}/", None, EVERYONE),
    Case("GET", "/api/phases/{draft_phase}/", None, ORGANIZERS_ONLY_SEE),
    Case(
        "POST",
        "/api/phases/",
        lambda ids: {
            "competition": ids["competition"],
            "name": "Final",
            "start": START,
            "tasks": [ids["task"]],
        },
        codes(401, 403, 403, 403, 201, 201, 201),
    ),
    Case(
        "POST",
        "/api/phases/",
        lambda ids: {"competition": ids["draft"], "name": "Final", "start": START},
        codes(401, 400, 400, 400, 201, 201, 201),
    ),
    Case(
        "PUT",
        "/api/phases/{phase}/",
        lambda ids: {"competition": ids["competition"], "name": "X", "start": START},
        ORGANIZERS_CHANGE,
    ),
    Case(
        "PUT",
        "/api/phases/{draft_phase}/",
        lambda ids: {"competition": ids["draft"], "name": "X", "start": START},
        ORGANIZERS_CHANGE_DRAFT,
    ),
    Case("PATCH", "/api/phases/{phase}/", lambda ids: {"name": "X"}, ORGANIZERS_CHANGE),
    Case("PATCH", "/api/phases/{draft_phase}/", lambda ids: {"name": "X"}, ORGANIZERS_CHANGE_DRAFT),
    Case("DELETE", "/api/phases/{phase}/", None, codes(401, 403, 403, 403, 204, 204, 204)),
    Case("DELETE", "/api/phases/{draft_phase}/", None, codes(401, 404, 404, 404, 204, 204, 204)),
    # tasks: `task` is the organizer's and used by `phase`; `spare_task` is used by nothing
    Case("GET", "/api/tasks/", None, EVERYONE),
    Case("GET", "/api/tasks/{task}/", None, ORGANIZERS_ONLY_SEE),
    Case("GET", "/api/tasks/{spare_task}/", None, codes(404, 404, 404, 404, 404, 200, 200)),
    Case(
        "POST",
        "/api/tasks/",
        lambda ids: {"name": "New", "scoring_program": ids["public_program"]},
        SIGNED_IN_CREATE,
    ),
    Case(
        "POST",
        "/api/tasks/",
        lambda ids: {"name": "New", "scoring_program": ids["program"]},
        codes(401, 400, 400, 400, 400, 201, 201),
    ),
    Case(
        "PUT",
        "/api/tasks/{task}/",
        lambda ids: {"name": "X", "scoring_program": ids["program"]},
        codes(401, 404, 404, 404, 403, 200, 200),
    ),
    Case(
        "PATCH",
        "/api/tasks/{task}/",
        lambda ids: {"name": "X"},
        codes(401, 404, 404, 404, 403, 200, 200),
    ),
    Case(
        "PATCH",
        "/api/tasks/{spare_task}/",
        lambda ids: {"name": "X"},
        codes(401, 404, 404, 404, 404, 200, 200),
    ),
    Case("DELETE", "/api/tasks/{task}/", None, codes(401, 404, 404, 404, 403, 409, 409)),
    Case("DELETE", "/api/tasks/{spare_task}/", None, codes(401, 404, 404, 404, 404, 204, 204)),
    # datasets: `program` (private) is used by `task`; `public_program` and `spare_data` are not
    Case("GET", "/api/datasets/", None, EVERYONE),
    Case("GET", "/api/datasets/{program}/", None, codes(404, 404, 404, 404, 404, 200, 200)),
    Case("GET", "/api/datasets/{public_program}/", None, EVERYONE),
    Case("POST", "/api/datasets/", upload, SIGNED_IN_CREATE, True),
    Case(
        "PATCH",
        "/api/datasets/{program}/",
        lambda ids: {"name": "X"},
        codes(401, 404, 404, 404, 404, 200, 200),
    ),
    Case(
        "PATCH",
        "/api/datasets/{public_program}/",
        lambda ids: {"name": "X"},
        codes(401, 403, 403, 403, 403, 200, 200),
    ),
    Case(
        "PUT",
        "/api/datasets/{public_program}/",
        lambda ids: {"name": "X", "description": "", "is_public": True},
        codes(401, 403, 403, 403, 403, 200, 200),
    ),
    Case("DELETE", "/api/datasets/{program}/", None, codes(401, 404, 404, 404, 404, 409, 409)),
    Case("DELETE", "/api/datasets/{spare_data}/", None, codes(401, 404, 404, 404, 404, 204, 204)),
    Case(
        "DELETE", "/api/datasets/{public_program}/", None, codes(401, 403, 403, 403, 403, 204, 204)
    ),
    # participants: `approved` is the participant's registration, `registration` the pending one's
    Case("GET", "/api/participants/", None, EVERYONE),
    Case("GET", "/api/participants/{approved}/", None, codes(404, 404, 404, 200, 200, 200, 200)),
    Case(
        "GET", "/api/participants/{registration}/", None, codes(404, 404, 200, 404, 200, 200, 200)
    ),
    Case(
        "POST",
        "/api/participants/{registration}/approve/",
        None,
        codes(401, 404, 403, 404, 200, 200, 200),
    ),
    Case(
        "POST",
        "/api/participants/{registration}/deny/",
        lambda ids: {"reason": "Use your work address"},
        codes(401, 404, 403, 404, 200, 200, 200),
    ),
    Case(
        "POST",
        "/api/participants/{approved}/revoke/",
        lambda ids: {"reason": "Shared accounts"},
        codes(401, 404, 404, 403, 200, 200, 200),
    ),
    # the seed's participant writes (tests/participation/test_authorization_participation.py
    # has the rest): a registration names its competition; a participant withdraws their own
    Case("POST", "/api/participants/", lambda ids: {}, codes(401, *[400] * 6)),
    Case("DELETE", "/api/participants/{approved}/", None, codes(401, 404, 404, *[204] * 4)),
    # submissions
    Case("GET", "/api/submissions/", None, EVERYONE),
    Case(
        "POST",
        "/api/submissions/",
        submission_upload,
        codes(401, 403, 403, 201, 201, 201, 201),
        multipart=True,
    ),
    Case("GET", "/api/submissions/{submission}/", None, OWNER_AND_ORGANIZERS_SEE),
    Case("GET", "/api/submissions/{public_submission}/", None, EVERYONE),
    Case("GET", "/api/submissions/{rival_submission}/", None, ORGANIZERS_ONLY_SEE),
    Case(
        "PATCH",
        "/api/submissions/{submission}/",
        lambda ids: {"fact_sheet_answers": {}},
        OWNER_AND_ORGANIZERS_CHANGE,
    ),
    Case(
        "PATCH",
        "/api/submissions/{public_submission}/",
        lambda ids: {"fact_sheet_answers": {}},
        ORGANIZERS_CHANGE_PUBLIC,
    ),
    Case(
        "PATCH",
        "/api/submissions/{submission}/",
        lambda ids: {"is_public": True},
        codes(401, 404, 404, 200, 403, 403, 403),
    ),
    Case(
        "PUT",
        "/api/submissions/{submission}/",
        lambda ids: {"is_public": False, "fact_sheet_answers": None, "status": "finished"},
        OWNER_AND_ORGANIZERS_CHANGE,
    ),
    Case("DELETE", "/api/submissions/{submission}/", None, codes(401, 404, 404, *[409] * 4)),
    Case("DELETE", "/api/submissions/{finished}/", None, codes(401, 404, 404, *[204] * 4)),
    Case(
        "DELETE",
        "/api/submissions/{public_submission}/",
        None,
        codes(401, 403, 403, 403, 204, 204, 204),
    ),
    Case(
        "GET",
        "/api/submissions/{submission}/cancel_submission/",
        None,
        OWNER_AND_ORGANIZERS_CHANGE,
        writes=True,
    ),
    Case(
        "POST",
        "/api/submissions/{submission}/cancel_submission/",
        None,
        OWNER_AND_ORGANIZERS_CHANGE,
    ),
    Case(
        "POST",
        "/api/submissions/{public_submission}/cancel_submission/",
        None,
        codes(401, 403, 403, 403, 409, 409, 409),
    ),
    Case("GET", "/api/submissions/{finished}/get_detail_result/", None, OWNER_AND_ORGANIZERS_SEE),
    Case("GET", "/api/submissions/{public_submission}/get_detail_result/", None, EVERYONE),
    Case("GET", "/api/submissions/{submission}/get_details/", None, OWNER_AND_ORGANIZERS_SEE),
    Case("GET", "/api/submissions/{public_submission}/get_details/", None, EVERYONE),
    Case(
        "POST",
        "/api/submissions/{finished}/re_run_submission/",
        None,
        codes(401, 404, 404, 403, 201, 201, 201),
    ),
    Case(
        "POST",
        "/api/submissions/{submission}/re_run_submission/",
        None,
        codes(401, 404, 404, 403, 409, 409, 409),
    ),
    Case(
        "GET",
        "/api/submissions/{submission}/toggle_public/",
        None,
        codes(401, 404, 404, 200, 403, 403, 403),
        writes=True,
    ),
    Case(
        "POST",
        "/api/submissions/{public_submission}/toggle_public/",
        None,
        codes(401, 403, 403, 403, 403, 403, 403),
    ),
    Case(
        "PATCH",
        "/api/submissions/{submission}/update_fact_sheet/",
        lambda ids: {},
        OWNER_AND_ORGANIZERS_CHANGE,
    ),
    Case(
        "PATCH",
        "/api/submissions/{public_submission}/update_fact_sheet/",
        lambda ids: {},
        ORGANIZERS_CHANGE_PUBLIC,
    ),
    Case("GET", "/api/phases/{phase}/rerun_submissions/", None, ORGANIZERS_CHANGE, writes=True),
    # phase migration, custom metrics, submission scores, the audit log: `scored` is the
    # participant's finished submission with `score`, `rival_scored` the rival's with
    # `rival_score`; `extra_column` has no score yet
    Case("POST", "/api/phases/{phase}/manually_migrate/", None, ORGANIZERS_CHANGE),
    Case(
        "POST",
        "/api/phases/{draft_phase}/manually_migrate/",
        None,
        codes(401, 404, 404, 404, 400, 400, 400),
    ),
    Case(
        "POST",
        "/api/submissions/{scored}/metrics/",
        lambda ids: {"flops": 1e9},
        codes(401, 404, 404, 403, 200, 200, 200),
    ),
    Case(
        "POST",
        "/api/submissions/{rival_scored}/metrics/",
        lambda ids: {"flops": 1e9},
        codes(401, 404, 404, 404, 200, 200, 200),
    ),
    Case("GET", "/api/submission_scores/", None, EVERYONE),
    Case("GET", "/api/submission_scores/{score}/", None, OWNER_AND_ORGANIZERS_SEE),
    Case("GET", "/api/submission_scores/{rival_score}/", None, ORGANIZERS_ONLY_SEE),
    Case(
        "POST",
        "/api/submission_scores/",
        lambda ids: {"submission": ids["scored"], "column": ids["extra_column"], "value": 0.25},
        codes(401, 400, 400, 403, 201, 201, 201),
    ),
    Case(
        "PUT",
        "/api/submission_scores/{score}/",
        lambda ids: {"value": 0.75},
        codes(401, 404, 404, 403, 200, 200, 200),
    ),
    Case(
        "PATCH",
        "/api/submission_scores/{rival_score}/",
        lambda ids: {"value": 0.75},
        codes(401, 404, 404, 404, 200, 200, 200),
    ),
    Case(
        "DELETE", "/api/submission_scores/{score}/", None, codes(401, 404, 404, 403, 204, 204, 204)
    ),
    Case(
        "POST",
        "/api/upload_submission_scores/{scored}/",
        lambda ids: {"score": 0.3},
        codes(401, 404, 404, 403, 200, 200, 200),
    ),
    Case("GET", "/api/audit/", None, codes(401, 403, 403, 403, 403, 403, 200)),
    Case("GET", "/api/audit/{audit_entry}/", None, codes(401, 403, 403, 403, 403, 403, 200)),
    Case("POST", "/api/phases/{phase}/rerun_submissions/", None, ORGANIZERS_CHANGE),
    Case("POST", "/api/phases/{draft_phase}/rerun_submissions/", None, ORGANIZERS_CHANGE_DRAFT),
    # leaderboards: `board` is the competition's (rule Add, used by `phase`), `hidden_board` a
    # hidden one of it, `draft_board` the draft's (used by `draft_phase`)
    Case("GET", "/api/leaderboards/", None, EVERYONE),
    Case("GET", "/api/leaderboards/{board}/", None, EVERYONE),
    Case("GET", "/api/leaderboards/{hidden_board}/", None, ORGANIZERS_ONLY_SEE),
    Case("GET", "/api/leaderboards/{draft_board}/", None, ORGANIZERS_ONLY_SEE),
    Case(
        "POST",
        "/api/leaderboards/",
        lambda ids: {
            "competition": ids["competition"],
            "key": "new",
            "title": "New",
            "columns": [{"index": 0, "key": "score", "title": "Score"}],
        },
        codes(401, 403, 403, 403, 201, 201, 201),
    ),
    Case(
        "POST",
        "/api/leaderboards/",
        lambda ids: {
            "competition": ids["draft"],
            "key": "new",
            "title": "New",
            "columns": [{"index": 0, "key": "score", "title": "Score"}],
        },
        codes(401, 400, 400, 400, 201, 201, 201),
    ),
    Case(
        "PUT",
        "/api/leaderboards/{board}/",
        lambda ids: {"competition": ids["competition"], "key": "main", "title": "X"},
        ORGANIZERS_CHANGE,
    ),
    Case("PATCH", "/api/leaderboards/{board}/", lambda ids: {"title": "X"}, ORGANIZERS_CHANGE),
    Case(
        "PATCH",
        "/api/leaderboards/{hidden_board}/",
        lambda ids: {"title": "X"},
        codes(401, 404, 404, 404, 200, 200, 200),
    ),
    Case("DELETE", "/api/leaderboards/{board}/", None, codes(401, 403, 403, 403, 204, 204, 204)),
    Case("GET", "/api/phases/{phase}/leaderboard/", None, EVERYONE),
    Case("GET", "/api/phases/{phase}/get_leaderboard/", None, EVERYONE),
    Case("GET", "/api/phases/{draft_phase}/leaderboard/", None, ORGANIZERS_ONLY_SEE),
    Case(
        "POST",
        "/api/submissions/{finished}/submission_leaderboard_connection/",
        None,
        OWNER_AND_ORGANIZERS_CHANGE,
    ),
    Case(
        "POST",
        "/api/submissions/{submission}/submission_leaderboard_connection/",
        None,
        codes(401, 404, 404, 409, 409, 409, 409),
    ),
    Case(
        "POST",
        "/api/submissions/{public_submission}/submission_leaderboard_connection/",
        None,
        ORGANIZERS_CHANGE_PUBLIC,
    ),
    Case(
        "DELETE",
        "/api/submissions/{finished}/submission_leaderboard_connection/",
        None,
        codes(401, 404, 404, 409, 200, 200, 200),
    ),
    Case("GET", "/api/competitions/{competition}/results/", None, EVERYONE),
    Case("GET", "/api/competitions/{draft}/results/", None, ORGANIZERS_ONLY_SEE),
    # workers: no persona's session or token opens the job-secret endpoints
    Case("PUT", "/api/worker/submissions/{submission}/outputs/logs/", None, codes(*[404] * 7)),
    Case(
        "POST",
        "/api/worker/submissions/{submission}/heartbeat/",
        lambda ids: {"attempt": 0, "status": "running"},
        codes(*[404] * 7),
    ),
]


def submission_of(user: User, phase: Phase, *, finished: bool, public: bool = False) -> int:
    submission = start_submission(
        owner=user,
        participant=Participant.objects.get(user=user),
        phase=phase,
        tasks=list(phase.tasks.all()),
        data=make_data(owner=user, kind=Data.Kind.SUBMISSION),
        publish=False,
    )
    if finished:
        for status in (Status.PREPARING, Status.SCORING, Status.FINISHED):
            transition(submission, status)
        submission.detailed_result = make_data(
            owner=user, kind=Data.Kind.OUTPUT, name="detailed_results.html"
        )
        submission.is_public = public
        submission.save()
    return submission.pk


def scoring_world(competition, phase, participant, rival, organizer) -> dict[str, int]:
    """Scores on the leaderboard of `phase`, a phase after it to migrate to, an audit entry."""
    board = Leaderboard.objects.get(competition=competition, key="main")
    score_column = board.columns.get(key="score")
    extra = Column.objects.create(leaderboard=board, index=1, key="extra", title="Extra")
    phase.leaderboard = board
    phase.save()
    make_phase(competition=competition, name="Final", index=1, tasks=list(phase.tasks.all()))
    scored = submission_of(participant, phase, finished=True)
    rival_scored = submission_of(rival, phase, finished=True)
    score = SubmissionScore.objects.create(submission_id=scored, column=score_column, value=0.5)
    rival_score = SubmissionScore.objects.create(
        submission_id=rival_scored, column=score_column, value=0.6
    )
    entry = audit.record(actor=organizer, action=Action.COMPETITION_PUBLISH, target=competition)
    return {
        "extra_column": extra.pk,
        "scored": scored,
        "rival_scored": rival_scored,
        "score": score.pk,
        "rival_score": rival_score.pk,
        "audit_entry": entry.pk,
    }


def leaderboard_world(competition, draft) -> dict[str, int]:
    """The competition's main leaderboard, a hidden one, and the draft's on its phase."""
    draft_board = make_leaderboard(competition=draft)
    Phase.objects.filter(competition=draft).update(leaderboard=draft_board)
    return {
        "board": Leaderboard.objects.get(competition=competition, key="main").pk,
        "hidden_board": make_leaderboard(competition=competition, key="secret", hidden=True).pk,
        "draft_board": draft_board.pk,
    }


@pytest.fixture
def world(competition, draft, organizer, participant, pending) -> dict[str, int]:
    program = make_data(owner=organizer, kind=Data.Kind.SCORING_PROGRAM, name="score.zip")
    public_program = make_data(
        owner=organizer, kind=Data.Kind.SCORING_PROGRAM, name="public.zip", is_public=True
    )
    task = make_task(owner=organizer, name="Main task", scoring_program=program)
    spare_task = make_task(owner=organizer, name="Spare task", scoring_program=program)
    make_leaderboard(competition=competition)
    competition.enable_detailed_results = True
    competition.save()
    phase = make_phase(competition=competition, tasks=[task])
    rival = make_user("rita")
    make_participant(user=rival, competition=competition)
    return {
        "competition": competition.pk,
        "draft": draft.pk,
        "phase": phase.pk,
        "draft_phase": make_phase(competition=draft).pk,
        "task": task.pk,
        "spare_task": spare_task.pk,
        "program": program.pk,
        "public_program": public_program.pk,
        "spare_data": make_data(owner=organizer, name="spare.csv").pk,
        "approved": Participant.objects.get(user=participant).pk,
        "registration": Participant.objects.get(user=pending).pk,
        "submission": submission_of(participant, phase, finished=False),
        "finished": submission_of(participant, phase, finished=True),
        "public_submission": submission_of(rival, phase, finished=True, public=True),
        "rival_submission": submission_of(rival, phase, finished=True),
        **scoring_world(competition, phase, participant, rival, organizer),
        **leaderboard_world(competition, draft),
    }


def snapshot(storage, *more: Any) -> dict[str, Any]:
    """Every row of the watched models (MODELS and `more`) and every stored file."""
    rows = {
        model.__name__: list(model.objects.order_by("pk").values()) for model in (*MODELS, *more)
    }
    files = sorted(str(path) for path in storage.rglob("*")) if storage.exists() else []
    return {"rows": rows, "files": files}


def check(case: Case, client: Any, world: dict[str, int], expected: int, state: Any) -> None:
    """Calls `case` as `client` and asserts its status is `expected`; when the call is
    refused, or only reads, `state()` (the rows and files the table watches) is unchanged.
    Every authorization table runs its cases through this."""
    path = case.path.format(**world)
    body = case.body(world) if case.body else None
    before = state()

    send = getattr(client, case.method.lower())
    if body is None and not case.multipart:
        response = send(path)
    else:
        response = send(path, body or {}, format="multipart" if case.multipart else "json")

    if response.streaming:
        # A streamed answer (a bundle export) holds its file until read to its end, when
        # the test client closes it, as a server does.
        b"".join(response.streaming_content)
    assert response.status_code == expected, response.content
    if (case.method == "GET" and not case.writes) or response.status_code in REFUSED:
        assert state() == before


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_who_may_call_what(case, role, world, personas, api, storage):
    check(case, api(personas[role]), world, case.expected[role], lambda: snapshot(storage))
