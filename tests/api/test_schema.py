import re

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db

METHODS = {"get", "post", "put", "patch", "delete"}

# What exists so far, with the seed's paths (SEED-API.md); the schema lists no more, no less.
OPERATIONS = {
    ("get", "/api/competitions/"),
    ("post", "/api/competitions/"),
    ("get", "/api/competitions/{id}/"),
    ("put", "/api/competitions/{id}/"),
    ("patch", "/api/competitions/{id}/"),
    ("delete", "/api/competitions/{id}/"),
    ("post", "/api/competitions/{id}/toggle_publish/"),
    ("get", "/api/competitions/{id}/export_bundle/"),
    ("post", "/api/competitions/{id}/register/"),
    ("get", "/api/competitions/front_page/"),
    ("get", "/api/competitions/public/"),
    ("post", "/api/competitions/upload_bundle/"),
    *((method, "/api/phases/") for method in ("get", "post")),
    *((method, "/api/phases/{id}/") for method in ("get", "put", "patch", "delete")),
    *((method, "/api/tasks/") for method in ("get", "post")),
    *((method, "/api/tasks/{id}/") for method in ("get", "put", "patch", "delete")),
    *((method, "/api/datasets/") for method in ("get", "post")),
    *((method, "/api/datasets/{id}/") for method in ("get", "put", "patch", "delete")),
    ("get", "/api/participants/"),
    ("get", "/api/participants/{id}/"),
    ("post", "/api/participants/{id}/approve/"),
    ("post", "/api/participants/{id}/deny/"),
    ("post", "/api/participants/{id}/revoke/"),
    # registration: the seed's participant writes and emails, the form, the allow-list,
    # applicants keys and the applicants they read, organizer emails, contact forms
    ("post", "/api/participants/"),
    *((method, "/api/participants/{id}/") for method in ("put", "patch", "delete")),
    ("post", "/api/participants/{id}/send_email/"),
    ("post", "/api/competitions/{id}/email_all_participants/"),
    ("get", "/api/competitions/{id}/emails/"),
    *((method, "/api/competitions/{id}/registration_form/") for method in ("get", "put")),
    *((method, "/api/competitions/{id}/allow_list/") for method in ("get", "put")),
    *((method, "/api/competitions/{id}/applicants_keys/") for method in ("get", "post")),
    ("delete", "/api/competitions/{id}/applicants_keys/{key_id}/"),
    ("get", "/api/competitions/{id}/applicants/"),
    ("post", "/api/competitions/{id}/contact/"),
    ("post", "/api/contact/"),
    ("get", "/api/phases/{id}/rerun_submissions/"),
    ("post", "/api/phases/{id}/rerun_submissions/"),
    *((method, "/api/submissions/") for method in ("get", "post")),
    *((method, "/api/submissions/{id}/") for method in ("get", "put", "patch", "delete")),
    ("get", "/api/submissions/{id}/cancel_submission/"),
    ("post", "/api/submissions/{id}/cancel_submission/"),
    ("get", "/api/submissions/{id}/get_detail_result/"),
    ("get", "/api/submissions/{id}/get_details/"),
    ("post", "/api/submissions/{id}/re_run_submission/"),
    ("get", "/api/submissions/{id}/toggle_public/"),
    ("post", "/api/submissions/{id}/toggle_public/"),
    ("patch", "/api/submissions/{id}/update_fact_sheet/"),
    # phase migration, custom metrics, submission scores, the audit log
    ("post", "/api/phases/{id}/manually_migrate/"),
    ("post", "/api/submissions/{id}/metrics/"),
    *((method, "/api/submission_scores/") for method in ("get", "post")),
    *((method, "/api/submission_scores/{id}/") for method in ("get", "put", "patch", "delete")),
    ("post", "/api/upload_submission_scores/{submission_pk}/"),
    ("get", "/api/audit/"),
    ("get", "/api/audit/{id}/"),
    # leaderboards, a phase's leaderboard, entries, results
    *((method, "/api/leaderboards/") for method in ("get", "post")),
    *((method, "/api/leaderboards/{id}/") for method in ("get", "put", "patch", "delete")),
    ("get", "/api/phases/{id}/leaderboard/"),
    ("get", "/api/phases/{id}/get_leaderboard/"),
    ("post", "/api/submissions/{id}/submission_leaderboard_connection/"),
    ("delete", "/api/submissions/{id}/submission_leaderboard_connection/"),
    ("get", "/api/competitions/{id}/results/"),
    ("post", "/api/worker/submissions/{id}/heartbeat/"),
    ("post", "/api/worker/submissions/{id}/report/"),
    ("put", "/api/worker/submissions/{id}/outputs/{kind}/"),
    # the platform hosts' tools: queues, data groups, analytics, quota cleanup
    *((method, "/api/queues/") for method in ("get", "post")),
    *((method, "/api/queues/{id}/") for method in ("get", "put", "patch", "delete")),
    *((method, "/api/data_groups/") for method in ("get", "post")),
    *((method, "/api/data_groups/{id}/") for method in ("get", "put", "patch", "delete")),
    ("get", "/api/analytics/"),
    ("get", "/api/user_quota_cleanup/"),
    ("post", "/api/user_quota_cleanup/"),
    # organizations (teams)
    *((method, "/api/organizations/") for method in ("get", "post")),
    *((method, "/api/organizations/{id}/") for method in ("get", "put", "patch")),
    ("post", "/api/organizations/validate_invite/"),
    ("post", "/api/organizations/{id}/invite_users/"),
    ("post", "/api/organizations/{id}/update_member_group/"),
    ("delete", "/api/organizations/{id}/delete_member/"),
    ("delete", "/api/organizations/{id}/delete_organization/"),
    # accounts: one's own account and avatar, public profiles, API tokens, the token exchange
    *((method, "/api/users/me/") for method in ("get", "patch", "delete")),
    *((method, "/api/users/me/avatar/") for method in ("post", "delete")),
    ("get", "/api/users/{username}/"),
    *((method, "/api/users/me/tokens/") for method in ("get", "post")),
    ("delete", "/api/users/me/tokens/{id}/"),
    ("post", "/api/auth/token/"),
    # forums: a competition's forum and its settings, threads, posts, moderation, following
    *((method, "/api/competitions/{id}/forum/") for method in ("get", "patch")),
    *((method, "/api/forum_threads/") for method in ("get", "post")),
    *((method, "/api/forum_threads/{id}/") for method in ("get", "patch", "delete")),
    *(
        (method, f"/api/forum_threads/{{id}}/{name}/")
        for name in ("pin", "lock", "follow")
        for method in ("post", "delete")
    ),
    *((method, "/api/forum_threads/{id}/posts/") for method in ("get", "post")),
    *((method, "/api/forum_posts/{id}/") for method in ("get", "patch", "delete")),
    # large uploads
    *((method, "/api/uploads/") for method in ("get", "post")),
    *((method, "/api/uploads/{id}/") for method in ("get", "delete")),
    ("put", "/api/uploads/{id}/content/"),
    ("post", "/api/uploads/{id}/complete/"),
    # the caller's mail preferences
    ("get", "/api/notification_preferences/"),
    ("patch", "/api/notification_preferences/"),
}


