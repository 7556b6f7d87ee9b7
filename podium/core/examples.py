"""The one small world the API's documented examples are drawn from.

Every example in the OpenAPI schema (what Swagger UI and Redoc show) describes this world, so
that an id, a name or a date means the same thing on every endpoint:

    users          olivia (1) organizes, colin (2) organizes with her, alice (3) and bruno (4)
                   take part, ada (5) is a platform admin
    competition 1  "Iris classification", published, with an Overview and an Evaluation page
    phases         1 "Development" (open now), 2 "Final" (next)
    task 1         "Iris species": scoring program 2, ingestion program 3, input data 4,
                   reference data 5; starting kit 6 and public data 7 on the Development phase
    leaderboard 1  "main": accuracy, macro F1 and the prediction's run time
    submissions    3 (alice's, finished and on the leaderboard), 4 (alice's, running),
                   5 (bruno's, finished)
    organization 1 "Petal Pushers": alice owns it, bruno submits for it

Values are plain JSON, exactly as the API writes them (dates in UTC with a Z, ids as
numbers). `tests/api/test_examples.py` checks each example against its operation's schema,
and a few against what the API really answers for the same rows.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample

SITE = "https://podium.example.org"


def response(
    value: Any,
    name: str = "Response",
    *,
    summary: str = "",
    status: int | None = None,
    media_type: str | None = None,
) -> OpenApiExample:
    """What an operation answers. Without `status`, shown for 200 and 201; a list operation
    shows it as the one result of a page."""
    return OpenApiExample(
        name,
        value=value,
        summary=summary,
        response_only=True,
        status_codes=None if status is None else [str(status)],
        media_type=media_type,
    )


def request(
    value: Any,
    name: str = "Request",
    *,
    summary: str = "",
    media_type: str | None = None,
) -> OpenApiExample:
    """What an operation takes, as JSON unless `media_type` says otherwise (multipart
    examples show the fields other than the file)."""
    return OpenApiExample(
        name, value=value, summary=summary, request_only=True, media_type=media_type
    )


# People

OLIVIA, COLIN, ALICE, BRUNO, ADA = "olivia", "colin", "alice", "bruno", "ada"

PROFILE: dict[str, Any] = {
    "username": ALICE,
    "display_name": "Alice Martin",
    "bio": "PhD student working on small-data classification.",
    "location": "Lyon, France",
    "website": "https://alice.example.org",
    "affiliations": ["Université de Lyon"],
    "github": "alice-martin",
    "orcid": "0000-0002-1825-0097",
    "google_scholar": "https://scholar.google.com/citations?user=aB3dEfGhIjkC",
    "linkedin": "",
    "avatar": "/avatars/3/5f2b9c0e4d1a7e36.webp",
    "date_joined": "2025-01-02T16:40:00Z",
}

PROFILE_CHANGES: dict[str, Any] = {
    "display_name": "Alice Martin",
    "location": "Lyon, France",
    "affiliations": ["Université de Lyon"],
    "website": "https://alice.example.org",
}

MY_ACCOUNT: dict[str, Any] = {
    **PROFILE,
    "email": "alice@example.org",
    "email_verified": True,
    "terms_accepted_at": "2025-01-02T16:40:00Z",
    "links": {
        "notification_preferences": "/api/notification_preferences/",
        "tokens": "/api/users/me/tokens/",
        "change_email": "/accounts/email/",
        "change_password": "/accounts/password/change/",
        "terms": "/terms/",
    },
}

API_TOKEN: dict[str, Any] = {
    "id": 1,
    "name": "laptop",
    "created": "2025-01-16T08:05:00Z",
    "last_used": "2025-02-03T10:14:00Z",
    "expires": None,
}

NEW_API_TOKEN: dict[str, Any] = {
    "id": 2,
    "name": "podium CLI on gpu-box",
    "token": "pdt_aa57912d6365bab06287a6699ea19a89660c4234",
    "created": "2025-02-03T09:58:00Z",
    "last_used": None,
    "expires": "2025-05-04T09:58:00Z",
}

PREFERENCES: dict[str, Any] = {
    "registration": True,
    "announcement": True,
    "forum": False,
    "submission": True,
    "organizer": "daily",
    "unsubscribed_competitions": [],
}


# Data files


def data_file(
    id: int, kind: str, name: str, sha256: str, size: int, *, owner: str = OLIVIA
) -> dict[str, Any]:
    return {
        "id": id,
        "key": f"7c1e4a2b-0d3f-4e5a-9b6c-{id:012d}",
        "kind": kind,
        "name": name,
        "description": "",
        "owner": owner,
        "is_public": False,
        "sha256": sha256,
        "size": size,
        "file": f"blobs/{sha256[:2]}/{sha256}",
        "created_at": "2025-01-06T09:00:00Z",
        "updated_at": "2025-01-06T09:00:00Z",
    }


SCORING_PROGRAM = {
    **data_file(
        2,
        "scoring_program",
        "scoring_program.zip",
        "6c95538d8e8c70504d144272598e7682d7c215f8b0f7359261ba3d828c36ce49",
        2_348,
    ),
    "description": "Computes accuracy and macro F1 against the reference labels.",
}
INPUT_DATA = data_file(
    4,
    "input_data",
    "iris-test-features.zip",
    "c96c6d5be8d08a12e7b5cdc1b207fa6b2430974c86803d8891675e76fd992c20",
    1_517,
)
ALICE_PREDICTIONS = {
    **data_file(
        9,
        "submission",
        "predictions.zip",
        "f219f19cb252fd27e3976e0ab8b0492f9075f60357c5c3dc943fb32c79733308",
        412,
        owner=ALICE,
    ),
    "created_at": "2025-02-03T10:15:00Z",
    "updated_at": "2025-02-03T10:15:00Z",
}
ALICE_OLD_PREDICTIONS = {
    **ALICE_PREDICTIONS,
    "id": 10,
    "key": "7c1e4a2b-0d3f-4e5a-9b6c-000000000010",
    "name": "predictions-v1.zip",
    "sha256": "efa1f375d76194fa51a3556a97e641e61685f914d446979da50a551a4333ffd7",
    "size": 398,
    "created_at": "2025-01-28T17:02:00Z",
    "updated_at": "2025-01-28T17:02:00Z",
}


def file_summary(data: dict[str, Any]) -> dict[str, Any]:
    """A file as data groups and the quota cleanup list it."""
    return {name: data[name] for name in ("id", "key", "kind", "name", "size", "created_at")}


DATA_GROUP: dict[str, Any] = {
    "id": 1,
    "name": "Iris test set",
    "description": "The features and labels the Development phase scores against.",
    "owner": OLIVIA,
    "data": [4, 5],
    "files": [
        file_summary(INPUT_DATA),
        file_summary(
            data_file(
                5,
                "reference_data",
                "iris-test-labels.zip",
                "52367a6622b19f08825e915fad80c542ad4f4c34dbcebad9f5007994b3e39208",
                488,
            )
        ),
    ],
    "size": 2_005,
    "created_at": "2025-01-06T09:05:00Z",
    "updated_at": "2025-01-06T09:05:00Z",
}

QUOTA_CLEANUP: dict[str, Any] = {
    "quota_bytes": 21_474_836_480,
    "used_bytes": 810,
    "reclaimable_bytes": 398,
    "files": [file_summary(ALICE_OLD_PREDICTIONS)],
}


# Competitions, phases and tasks

COMPETITION_KEY = "0b5e4c1a-7d2f-4e8b-9a3c-5f6d7e8a9b10"
TERMS = "Use only the data provided. One account per person; teams submit as an organization."
TERMS_SHA256 = "d692d27d0dd5eeaa9a6076c19053c90aec8b7c8a05020d560abeaca9f8c222bb"  # of TERMS
FACT_SHEET = {
    "method": {
        "title": "Method",
        "type": "text",
        "is_required": True,
        "is_on_leaderboard": True,
    },
    "external_data": {"title": "Uses external data", "type": "checkbox"},
}
FACT_SHEET_ANSWERS: dict[str, Any] = {"method": "Random forest, 200 trees", "external_data": False}

COMPETITION_SUMMARY: dict[str, Any] = {
    "id": 1,
    "key": COMPETITION_KEY,
    "title": "Iris classification",
    "description": "Predict the species of an iris from the size of its sepals and petals.",
    "competition_type": "competition",
    "logo": 1,
    "created_by": OLIVIA,
    "published": True,
    "created_at": "2025-01-06T09:00:00Z",
}

PAGES = [
    {
        "index": 0,
        "title": "Overview",
        "content": "# Iris classification\n\n150 flowers, three species, four measurements.",
    },
    {
        "index": 1,
        "title": "Evaluation",
        "content": "Submissions are ranked by accuracy on the test set; ties by macro F1.",
    },
]

PHASE_SUMMARIES = [
    {
        "id": 1,
        "index": 0,
        "name": "Development",
        "start": "2025-01-15T00:00:00Z",
        "end": "2025-03-31T23:59:59Z",
    },
    {
        "id": 2,
        "index": 1,
        "name": "Final",
        "start": "2025-04-01T00:00:00Z",
        "end": "2025-04-30T23:59:59Z",
    },
]

# What an organizer writes to create or replace a competition.
COMPETITION_SETTINGS: dict[str, Any] = {
    "title": "Iris classification",
    "description": COMPETITION_SUMMARY["description"],
    "terms": TERMS,
    "contact_email": "iris-organizers@example.org",
    "reward": "A talk at the workshop for the winning team",
    "competition_type": "competition",
    "registration_auto_approve": False,
    "docker_image": "python:3.12-slim",
    "queue": None,
    "make_programs_available": False,
    "make_input_data_available": False,
    "enable_detailed_results": True,
    "show_detailed_results_in_submission_panel": True,
    "show_detailed_results_in_leaderboard": False,
    "auto_run_submissions": True,
    "can_participants_make_submissions_public": True,
    "forum_enabled": True,
    "fact_sheet": FACT_SHEET,
    "pages": PAGES,
}

COMPETITION: dict[str, Any] = {
    "id": 1,
    "key": COMPETITION_KEY,
    **COMPETITION_SETTINGS,
    "logo": 1,
    "published": True,
    "created_by": OLIVIA,
    "collaborators": [COLIN],
    "is_organizer": True,
    "created_at": "2025-01-06T09:00:00Z",
    "updated_at": "2025-01-10T14:30:00Z",
    "bundle": 8,
    "phases": PHASE_SUMMARIES,
    "leaderboards": [{"id": 1, "index": 0, "title": "Results", "key": "main", "hidden": False}],
}

NEW_COMPETITION_SETTINGS: dict[str, Any] = {
    **COMPETITION_SETTINGS,
    "title": "Iris classification 2026",
}

# A competition just created through the API: no logo, bundle, phases or leaderboards yet.
NEW_COMPETITION: dict[str, Any] = {
    **COMPETITION,
    **NEW_COMPETITION_SETTINGS,
    "id": 2,
    "key": "df6586a4-b7b6-4ac0-acb2-7ec1c7c71310",
    "logo": None,
    "published": False,
    "collaborators": [],
    "created_at": "2025-02-10T08:00:00Z",
    "updated_at": "2025-02-10T08:00:00Z",
    "bundle": None,
    "phases": [],
    "leaderboards": [],
}

FRONT_PAGE: dict[str, Any] = {
    "competitions": [COMPETITION_SUMMARY],
    "counts": {"competitions": 1, "participants": 2, "submissions": 6},
}

BUNDLE_IMPORT: dict[str, Any] = {
    "competition": 1,
    "title": "Iris classification",
    "phases": [
        {"id": 1, "name": "Development", "tasks": [1]},
        {"id": 2, "name": "Final", "tasks": [1]},
    ],
    "tasks": [{"id": 1, "name": "Iris species"}],
    "leaderboards": [{"key": "main", "columns": ["accuracy", "f1", "podium:prediction.wall_time"]}],
    "solutions": 1,
    "warnings": ["pages[1].content: the image evaluation.png is not in the bundle"],
}

PHASE_SETTINGS: dict[str, Any] = {
    "competition": 1,
    "index": 0,
    "name": "Development",
    "description": "Tune your model on the public test set; scores are shown at once.",
    "start": "2025-01-15T00:00:00Z",
    "end": "2025-03-31T23:59:59Z",
    "tasks": [1],
    "max_submissions": 100,
    "max_submissions_per_day": 5,
    "execution_time_limit": 600,
    "auto_migrate_to_this_phase": False,
    "hide_output": False,
    "hide_prediction_output": False,
    "hide_score_output": False,
    "starting_kit": 6,
    "public_data": 7,
    "leaderboard": 1,
}

PHASE: dict[str, Any] = {
    "competition": 1,
    "id": 1,
    **PHASE_SETTINGS,
    "status": "current",
    "has_been_migrated": False,
}

TASK_SETTINGS: dict[str, Any] = {
    "name": "Iris species",
    "description": "Predict the species of each flower of the test set.",
    "is_public": False,
    "scoring_program": 2,
    "ingestion_program": 3,
    "input_data": 4,
    "reference_data": 5,
    "ingestion_only_during_scoring": False,
}

TASK: dict[str, Any] = {
    "id": 1,
    "key": "e18ec5bd-4e42-4fd3-a60f-b715ccbd1435",
    **TASK_SETTINGS,
    "created_by": OLIVIA,
    "created_at": "2025-01-06T09:00:00Z",
    "updated_at": "2025-01-06T09:00:00Z",
}


# Registrations

QUESTIONS = [
    {
        "key": "affiliation",
        "label": "University or company",
        "kind": "text",
        "required": False,
        "choices": [],
        "help_text": "",
    },
    {
        "key": "role",
        "label": "You are",
        "kind": "single_choice",
        "required": False,
        "choices": ["Student", "Researcher", "Engineer"],
        "help_text": "Only used for the organizers' statistics.",
    },
]
ANSWERS = {"affiliation": "Université de Lyon", "role": "Student"}

REGISTRATION_FORM: dict[str, Any] = {
    "terms_sha256": TERMS_SHA256,
    "auto_approve": False,
    "questions": QUESTIONS,
}

PARTICIPANT: dict[str, Any] = {
    "id": 1,
    "user": ALICE,
    "email": "alice@example.org",
    "competition": 1,
    "status": "approved",
    "reason": "",
    "organization": None,
    "decided_by": OLIVIA,
    "decided_at": "2025-01-16T09:00:00Z",
    "created_at": "2025-01-16T08:12:00Z",
    "answers": ANSWERS,
    "terms_accepted_at": "2025-01-16T08:12:00Z",
    "terms_sha256": TERMS_SHA256,
    "applications": [
        {
            "number": 1,
            "submitted_at": "2025-01-16T08:12:00Z",
            "updated_at": "2025-01-16T09:00:00Z",
            "status": "approved",
            "reason": "",
            "decided_by": OLIVIA,
            "decided_at": "2025-01-16T09:00:00Z",
            "approved_by_rule": "",
            "terms_sha256": TERMS_SHA256,
            "terms_accepted_at": "2025-01-16T08:12:00Z",
            "questions": QUESTIONS,
            "answers": ANSWERS,
        }
    ],
}


def participant_now(status: str, *, reason: str = "") -> dict[str, Any]:
    """Alice's registration after an organizer's decision."""
    application = {
        **PARTICIPANT["applications"][0],
        "status": status,
        "reason": reason,
        "updated_at": "2025-02-10T11:20:00Z",
        "decided_at": "2025-02-10T11:20:00Z",
    }
    return {
        **PARTICIPANT,
        "status": status,
        "reason": reason,
        "decided_at": "2025-02-10T11:20:00Z",
        "applications": [application],
    }


PENDING_PARTICIPANT: dict[str, Any] = {
    **PARTICIPANT,
    "status": "pending",
    "decided_by": None,
    "decided_at": None,
    "applications": [
        {
            **PARTICIPANT["applications"][0],
            "status": "pending",
            "updated_at": "2025-01-16T08:12:00Z",
            "decided_by": None,
            "decided_at": None,
        }
    ],
}

# What POST /api/competitions/{id}/register/ makes: it takes no answers, and accepts the terms.
REGISTERED: dict[str, Any] = {
    **PENDING_PARTICIPANT,
    "answers": {},
    "applications": [{**PENDING_PARTICIPANT["applications"][0], "answers": {}}],
}

REGISTRATION_REQUEST: dict[str, Any] = {
    "competition": 1,
    "accept_terms": True,
    "terms_sha256": TERMS_SHA256,
    "answers": ANSWERS,
}

ORGANIZER_EMAIL: dict[str, Any] = {
    "id": 1,
    "subject": "The Final phase opens on April 1",
    "body": "The Final phase opens on April 1 at 00:00 UTC, with 3 submissions in all.",
    "sender": OLIVIA,
    "audience": {"status": "approved"},
    "created_at": "2025-03-25T10:00:00Z",
    "recipients": 2,
    "queued": 0,
    "sent": 2,
    "skipped": 0,
    "failed": 0,
}

APPLICANTS_KEY: dict[str, Any] = {
    "id": 1,
    "name": "Lab CRM export",
    "prefix": "pdk_xEbG07ud",
    "created_by": OLIVIA,
    "created_at": "2025-01-20T13:00:00Z",
    "revoked_at": None,
    "last_used_at": "2025-02-10T06:00:00Z",
}

CONTACT_REQUEST: dict[str, Any] = {
    "id": 1,
    "competition": 1,
    "subject": "Can we use pretrained models?",
    "body": "Hello, may we start from a model pretrained on another flower data set?",
    "created_at": "2025-02-05T15:30:00Z",
}


# Submissions and scores

SUBMISSION: dict[str, Any] = {
    "id": 3,
    "owner": ALICE,
    "phase": 1,
    "task": 1,
    "parent": None,
    "children": [],
    "organization": None,
    "status": "finished",
    "status_detail": "",
    "is_public": False,
    "is_baseline": False,
    "fact_sheet_answers": FACT_SHEET_ANSWERS,
    "leaderboard": 1,
    "created_at": "2025-02-03T10:15:00Z",
    "started_at": "2025-02-03T10:15:04Z",
    "finished_at": "2025-02-03T10:16:12Z",
}

RUNNING_SUBMISSION: dict[str, Any] = {
    **SUBMISSION,
    "id": 4,
    "status": "running",
    "leaderboard": None,
    "created_at": "2025-02-10T11:00:00Z",
    "started_at": "2025-02-10T11:00:03Z",
    "finished_at": None,
}

NEW_SUBMISSION: dict[str, Any] = {
    **SUBMISSION,
    "id": 6,
    "status": "submitted",
    "leaderboard": None,
    "created_at": "2025-02-10T11:30:00Z",
    "started_at": None,
    "finished_at": None,
}

SCORES = {"accuracy": 0.9667, "f1": 0.9662, "podium:prediction.wall_time": 1.84}
MACHINE = {"cpu": "Xeon Gold 6130", "cores": 16, "memory": 68_719_476_736, "gpus": []}
METRICS = {
    "hardware": MACHINE,
    "prediction": {"wall_time": 1.84, "cpu_time": 1.79, "peak_memory": 88_342_528},
    "scoring": {"wall_time": 0.41, "cpu_time": 0.38, "peak_memory": 41_943_040},
}


def signed(token: str) -> str:
    return f"{SITE}/files/{token}/"


SUBMISSION_DETAILS: dict[str, Any] = {
    "id": 3,
    "status": "finished",
    "status_detail": "",
    "status_history": [
        {
            "from_status": "submitting",
            "to_status": "submitted",
            "detail": "",
            "at": "2025-02-03T10:15:00Z",
        },
        {
            "from_status": "submitted",
            "to_status": "preparing",
            "detail": "",
            "at": "2025-02-03T10:15:04Z",
        },
        {
            "from_status": "preparing",
            "to_status": "running",
            "detail": "",
            "at": "2025-02-03T10:15:09Z",
        },
        {
            "from_status": "running",
            "to_status": "scoring",
            "detail": "",
            "at": "2025-02-03T10:15:58Z",
        },
        {
            "from_status": "scoring",
            "to_status": "finished",
            "detail": "",
            "at": "2025-02-03T10:16:12Z",
        },
    ],
    "log_tail": "[scoring] accuracy=0.9667 f1=0.9662\n[scoring] wrote scores.json\n",
    "metrics": METRICS,
    "scores": SCORES,
    "children": [],
    "files": {
        "submission": signed("eyJrZXkiOiI3YzFlNGEyYi0wMDA5In0:1tXyZa:q2VhS1nQ"),
        "predictions": signed("eyJrZXkiOiI3YzFlNGEyYi0wMDExIn0:1tXyZa:Hk3Lw9aC"),
        "scoring_output": signed("eyJrZXkiOiI3YzFlNGEyYi0wMDEyIn0:1tXyZa:Zp0Qm4Rt"),
        "detailed_results": signed("eyJrZXkiOiI3YzFlNGEyYi0wMDEzIn0:1tXyZa:Lr8Ve2Ys"),
        "logs": signed("eyJrZXkiOiI3YzFlNGEyYi0wMDE0In0:1tXyZa:Wd5Nb7Jx"),
    },
}

DETAILED_RESULT: dict[str, Any] = {
    "url": SUBMISSION_DETAILS["files"]["detailed_results"],
    "name": "detailed_results.html",
    "size": 18_204,
}

SUBMISSION_SCORE: dict[str, Any] = {
    "submission": 3,
    "id": 7,
    "column": 1,
    "key": "accuracy",
    "leaderboard": 1,
    "value": 0.9667,
}

UPLOADED_SCORES: dict[str, Any] = {"submission": 3, "scores": SCORES}

CUSTOM_METRICS: dict[str, Any] = {
    "submission": 3,
    "custom": {"flops": 1_200_000.0, "parameters": 3_210.0},
    "scores": SCORES,
}

ENTRIES: dict[str, Any] = {
    "submission": 3,
    "leaderboard": 1,
    "on_leaderboard": True,
    "entries": [3],
}

WORKER_REPORT: dict[str, Any] = {
    "attempt": 1,
    "status": "finished",
    "detail": "",
    "run": "gpu-box-01:7f3a",
    "log_tail": "[scoring] accuracy=0.9667 f1=0.9662\n",
    "scores": {"accuracy": 0.9667, "f1": 0.9662},
    "metrics": METRICS,
}

WORKER_HEARTBEAT: dict[str, Any] = {
    "attempt": 1,
    "status": "running",
    "detail": "",
    "run": "gpu-box-01:7f3a",
    "log_tail": "[prediction] loaded 30 test flowers\n",
}


# Leaderboards

COLUMNS = [
    {
        "id": 1,
        "index": 0,
        "title": "Accuracy",
        "key": "accuracy",
        "sorting": "desc",
        "computation": "",
        "computation_indexes": None,
        "hidden": False,
        "precision": 4,
    },
    {
        "id": 2,
        "index": 1,
        "title": "Macro F1",
        "key": "f1",
        "sorting": "desc",
        "computation": "",
        "computation_indexes": None,
        "hidden": False,
        "precision": 4,
    },
    {
        "id": 3,
        "index": 2,
        "title": "Run time (s)",
        "key": "podium:prediction.wall_time",
        "sorting": "asc",
        "computation": "",
        "computation_indexes": None,
        "hidden": False,
        "precision": 2,
    },
]

LEADERBOARD: dict[str, Any] = {
    "id": 1,
    "competition": 1,
    "index": 0,
    "title": "Results",
    "key": "main",
    "hidden": False,
    "submission_rule": "Add_And_Delete",
    "primary_index": 0,
    "release_date": None,
    "anonymous": False,
    "frontier": None,
    "columns": COLUMNS,
    "phases": [1, 2],
}

LEADERBOARD_SETTINGS: dict[str, Any] = {
    name: value for name, value in LEADERBOARD.items() if name != "id"
} | {
    "columns": [
        {name: value for name, value in column.items() if name != "id"} for column in COLUMNS
    ]
}


def board_column(column: dict[str, Any]) -> dict[str, Any]:
    names = ("key", "title", "index", "sorting", "computation", "precision", "hidden")
    return {name: column[name] for name in names}


def row(
    rank: int | None,
    participant: str,
    submission: int,
    scores: dict[str, float],
    *,
    organization: str | None = None,
    mine: bool = False,
    method: str | None = None,
) -> dict[str, Any]:
    """A leaderboard row; without a rank, the organizers' baseline."""
    precision = {column["key"]: column["precision"] for column in COLUMNS}
    return {
        "rank": rank,
        "rank_label": "" if rank is None else str(rank),
        "participant": participant,
        "organization": organization,
        "submission": submission,
        "is_baseline": rank is None,
        "is_mine": mine,
        "scores": scores,
        "display": {key: f"{value:.{precision[key]}f}" for key, value in scores.items()},
        "tasks": [],
        "fact_sheet": {} if method is None else {"method": method},
        "on_frontier": None,
        "hardware_note": None,
    }


