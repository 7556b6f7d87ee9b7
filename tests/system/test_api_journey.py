"""A participant's submission through the REST API only, as a script written against the seed's
API would do it: upload, poll, read the details, download every output, and the organizer's
re-run and cancel. On a whole running instance (server, worker, scheduler)."""

from __future__ import annotations

import io
import json
import time
import urllib.request
import zipfile
from typing import Any

import pytest

from tests.system.conftest import EXAMPLES, Instance, multipart, zip_of, zipped

pytestmark = pytest.mark.system

FINAL = {"finished", "failed", "cancelled"}


def upload(instance: Instance, user: str, path, phase: int, **fields: str) -> dict[str, Any]:
    body, content_type = multipart({"phase": str(phase), **fields}, {"file": path})
    code, created = instance.api("POST", "/api/submissions/", user, body=body,
                                 content_type=content_type)  # fmt: skip
    assert code == 201, created
    return created


def wait(instance: Instance, user: str, submission: int, wanted=FINAL, timeout=120.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        code, details = instance.api("GET", f"/api/submissions/{submission}/get_details/", user)
        assert code == 200, details
        if details["status"] in wanted:
            return details
        assert time.monotonic() < deadline, f"still {details['status']}:\n{instance.log()}"
        time.sleep(0.3)


def download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (a signed URL)
        return response.read()


def members(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_a_code_submission_through_the_api_with_its_outputs_and_logs(instance: Instance):
    phase = instance.phase("Fruit Ripeness — Code Submission", "Main")
    created = upload(instance, "participant",
                     zipped(EXAMPLES / "code-submission" / "sample_submission"), phase)  # fmt: skip
    assert created["status"] == "submitted"

    details = wait(instance, "participant", created["id"])

    assert details["status"] == "finished", details["status_detail"]
    assert details["scores"] == pytest.approx(
        {"accuracy": 0.8833333333333333, "balanced_accuracy": 0.882647385984427}
    )
    statuses = [change["to_status"] for change in details["status_history"]]
    assert statuses == ["submitted", "preparing", "running", "scoring", "finished"]
    assert details["metrics"]["prediction"]["exit_code"] == 0
    files = details["files"]
    assert "model.py" in members(download(files["submission"]))
    assert set(members(download(files["predictions"]))) >= {"metadata"}
    scoring = members(download(files["scoring_output"]))
    assert json.loads(scoring["scores.json"]) == pytest.approx(details["scores"])
    logs = members(download(files["logs"]))
    assert set(logs) >= {"prediction.stdout", "prediction.stderr", "scoring.stdout"}


def test_a_results_submission_through_the_api_has_its_detailed_results(instance: Instance):
    phase = instance.phase("Iris Species Classification", "Development")
    created = upload(instance, "participant", zipped(EXAMPLES / "iris-results" /
                     "sample_submission"), phase,
                     fact_sheet_answers=json.dumps({"method_name": "api"}))  # fmt: skip

    details = wait(instance, "participant", created["id"])

    assert details["status"] == "finished", details["status_detail"]
    assert details["scores"]["accuracy"] == pytest.approx(0.9333333333333333)
    code, detailed = instance.api(
        "GET", f"/api/submissions/{created['id']}/get_detail_result/", "participant"
    )
    assert code == 200, detailed
    assert b"<" in download(detailed["url"])  # the scorer's own HTML page


def test_an_organizer_cancels_a_running_job_and_re_runs_a_finished_one(instance: Instance):
    phase = instance.phase("Fruit Ripeness — Code Submission", "Main")
    slow_model = (EXAMPLES / "code-submission" / "sample_submission" / "model.py").read_text()
    slow_model += "\nimport time\ntime.sleep(60)\n"
    created = upload(instance, "participant", zip_of({"model.py": slow_model}), phase)
    wait(instance, "participant", created["id"], wanted={"running"})

    code, _ = instance.api(
        "POST", f"/api/submissions/{created['id']}/cancel_submission/", "organizer"
    )
    assert code == 200
    details = wait(instance, "participant", created["id"], timeout=30)
    assert details["status"] == "cancelled"

    # The worker was freed at once: the next job finishes long before the sleep would end.
    fast = upload(instance, "participant",
                  zipped(EXAMPLES / "code-submission" / "sample_submission"), phase)  # fmt: skip
    assert wait(instance, "participant", fast["id"], timeout=40)["status"] == "finished"

    code, rerun = instance.api(
        "POST", f"/api/submissions/{fast['id']}/re_run_submission/", "organizer"
    )
    assert code in (200, 201), rerun
    assert rerun["id"] != fast["id"]
    again = wait(instance, "organizer", rerun["id"])
    assert again["status"] == "finished"
    assert again["scores"] == pytest.approx(wait(instance, "participant", fast["id"])["scores"])
