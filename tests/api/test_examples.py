"""The API's examples: every operation shows what it answers, and what it takes when it
takes a body (issue 6: "every endpoint has a description and examples"); every example fits
its operation's schema exactly; and a few are held against what the API really answers for
the same rows (podium.core.examples describes them).

"Exactly" is stricter than the schema alone: an example may hold no property the schema
does not name, and a response example holds every property of each object, as the
serializers always write every field. OpenAPI 3.0's `nullable` is turned into JSON Schema's
null type, and drf-spectacular's `oneOf` into `anyOf` (it uses oneOf for "an email address
or blank", where a blank value matches both when formats are not checked).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator

pytestmark = pytest.mark.django_db

METHODS = {"get", "post", "put", "patch", "delete"}

# Operations that show no example of their success, and why. An answer without a body (204)
# has nothing to show and is not listed.
NO_RESPONSE_EXAMPLE = {
    ("get", "/api/competitions/{id}/export_bundle/"): "the answer is a zip file",
}

# Operations that take a body but show no example of it, and why.
NO_REQUEST_EXAMPLE = {
    ("put", "/api/uploads/{id}/content/"): "the body is the file's raw bytes",
    ("put", "/api/worker/submissions/{id}/outputs/{kind}/"): "the body is a raw zip or HTML file",
    ("post", "/api/competitions/upload_bundle/"): "a multipart body whose only field is the zip",
    ("post", "/api/users/me/avatar/"): "a multipart body whose only field is the image",
}

# Properties a serializer leaves out of some answers: heartbeats only.
SOMETIMES_ABSENT = {"WorkerReply": {"cancelled", "stop"}}


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict[str, Any]:
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        generated: dict[str, Any] = SchemaGenerator().get_schema(request=None, public=True)
    return generated


def operations(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation


def successes(operation: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(status, media type, content) of each documented success with a body."""
    for code, answer in operation["responses"].items():
        if str(code).startswith("2"):
            for media_type, content in answer.get("content", {}).items():
                yield str(code), media_type, content


def is_binary(content: dict[str, Any]) -> bool:
    return content.get("schema", {}).get("format") == "binary"


def test_every_operation_shows_an_example_of_its_answer(schema):
    missing = [
        f"{method.upper()} {path} {code} {media_type}"
        for method, path, operation in operations(schema)
        if (method, path) not in NO_RESPONSE_EXAMPLE
        for code, media_type, content in successes(operation)
        if not content.get("examples")
    ]
    assert missing == []


def test_every_operation_that_takes_a_body_shows_an_example_of_it(schema):
    missing = []
    for method, path, operation in operations(schema):
        content = operation.get("requestBody", {}).get("content", {})
        if not content or (method, path) in NO_REQUEST_EXAMPLE:
            continue
        # JSON where the operation takes it; its form-encoded twins need no example.
        shown = ["application/json"] if "application/json" in content else list(content)
        missing += [
            f"{method.upper()} {path} {media_type}"
            for media_type in shown
            if not content[media_type].get("examples")
        ]
    assert missing == []


def test_the_exceptions_are_still_exceptions(schema):
    """Each listed exception names an operation that exists and still shows no example."""
    found = {(method, path): operation for method, path, operation in operations(schema)}
    for method, path in NO_RESPONSE_EXAMPLE:
        contents = [content for _, _, content in successes(found[method, path])]
        assert contents
        assert all(is_binary(content) and not content.get("examples") for content in contents)
    for method, path in NO_REQUEST_EXAMPLE:
        contents = found[method, path]["requestBody"]["content"].values()
        assert not any(content.get("examples") for content in contents)


# Every example against its schema


def json_schema(node: dict[str, Any], *, name: str = "", response: bool) -> dict[str, Any]:
    """An OpenAPI 3.0 schema as a strict JSON Schema: no property the schema does not name,
    and, in answers, every property it names."""
    converted = {
        key: value
        for key, value in node.items()
        if key not in ("nullable", "example", "readOnly", "writeOnly")
    }
    if "properties" in converted:
        converted["properties"] = {
            key: json_schema(value, response=response)
            for key, value in converted["properties"].items()
        }
        converted.setdefault("additionalProperties", False)
        if response:
            absent = SOMETIMES_ABSENT.get(name, set())
            converted["required"] = [key for key in converted["properties"] if key not in absent]
    if isinstance(converted.get("additionalProperties"), dict):
        converted["additionalProperties"] = json_schema(
            converted["additionalProperties"], response=response
        )
    if "items" in converted:
        converted["items"] = json_schema(converted["items"], response=response)
    for key in ("allOf", "anyOf", "oneOf"):
        if key in converted:
            converted[key] = [json_schema(part, response=response) for part in converted[key]]
    if "oneOf" in converted:
        converted["anyOf"] = converted.pop("oneOf")
    if node.get("nullable"):
        if "enum" in converted:
            converted["enum"] = [*converted["enum"], None]
        if "type" in converted:
            converted["type"] = [converted["type"], "null"]
        elif "$ref" in converted or "allOf" in converted or "anyOf" in converted:
            converted = {"anyOf": [converted, {"type": "null"}]}
    return converted