PHASE_LEADERBOARD: dict[str, Any] = {
    "phase": 1,
    "leaderboard": {
        "id": 1,
        "key": "main",
        "title": "Results",
        "submission_rule": "Add_And_Delete",
        "hidden": False,
        "anonymous": False,
        "release_date": None,
        "primary_key": "accuracy",
        "frontier": None,
    },
    "columns": [board_column(column) for column in COLUMNS],
    "tasks": [],
    "fact_sheet": [{"key": "method", "title": "Method"}],
    "hardware": "Xeon Gold 6130, 16 cores, 64.0 GiB",
    "count": 3,
    "next": None,
    "previous": None,
    "results": [
        row(1, ALICE, 3, SCORES, mine=True, method=FACT_SHEET_ANSWERS["method"]),
        row(
            2,
            BRUNO,
            5,
            {"accuracy": 0.9333, "f1": 0.9327, "podium:prediction.wall_time": 0.62},
            organization="Petal Pushers",
            method="Logistic regression",
        ),
        row(
            None,
            OLIVIA,
            1,
            {"accuracy": 0.9, "f1": 0.8997, "podium:prediction.wall_time": 0.35},
        ),
    ],
}

RESULTS: dict[str, Any] = {
    "competition": 1,
    "title": "Iris classification",
    "phases": [PHASE_LEADERBOARD],
}