@pytest.fixture
def schema(api):
    response = api(None).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation


def test_the_schema_lists_every_endpoint(schema):
    assert schema["info"]["title"] == "Podium API"
    assert {(method, path) for method, path, _ in operations(schema)} == OPERATIONS


def test_every_operation_has_a_summary_and_a_description(schema):
    undocumented = [
        f"{method.upper()} {path}"
        for method, path, operation in operations(schema)
        if not operation.get("summary", "").strip() or not operation.get("description", "").strip()
    ]
    assert undocumented == []


PLACEHOLDERS = {"todo", "tbd", "fixme", "xxx", "lorem"}


def test_no_description_is_a_placeholder(schema):
    """A description says more than its summary: not the summary again, not a word or two,
    not a reminder to write one."""
    placeholders = [
        f"{method.upper()} {path}: {operation['description']!r}"
        for method, path, operation in operations(schema)
        if operation["description"].strip().rstrip(".").lower()
        == operation["summary"].strip().rstrip(".").lower()
        or len(operation["description"].split()) < 4
        or PLACEHOLDERS & set(re.findall(r"[a-z]+", operation["description"].lower()))
    ]
    assert placeholders == []


def test_the_schema_is_valid_and_generates_without_warnings(tmp_path):
    # --fail-on-warn turns any of drf-spectacular's guesses (an untyped field, an enum name
    # collision) into an error; --validate checks the result against the OpenAPI spec.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yaml"))
    assert (tmp_path / "s.yaml").read_text().startswith("openapi: 3.0.3")


def test_uploads_are_described_as_multipart(schema):
    for path in ("/api/datasets/", "/api/competitions/upload_bundle/", "/api/submissions/"):
        content = schema["paths"][path]["post"]["requestBody"]["content"]
        assert list(content) == ["multipart/form-data"]


def test_worker_uploads_are_described_as_raw_bodies(schema):
    operation = schema["paths"]["/api/worker/submissions/{id}/outputs/{kind}/"]["put"]
    assert list(operation["requestBody"]["content"]) == ["application/zip", "text/html"]
    kind = next(param for param in operation["parameters"] if param["name"] == "kind")
    assert kind["schema"]["enum"] == ["detailed_results", "logs", "predictions", "scoring_output"]