def components(schema: dict[str, Any], *, response: bool) -> dict[str, Any]:
    return {
        "schemas": {
            name: json_schema(component, name=name, response=response)
            for name, component in schema["components"]["schemas"].items()
        }
    }


def examples(schema: dict[str, Any]) -> Iterator[tuple[str, bool, str, dict[str, Any], Any]]:
    """(where, is a response, media type, the content's schema, the example's value)."""
    for method, path, operation in operations(schema):
        where = f"{method.upper()} {path}"
        for media_type, content in operation.get("requestBody", {}).get("content", {}).items():
            for name, example in content.get("examples", {}).items():
                yield (
                    f"{where} request {name}",
                    False,
                    media_type,
                    content["schema"],
                    example["value"],
                )
        for code, media_type, content in successes(operation):
            for name, example in content.get("examples", {}).items():
                yield (
                    f"{where} {code} {name}",
                    True,
                    media_type,
                    content["schema"],
                    example["value"],
                )


def fitted(
    content_schema: dict[str, Any],
    schema: dict[str, Any],
    converted_components: dict[str, Any],
    *,
    response: bool,
    media_type: str,
) -> Draft202012Validator:
    """A validator of one content's examples, its references resolved among the components
    converted the same way."""
    converted = json_schema(content_schema, response=response)
    if media_type == "multipart/form-data" and "$ref" in content_schema:
        # A multipart example shows the fields other than the files, which travel as parts.
        name = content_schema["$ref"].split("/")[-1]
        component = schema["components"]["schemas"][name]
        files = {
            key for key, value in component["properties"].items() if value.get("format") == "binary"
        }
        converted = json_schema(component, name=name, response=response)
        converted["required"] = [key for key in converted.get("required", []) if key not in files]
    document = {**converted, "components": converted_components}
    return Draft202012Validator(document, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_every_example_fits_its_schema(schema):
    converted = {answer: components(schema, response=answer) for answer in (True, False)}
    problems = []
    for where, response, media_type, content_schema, value in examples(schema):
        if media_type == "text/csv":
            assert isinstance(value, str), where
            continue
        validator = fitted(
            content_schema, schema, converted[response], response=response, media_type=media_type
        )
        for error in validator.iter_errors(value):
            place = "/".join(str(part) for part in error.absolute_path)
            problems.append(f"{where}: {place}: {error.message[:300]}")
    assert problems == []


def test_a_listed_page_adds_up(schema):
    """A paginated answer's example is one whole page: as many results as its count, and no
    page before or after it."""
    wrong = []
    for method, path, operation in operations(schema):
        for code, _, content in successes(operation):
            if content["schema"].get("$ref", "").split("/")[-1].startswith("Paginated"):
                wrong += [
                    f"{method.upper()} {path} {code} {name}"
                    for name, example in content["examples"].items()
                    if example["value"]["count"] != len(example["value"]["results"])
                    or example["value"]["next"] is not None
                    or example["value"]["previous"] is not None
                ]
    assert wrong == []


def test_the_examples_terms_fingerprint_is_their_terms():
    from podium.core import examples as ex
    from podium.participation.rules import terms_sha256

    assert terms_sha256(ex.TERMS) == ex.TERMS_SHA256


# Examples against real answers


@pytest.fixture
def iris(django_capture_on_commit_callbacks) -> dict[str, Any]:
    """The examples' world, built through the models and services: the same competition,
    registration form, phases, leaderboard columns, fact sheet and finished submission."""
    from podium.competitions.models import Page
    from podium.core import examples as ex
    from podium.datasets.models import Data
    from podium.leaderboards import services as leaderboards
    from podium.leaderboards.models import Column, Leaderboard
    from podium.participation import rules, services
    from podium.participation.models import Participant
    from podium.submissions.reports import Report, receive
    from podium.submissions.services import start_submission
    from podium_worker.protocol import Status
    from tests.factories import make_competition, make_data, make_phase, make_task, make_user

    olivia, colin, alice = make_user(ex.OLIVIA), make_user(ex.COLIN), make_user(ex.ALICE)
    settings = {
        name: value
        for name, value in ex.COMPETITION_SETTINGS.items()
        if name not in ("title", "pages", "queue")
    }
    competition = make_competition(
        owner=olivia, title="Iris classification", collaborators=[colin], **settings
    )
    for page in ex.PAGES:
        Page.objects.create(competition=competition, **page)
    task = make_task(owner=olivia, name="Iris species")
    board = Leaderboard.objects.create(
        competition=competition, key="main", title="Results", submission_rule="Add_And_Delete"
    )
    for column in ex.COLUMNS:
        Column.objects.create(
            leaderboard=board,
            **{name: column[name] for name in ("index", "title", "key", "sorting", "precision")},
        )
    development = make_phase(competition=competition, name="Development", tasks=[task])
    development.leaderboard = board
    development.save(update_fields=["leaderboard"])
    services.set_questions(
        competition,
        questions=[
            rules.Question(
                key=question["key"],
                label=question["label"],
                kind=question["kind"],
                required=question["required"],
                choices=tuple(question["choices"]),
                help_text=question["help_text"],
            )
            for question in ex.QUESTIONS
        ],
    )
    registration, _ = services.apply(
        user=alice, competition=competition, accept_terms=True, answers=ex.ANSWERS
    )
    services.decide(registration, by=olivia, status=Participant.Status.APPROVED)
    submission = start_submission(
        owner=alice,
        participant=Participant.objects.get(user=alice),
        phase=development,
        tasks=[task],
        data=make_data(owner=alice, kind=Data.Kind.SUBMISSION, name="predictions.zip"),
        fact_sheet_answers=ex.FACT_SHEET_ANSWERS,
        publish=False,
    )
    scores = {key: value for key, value in ex.SCORES.items() if not key.startswith("podium:")}
    with django_capture_on_commit_callbacks(execute=True):
        receive(
            submission,
            Report(
                attempt=submission.attempt,
                status=Status.FINISHED,
                scores=scores,
                metrics=ex.METRICS,
            ),
        )
    submission.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        leaderboards.add_entry(submission, by=alice)
    return {
        "users": {ex.OLIVIA: olivia, ex.ALICE: alice},
        "competition": competition.pk,
        "phase": development.pk,
        "leaderboard": board.pk,
        "submission": submission.pk,
    }


def keys(value: Any) -> Any:
    """A JSON value's keys, all the way down; a list by its first item."""
    if isinstance(value, dict):
        return {key: keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [keys(value[0])] if value else []
    return None


# (who calls, method, path, body, the operation and example to compare with)
REAL = [
    ("alice", "get", "/api/competitions/", None, "/api/competitions/", "Response"),
    (
        "olivia",
        "get",
        "/api/competitions/{competition}/",
        None,
        "/api/competitions/{id}/",
        "Response",
    ),
    (
        "alice",
        "get",
        "/api/phases/{phase}/leaderboard/",
        None,
        "/api/phases/{id}/leaderboard/",
        "Response",
    ),
    ("alice", "get", "/api/submissions/{submission}/", None, "/api/submissions/{id}/", "Response"),
    (
        "alice",
        "get",
        "/api/submissions/{submission}/get_details/",
        None,
        "/api/submissions/{id}/get_details/",
        "Response",
    ),
    ("alice", "get", "/api/participants/", None, "/api/participants/", "Response"),
    ("alice", "get", "/api/phases/{phase}/", None, "/api/phases/{id}/", "Response"),
    (
        "alice",
        "get",
        "/api/competitions/{competition}/registration_form/",
        None,
        "/api/competitions/{id}/registration_form/",
        "Response",
    ),
    (
        "olivia",
        "get",
        "/api/leaderboards/{leaderboard}/",
        None,
        "/api/leaderboards/{id}/",
        "Response",
    ),
    (
        "olivia",
        "get",
        "/api/competitions/{competition}/results/",
        None,
        "/api/competitions/{id}/results/",
        "Response",
    ),
    (
        "alice",
        "post",
        "/api/uploads/",
        {"name": "predictions.zip", "size": 2048},
        "/api/uploads/",
        "Local",
    ),
]


@pytest.mark.parametrize(("who", "method", "path", "body", "operation", "name"), REAL)
def test_an_example_has_the_shape_of_the_real_answer(
    schema, iris, api, who, method, path, body, operation, name
):
    client = api(iris["users"][who])
    response = getattr(client, method)(path.format(**iris), body, format="json")

    assert response.status_code in (200, 201), response.content
    documented = schema["paths"][operation][method]["responses"][str(response.status_code)]
    example = documented["content"]["application/json"]["examples"][name]["value"]
    assert keys(response.json()) == keys(example)