RESULTS_CSV = (
    "phase,leaderboard,rank,participant,organization,submission,is_baseline,on_frontier,"
    "hardware_note,accuracy,f1,podium:prediction.wall_time,fact_sheet: method\r\n"
    '1,main,1,alice,,3,False,,,0.9667,0.9662,1.84,"Random forest, 200 trees"\r\n'
    "1,main,2,bruno,Petal Pushers,5,False,,,0.9333,0.9327,0.62,Logistic regression\r\n"
    "1,main,,olivia,,1,True,,,0.9,0.8997,0.35,\r\n"
)


# Organizations

MEMBERS = [
    {"id": 1, "user": ALICE, "group": "owner", "joined_at": "2025-01-18T12:00:00Z"},
    {"id": 2, "user": BRUNO, "group": "participant", "joined_at": "2025-01-19T08:30:00Z"},
]

INVITE: dict[str, Any] = {
    "id": 1,
    "organization": 1,
    "organization_name": "Petal Pushers",
    "email": "carol@example.org",
    "group": "participant",
    "status": "open",
    "invited_by": ALICE,
    "expires_at": "2025-02-24T12:00:00Z",
    "accepted_at": None,
    "declined_at": None,
}

ORGANIZATION_SETTINGS: dict[str, Any] = {
    "name": "Petal Pushers",
    "description": "Two botanists and a statistician.",
    "website": "https://petal-pushers.example.org",
    "email": "team@petal-pushers.example.org",
}

