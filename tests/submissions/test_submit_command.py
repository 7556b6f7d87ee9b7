import io
import json
import zipfile

import pytest
from django.core.management import CommandError, call_command

from podium.submissions import dispatch
from podium.submissions.models import Submission
from tests.factories import make_phase, make_task

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def published(monkeypatch):
    monkeypatch.setattr(dispatch, "publish", lambda submission, task: None)


@pytest.fixture
def zip_path(tmp_path):
    path = tmp_path / "predictions.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("predictions.csv", "1\n")
    return path


def test_submit_prints_the_documented_json(participant, competition, organizer, zip_path):
    phase = make_phase(competition=competition, tasks=[make_task(owner=organizer)])
    out = io.StringIO()
    call_command("submit", str(zip_path), phase=phase.pk, user="petra", json=True, stdout=out)
    submission = Submission.objects.get()
    assert json.loads(out.getvalue()) == {
        "submission": submission.pk,
        "status": "submitted",
        "status_detail": "",
        "scores": {},
        "metrics": {},
        "children": [],
    }


def test_submit_says_why_it_was_refused(pending, competition, organizer, zip_path):
    phase = make_phase(competition=competition, tasks=[make_task(owner=organizer)])
    with pytest.raises(CommandError, match=r"^refused: your registration is pending$"):
        call_command("submit", str(zip_path), phase=phase.pk, user="penny")
    assert Submission.objects.count() == 0


def test_waiting_gives_up_at_the_timeout_with_the_status(
    participant, competition, organizer, zip_path
):
    phase = make_phase(competition=competition, tasks=[make_task(owner=organizer)])
    with pytest.raises(CommandError) as raised:
        call_command("submit", str(zip_path), phase=phase.pk, user="petra", wait=True, timeout=0.2)
    submission = Submission.objects.get()
    assert str(raised.value) == f"submission {submission.pk} is still submitted after 0.2 s"
