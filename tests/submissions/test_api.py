"""The submissions API as participants and organizers use it: submitting, listing, reading
details and outputs under the phase's hiding rules, changing, cancelling, deleting and
re-running. Who may call what is tests/api/test_authorization.py's table."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from podium.datasets.models import Data
from podium.leaderboards.models import Column
from podium.submissions import dispatch
from podium.submissions.models import Submission, SubmissionScore
from podium.submissions.services import create_submission, transition
from podium_worker.protocol import Status
from tests.factories import make_data, make_leaderboard, make_phase, make_task

pytestmark = pytest.mark.django_db


def zip_bytes(content: str = "1\n") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("predictions.csv", content)
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def published(monkeypatch):
    sent: list[int] = []
    monkeypatch.setattr(dispatch, "publish", lambda submission, task: sent.append(submission.pk))
    return sent


@pytest.fixture
def phase(competition, organizer):
    phase = make_phase(competition=competition, tasks=[make_task(owner=organizer)])
    phase.leaderboard = make_leaderboard(competition=competition, columns=("accuracy", "secret"))
    phase.save()
    Column.objects.filter(key="secret").update(hidden=True)
    return phase


def submit(user, phase, content="1\n", **options):
    return create_submission(
        user=user, phase=phase, stream=io.BytesIO(zip_bytes(content)), **options
    )


def finish(submission):
    for status in (Status.PREPARING, Status.SCORING, Status.FINISHED):
        transition(submission, status)
    submission.refresh_from_db()
    return submission


def upload(phase, **fields):
    return {"file": SimpleUploadedFile("my results.zip", zip_bytes()), "phase": phase.pk, **fields}


# Creating


def test_a_participant_submits_through_the_api(api, participant, phase, published):
    response = api(participant).post("/api/submissions/", upload(phase), format="multipart")
    assert response.status_code == 201
    submission = Submission.objects.get()
    body = response.json()
    assert {key: body[key] for key in ("id", "owner", "phase", "status", "is_baseline")} == {
        "id": submission.pk,
        "owner": "petra",
        "phase": phase.pk,
        "status": "submitted",
        "is_baseline": False,
    }
    assert (submission.data.kind, submission.data.name) == ("submission", "my results.zip")


def test_fact_sheet_answers_come_as_a_json_field_of_the_form(api, participant, competition, phase):
    competition.fact_sheet = {"method": {"key": "method", "type": "text", "is_required": True}}
    competition.save()
    client = api(participant)
    refused = client.post("/api/submissions/", upload(phase), format="multipart")
    assert (refused.status_code, refused.json()) == (
        400,
        {"detail": "fact sheet: method: an answer is required"},
    )
    answers = json.dumps({"method": "SVM"})
    response = client.post(
        "/api/submissions/", upload(phase, fact_sheet_answers=answers), format="multipart"
    )
    assert response.status_code == 201
    assert response.json()["fact_sheet_answers"] == {"method": "SVM"}


@pytest.mark.parametrize(
    ("who", "change", "status", "reason"),
    [
        ("pending", None, 403, "your registration is pending"),
        ("outsider", None, 403, "you are not registered for this competition"),
        ("participant", "closed", 400, "phase 'Phase' is not open for submissions"),
        ("participant", "limit", 400, "submission limit reached (0/0)"),
    ],
)
def test_a_refused_submission_says_why_and_creates_nothing(
    api, personas, phase, who, change, status, reason
):
    if change == "closed":
        phase.end = phase.start + timedelta(hours=1)
        phase.save()
    if change == "limit":
        phase.max_submissions = 0
        phase.save()
    response = api(personas[who]).post("/api/submissions/", upload(phase), format="multipart")
    assert (response.status_code, response.json()) == (status, {"detail": reason})
    assert (Submission.objects.count(), Data.objects.filter(kind="submission").count()) == (0, 0)


def test_a_file_that_is_not_a_zip_is_refused(api, participant, phase):
    body = {"file": SimpleUploadedFile("x.csv", b"a,b\n"), "phase": phase.pk}
    response = api(participant).post("/api/submissions/", body, format="multipart")
    assert (response.status_code, response.json()) == (
        400,
        {"detail": "a submission must be a zip archive"},
    )


def test_a_phase_the_caller_cannot_see_reads_as_missing(api, participant, draft, organizer):
    hidden = make_phase(competition=draft, tasks=[make_task(owner=organizer)])
    response = api(participant).post("/api/submissions/", upload(hidden), format="multipart")
    assert response.status_code == 400
    assert response.json() == {"phase": [f'Invalid pk "{hidden.pk}" - object does not exist.']}


# Listing and reading


def test_the_list_filters_by_phase_status_and_owner(api, participant, organizer, phase):
    other_phase = make_phase(competition=phase.competition, tasks=[make_task(owner=organizer)])
    mine = submit(participant, phase)
    finished = finish(submit(participant, other_phase))
    theirs = submit(organizer, phase)
    client = api(organizer)

    def ids(query):
        return [row["id"] for row in client.get(f"/api/submissions/?{query}").json()["results"]]

    assert ids("") == [theirs.pk, finished.pk, mine.pk]
    assert ids(f"phase={phase.pk}") == [theirs.pk, mine.pk]
    assert ids("status=finished") == [finished.pk]
    assert ids("mine=true") == [theirs.pk]
    assert client.get("/api/submissions/?status=lost").status_code == 400


def test_the_tasks_of_a_submission_are_its_children_not_rows_of_the_list(
    api, participant, organizer, competition
):
    phase = make_phase(
        competition=competition, tasks=[make_task(owner=organizer), make_task(owner=organizer)]
    )
    parent = submit(participant, phase)
    rows = api(participant).get("/api/submissions/").json()["results"]
    assert [(row["id"], row["children"]) for row in rows] == [
        (parent.pk, list(parent.children.order_by("pk").values_list("pk", flat=True)))
    ]


def test_others_see_a_public_submission_but_not_its_fact_sheet(
    api, participant, outsider, competition, phase
):
    competition.fact_sheet = {"method": {"key": "method", "type": "text"}}
    competition.save()
    submission = submit(participant, phase, fact_sheet_answers={"method": "SVM"})
    Submission.objects.filter(pk=submission.pk).update(is_public=True)
    assert (
        api(outsider).get(f"/api/submissions/{submission.pk}/").json()["fact_sheet_answers"] is None
    )
    assert api(participant).get(f"/api/submissions/{submission.pk}/").json()[
        "fact_sheet_answers"
    ] == {"method": "SVM"}


def test_an_anonymous_leaderboard_hides_the_owner_of_a_public_submission_from_others(
    api, participant, outsider, organizer, phase
):
    submission = submit(participant, phase)
    Submission.objects.filter(pk=submission.pk).update(is_public=True)
    path = f"/api/submissions/{submission.pk}/"
    assert api(outsider).get(path).json()["owner"] == "petra"
    phase.leaderboard.anonymous = True
    phase.leaderboard.save()

    assert api(outsider).get(path).json()["owner"] is None
    listed = api(outsider).get("/api/submissions/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [row["owner"] for row in rows if row["id"] == submission.pk] == [None]
    assert api(participant).get(path).json()["owner"] == "petra"
    assert api(organizer).get(path).json()["owner"] == "petra"


# Details and outputs


@pytest.fixture
def ran(participant, phase, competition):
    """A finished submission with every output, its logs and two scores, one hidden."""
    competition.enable_detailed_results = True
    competition.save()
    submission = finish(submit(participant, phase))
    for field, kind in (
        ("prediction_result", Data.Kind.OUTPUT),
        ("scoring_result", Data.Kind.OUTPUT),
        ("detailed_result", Data.Kind.OUTPUT),
        ("logs", Data.Kind.LOG),
    ):
        setattr(submission, field, make_data(owner=participant, kind=kind, name=field))
    submission.log_tail = "epoch 3"
    submission.save()
    for key, value in (("accuracy", 0.9), ("secret", 0.7)):
        SubmissionScore.objects.create(
            submission=submission, column=Column.objects.get(key=key), value=value
        )
    return submission


def shown(response):
    assert response.status_code == 200
    return {name for name, url in response.json()["files"].items() if url is not None}


ALL_FILES = {"submission", "predictions", "scoring_output", "detailed_results", "logs"}


@pytest.mark.parametrize(
    ("flag", "owner_sees"),
    [
        (None, ALL_FILES),
        ("hide_output", {"submission"}),
        ("hide_prediction_output", ALL_FILES - {"predictions"}),
        ("hide_score_output", ALL_FILES - {"scoring_output"}),
    ],
)
def test_the_phase_decides_which_outputs_its_participants_download(
    api, ran, participant, organizer, admin, phase, flag, owner_sees
):
    if flag:
        setattr(phase, flag, True)
        phase.save()
    path = f"/api/submissions/{ran.pk}/get_details/"
    assert shown(api(participant).get(path)) == owner_sees
    assert shown(api(organizer).get(path)) == ALL_FILES
    assert shown(api(admin).get(path)) == ALL_FILES


def test_details_hold_status_history_scores_and_the_log_tail(api, ran, participant, organizer):
    body = api(participant).get(f"/api/submissions/{ran.pk}/get_details/").json()
    assert [change["to_status"] for change in body["status_history"]] == [
        "submitted",
        "preparing",
        "scoring",
        "finished",
    ]
    assert (body["status"], body["log_tail"], body["scores"]) == (
        "finished",
        "epoch 3",
        {"accuracy": 0.9},
    )
    organizers = api(organizer).get(f"/api/submissions/{ran.pk}/get_details/").json()
    assert organizers["scores"] == {"accuracy": 0.9, "secret": 0.7}


def test_hiding_output_hides_the_log_tail_from_participants(api, ran, participant, phase):
    phase.hide_output = True
    phase.save()
    body = api(participant).get(f"/api/submissions/{ran.pk}/get_details/").json()
    assert body["log_tail"] is None


def test_a_public_submissions_viewers_get_its_detailed_results_only(api, ran, outsider):
    Submission.objects.filter(pk=ran.pk).update(is_public=True)
    assert shown(api(outsider).get(f"/api/submissions/{ran.pk}/get_details/")) == {
        "detailed_results"
    }


def test_a_download_url_serves_the_file(api, client, ran, participant):
    url = api(participant).get(f"/api/submissions/{ran.pk}/get_details/").json()["files"]["logs"]
    response = client.get(url.removeprefix("http://testserver"))
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    response.close()
    with default_storage.open(ran.logs.file.name, "rb") as stored:
        assert content == stored.read()


def test_the_detailed_result_is_a_signed_url(api, client, ran, participant):
    response = api(participant).get(f"/api/submissions/{ran.pk}/get_detail_result/")
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["size"]) == ("detailed_result", ran.detailed_result.size)
    download = client.get(body["url"].removeprefix("http://testserver"))
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="detailed_result"'
    download.close()


@pytest.mark.parametrize(
    ("setting", "reason"),
    [
        ("hide_output", "this phase hides the output of submissions from participants"),
        ("disabled", "this competition does not show detailed results"),
    ],
)
def test_hidden_detailed_results_are_refused_to_participants_with_the_reason(
    api, ran, participant, organizer, phase, competition, setting, reason
):
    if setting == "hide_output":
        phase.hide_output = True
        phase.save()
    else:
        competition.enable_detailed_results = False
        competition.save()
    path = f"/api/submissions/{ran.pk}/get_detail_result/"
    response = api(participant).get(path)
    assert (response.status_code, response.json()) == (403, {"detail": reason})
    assert api(organizer).get(path).status_code == 200


def test_a_submission_without_detailed_results_says_so(api, participant, organizer, phase):
    submission = finish(submit(participant, phase))
    response = api(organizer).get(f"/api/submissions/{submission.pk}/get_detail_result/")
    assert (response.status_code, response.json()) == (
        404,
        {"detail": f"submission {submission.pk} has no detailed results"},
    )


# Changing


def test_an_update_changes_only_what_is_not_the_servers(api, participant, phase):
    submission = submit(participant, phase)
    response = api(participant).put(
        f"/api/submissions/{submission.pk}/",
        {"is_public": True, "status": "finished", "owner": "mallory", "is_baseline": True},
        format="json",
    )
    assert response.status_code == 200
    submission.refresh_from_db()
    assert (submission.is_public, submission.status, submission.is_baseline) == (
        True,
        "submitted",
        False,
    )
    assert submission.owner == participant


def test_toggle_public_flips_and_is_refused_where_the_competition_forbids_it(
    api, participant, competition, phase
):
    submission = submit(participant, phase)
    client = api(participant)
    path = f"/api/submissions/{submission.pk}/toggle_public/"
    assert client.get(path).json()["is_public"] is True
    assert client.post(path).json()["is_public"] is False
    competition.can_participants_make_submissions_public = False
    competition.save()
    response = client.get(path)
    assert (response.status_code, response.json()) == (
        403,
        {"detail": "this competition does not let participants make submissions public"},
    )
    submission.refresh_from_db()
    assert submission.is_public is False


def test_the_fact_sheet_update_names_each_problem(api, participant, competition, phase):
    competition.fact_sheet = {
        "method": {"key": "method", "type": "text", "is_required": True},
        "external": {"key": "external", "type": "checkbox"},
    }
    competition.save()
    submission = submit(participant, phase, fact_sheet_answers={"method": "SVM"})
    path = f"/api/submissions/{submission.pk}/update_fact_sheet/"
    client = api(participant)
    refused = client.patch(path, {"method": "", "external": "yes", "extra": 1}, format="json")
    assert (refused.status_code, refused.json()) == (
        400,
        {
            "fact_sheet_answers": {
                "extra": "this competition asks no such question",
                "method": "an answer is required",
                "external": "expected true or false",
            }
        },
    )
    response = client.patch(path, {"method": "kNN", "external": True}, format="json")
    assert response.json()["fact_sheet_answers"] == {"method": "kNN", "external": True}


# Cancelling, deleting, re-running


def test_cancelling_returns_the_cancelled_submission(api, participant, phase):
    submission = submit(participant, phase)
    response = api(participant).get(f"/api/submissions/{submission.pk}/cancel_submission/")
    assert (response.status_code, response.json()["status"]) == (200, "cancelled")


def test_deleting_a_running_submission_is_refused_until_it_is_cancelled(api, participant, phase):
    submission = submit(participant, phase)
    transition(submission, Status.PREPARING)
    client = api(participant)
    refused = client.delete(f"/api/submissions/{submission.pk}/")
    assert (refused.status_code, refused.json()) == (
        409,
        {"detail": f"submission {submission.pk} is preparing; cancel it first"},
    )
    assert Submission.objects.filter(pk=submission.pk).exists()
    client.post(f"/api/submissions/{submission.pk}/cancel_submission/")
    assert client.delete(f"/api/submissions/{submission.pk}/").status_code == 204
    assert Submission.objects.count() == 0
    assert Data.objects.filter(kind="submission").count() == 0


def test_deleting_removes_the_outputs_only_it_used(api, ran, participant):
    files = [ran.prediction_result_id, ran.scoring_result_id, ran.detailed_result_id, ran.logs_id]
    assert api(participant).delete(f"/api/submissions/{ran.pk}/").status_code == 204
    assert Data.objects.filter(pk__in=[*files, ran.data_id]).count() == 0


def test_an_organizer_re_runs_a_submission_past_its_owners_limits(
    api, participant, organizer, phase, published, django_capture_on_commit_callbacks
):
    phase.max_submissions = 1
    phase.save()
    original = finish(submit(participant, phase))
    with django_capture_on_commit_callbacks(execute=True):
        response = api(organizer).post(f"/api/submissions/{original.pk}/re_run_submission/")
    assert response.status_code == 201
    again = Submission.objects.get(pk=response.json()["id"])
    assert (again.owner, again.data, again.status) == (participant, original.data, "submitted")
    assert published == [again.pk]


def test_a_phase_re_runs_its_ended_submissions_for_its_organizers(
    api, participant, organizer, phase, published, django_capture_on_commit_callbacks
):
    finish(submit(participant, phase, "1\n"))
    finish(submit(participant, phase, "2\n"))
    submit(participant, phase, "3\n")
    with django_capture_on_commit_callbacks(execute=True):
        response = api(organizer).post(f"/api/phases/{phase.pk}/rerun_submissions/")
    assert (response.status_code, response.json()) == (200, {"count": 2})
    assert len(published) == 2
    assert Submission.objects.count() == 5


@pytest.mark.parametrize("how", ["release date to come", "hidden leaderboard"])
def test_scores_the_leaderboard_withholds_are_withheld_from_details_and_downloads(
    api, ran, participant, organizer, phase, how
):
    board = phase.leaderboard
    if how == "hidden leaderboard":
        board.hidden = True
    else:
        board.release_date = timezone.now() + timedelta(days=3)
    board.save()
    path = f"/api/submissions/{ran.pk}/get_details/"

    body = api(participant).get(path).json()
    assert body["scores"] == {}
    assert shown(api(participant).get(path)) == ALL_FILES - {"scoring_output", "detailed_results"}
    refused = api(participant).get(f"/api/submissions/{ran.pk}/get_detail_result/")
    assert refused.status_code == 403
    assert ("released on" if how == "release date to come" else "organizers only") in str(
        refused.json()
    )
    organizers = api(organizer).get(path).json()
    assert organizers["scores"] == {"accuracy": 0.9, "secret": 0.7}
    assert shown(api(organizer).get(path)) == ALL_FILES