ORGANIZATION: dict[str, Any] = {
    "id": 1,
    "name": "Petal Pushers",
    "description": ORGANIZATION_SETTINGS["description"],
    "website": ORGANIZATION_SETTINGS["website"],
    "created_at": "2025-01-18T12:00:00Z",
    "member_count": 2,
    "my_group": "owner",
    "email": ORGANIZATION_SETTINGS["email"],
    "members": MEMBERS,
    "invites": [INVITE],
}


# Queues

QUEUE_SETTINGS: dict[str, Any] = {
    "name": "Iris GPU queue",
    "organizers": [COLIN],
    "is_public": False,
    "exclusive": True,
    "broker_url": "amqps://iris:s3cret@rabbit.lab.example.org:5671/podium",
}

QUEUE: dict[str, Any] = {
    "id": 1,
    **QUEUE_SETTINGS,
    "owner": OLIVIA,
    "key": "adbaeb41-1ebf-472b-9424-456b5e9bdb80",
    "broker_queue": "podium-adbaeb41-1ebf-472b-9424-456b5e9bdb80",
    "created_at": "2025-01-05T17:00:00Z",
    "updated_at": "2025-01-05T17:00:00Z",
}


# Uploads

UPLOAD_ID = "3fdbe0e3-1258-4444-b7a0-8ad523a3444d"

UPLOAD: dict[str, Any] = {
    "id": UPLOAD_ID,
    "name": "predictions.zip",
    "size": 1_073_741_824,
    "received": 0,
    "status": "pending",
    "created": "2025-02-10T11:25:00Z",
    "expires_at": "2025-02-11T11:25:00Z",
    "data": None,
    "method": "put",
    "url": f"/api/uploads/{UPLOAD_ID}/content/",
    "part_size": 0,
    "parts": None,
}

COMPLETE_UPLOAD: dict[str, Any] = {
    **UPLOAD,
    "received": 1_073_741_824,
    "status": "complete",
    "data": 11,
    "url": None,
}

S3_UPLOAD: dict[str, Any] = {
    **UPLOAD,
    "size": 20_971_520,
    "method": "parts",
    "url": None,
    "part_size": 8_388_608,
    "parts": [
        {
            "number": number,
            "url": "https://s3.example.org/podium/uploads/3fdbe0e3-1258-4444-b7a0-8ad523a3444d"
            f"?partNumber={number}&uploadId=2~bX4kY&X-Amz-Signature=9c1f{number:02d}",
        }
        for number in range(1, 4)
    ],
}


# Forums

FORUM: dict[str, Any] = {
    "competition": 1,
    "enabled": True,
    "readers": "participants",
    "participants_may_post": True,
    "may_read": True,
    "may_post": True,
    "may_moderate": False,
}

THREAD: dict[str, Any] = {
    "id": 1,
    "competition": 1,
    "title": "Is feature scaling part of the model?",
    "author": ALICE,
    "created_at": "2025-02-04T09:12:00Z",
    "last_activity_at": "2025-02-04T10:03:00Z",
    "post_count": 2,
    "pinned": False,
    "locked": False,
    "following": True,
}

POST: dict[str, Any] = {
    "id": 2,
    "thread": 1,
    "author": OLIVIA,
    "content": "Yes: anything fitted on the training data is **part of the model**.",
    "html": "<p>Yes: anything fitted on the training data is "
    "<strong>part of the model</strong>.</p>",
    "created_at": "2025-02-04T10:03:00Z",
    "edited_at": None,
    "deleted_at": None,
    "deleted_as": None,
}


# The platform hosts' tools

AUDIT_ENTRY: dict[str, Any] = {
    "id": 1,
    "at": "2025-01-16T09:00:00Z",
    "actor": OLIVIA,
    "actor_id": 1,
    "action": "participant.approve",
    "target_type": "participant",
    "target_id": 1,
    "competition": 1,
    "details": {"user": ALICE, "reason": ""},
}

ANALYTICS: dict[str, Any] = {
    "start": "2025-01-01",
    "end": "2025-03-31",
    "interval": "month",
    "counts": {
        "periods": ["2025-01-01", "2025-02-01", "2025-03-01"],
        "users_joined": [5, 0, 0],
        "competitions_created": [1, 1, 0],
        "submissions_made": [2, 4, 0],
    },
    "workers": {
        "running": 1,
        "waiting": 0,
        "queues": [{"queue": None, "name": "podium", "running": 1, "waiting": 0}],
    },
    "storage": {
        "bytes": 9_316,
        "files": 10,
        "by_user": [
            {
                "user": 1,
                "username": OLIVIA,
                "bytes": 8_506,
                "files": 8,
                "quota_bytes": 21_474_836_480,
            },
            {"user": 3, "username": ALICE, "bytes": 810, "files": 2, "quota_bytes": 21_474_836_480},
        ],
        "by_competition": [{"competition": 1, "title": "Iris classification", "bytes": 8_918}],
    },
}
