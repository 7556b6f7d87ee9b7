"""`podium submit`, `submissions`, `submission`, `logs`, `download`, `cancel`, `rerun` and
`leaderboard`, against a live server. The worker's side is played by the worker's own HTTP
reporter (`finish`)."""

from __future__ import annotations

import threading
import zipfile

import pytest

from podium.competitions.models import Competition
from podium.datasets import services as datasets
from podium.participation.models import Participant
from podium.submissions.models import Submission
from podium_worker.protocol import Status
from podium_worker.transfer import HttpReporter
from tests.client.conftest import cells, finish, results_zip, token_for
from tests.factories import make_participant, make_user


@pytest.fixture
def submitted(podium, contest, entrant, tmp_path, jobs) -> Submission:
    """The entrant's submission, queued."""
    ran = podium("submit", str(results_zip(tmp_path / "upload")), "--phase", str(contest.phase),
                 token=token_for(entrant))  # fmt: skip
    assert ran.code == 0, ran.stderr
    return Submission.objects.get()


@pytest.fixture
def finished(submitted, jobs, tmp_path) -> Submission:
    finish(jobs[0], tmp_path / "outputs", scores={"score": 0.75})
    submitted.refresh_from_db()
    assert submitted.status == "finished"
    return submitted


def test_submit_uploads_the_file_and_queues_one_job(podium, contest, entrant, tmp_path, jobs):
    upload = results_zip(tmp_path / "upload")

    ran = podium("submit", str(upload), "--phase", str(contest.phase), "--json",
                 token=token_for(entrant))  # fmt: skip

    submission = Submission.objects.get()
    assert ran.code == 0
    assert ran.json()["id"] == submission.pk
    assert (ran.json()["status"], ran.json()["phase"], ran.json()["owner"]) == (
        "submitted",
        contest.phase,
        "erin",
    )
    assert b"".join(datasets.read_chunks(submission.data)) == upload.read_bytes()
    assert [job.submission for job in jobs] == [submission.pk]
    # Off a terminal the progress bar is two plain lines, on stderr: stdout stays JSON.
    assert ran.stderr == (
        "Uploading results.zip...\n"
        f"Uploading results.zip: {upload.stat().st_size} B done\n"
        f"Submission {submission.pk} to phase {contest.phase}: submitted\n"
    )


def test_submit_zips_a_folder_on_the_way(podium, contest, entrant, tmp_path):
    folder = tmp_path / "my-results"
    folder.mkdir()
    (folder / "predictions.csv").write_text("id,label\n1,setosa\n")

    ran = podium("submit", str(folder), "--phase", str(contest.phase), token=token_for(entrant))

    submission = Submission.objects.get()
    assert ran.code == 0, ran.stderr
    assert submission.data.name == "my-results.zip"
    stored = tmp_path / "stored.zip"
    stored.write_bytes(b"".join(datasets.read_chunks(submission.data)))
    with zipfile.ZipFile(stored) as archive:
        assert archive.namelist() == ["predictions.csv"]


def test_submit_gives_the_servers_reasons_and_creates_nothing(
    podium, contest, entrant, applicant, tmp_path, jobs
):
    upload = str(results_zip(tmp_path / "upload"))
    phase = str(contest.phase)

    pending = podium("submit", upload, "--phase", phase, token=token_for(applicant))
    unknown = podium("submit", upload, "--phase", "999", token=token_for(entrant))
    missing = podium("submit", str(tmp_path / "nothing.zip"), "--phase", phase,
                     token=token_for(entrant))  # fmt: skip
    bad_answers = podium("submit", upload, "--phase", phase, "--fact-sheet", "[1]",
                         token=token_for(entrant))  # fmt: skip

    assert (pending.code, pending.stderr.splitlines()[-1]) == (
        4,
        "error: your registration is pending",
    )
    assert (unknown.code, unknown.stderr.splitlines()[-1]) == (
        4,
        'error: phase: Invalid pk "999" - object does not exist.',
    )
    assert (missing.code, missing.stderr) == (
        2,
        f"error: {tmp_path / 'nothing.zip'}: no such file or folder\n",
    )
    assert (bad_answers.code, bad_answers.stderr) == (
        2,
        'error: --fact-sheet takes a JSON object, like \'{"key": "value"}\'\n',
    )
    assert (Submission.objects.count(), jobs) == (0, [])


def test_submit_wait_follows_the_status_until_it_finishes(podium, contest, entrant, tmp_path, jobs):
    worker = threading.Thread(target=play_worker, args=(jobs, tmp_path, Status.FINISHED))
    worker.start()

    ran = podium("submit", str(results_zip(tmp_path / "upload")), "--phase", str(contest.phase),
                 "--wait", "--poll", "0.1", "--json", token=token_for(entrant))  # fmt: skip
    worker.join()

    submission = Submission.objects.get()
    assert ran.code == 0, ran.stderr
    assert (ran.json()["id"], ran.json()["status"], ran.json()["scores"]) == (
        submission.pk,
        "finished",
        {"score": 0.75},
    )
    said = ran.stderr.splitlines()
    assert said[2:4] == [
        f"Submission {submission.pk} to phase {contest.phase}: submitted",
        f"Submission {submission.pk}: submitted",
    ]
    assert said[-1] == f"Submission {submission.pk}: finished (ended)"


def test_submit_wait_exits_1_when_the_submission_fails(podium, contest, entrant, tmp_path, jobs):
    worker = threading.Thread(target=play_worker, args=(jobs, tmp_path, Status.FAILED))
    worker.start()

    ran = podium("submit", str(results_zip(tmp_path / "upload")), "--phase", str(contest.phase),
                 "--wait", "--poll", "0.1", token=token_for(entrant))  # fmt: skip
    worker.join()

    submission = Submission.objects.get()
    assert ran.code == 1
    assert ran.stderr.splitlines()[-1] == (
        f"Submission {submission.pk}: failed (ended) - scores.json is missing"
    )
    assert cells(ran.stdout)[:3] == [
        ["Submission:", str(submission.pk)],
        ["Status:", "failed"],
        ["Detail:", "scores.json is missing"],
    ]


def play_worker(jobs, folder, outcome: Status) -> None:
    """Waits for the job the submission queues, then runs its reports as the worker would."""
    for _ in range(200):
        if jobs:
            break
        threading.Event().wait(0.05)
    if outcome is Status.FINISHED:
        finish(jobs[0], folder / "outputs", scores={"score": 0.75})
        return
    reporter = HttpReporter(jobs[0], attempts=1)
    reporter.heartbeat(Status.RUNNING, "")
    reporter.report(Status.FAILED, "scores.json is missing", {}, {})


def test_submit_wait_gives_up_after_its_timeout(podium, contest, entrant, tmp_path):
    upload = results_zip(tmp_path / "upload")

    ran = podium("submit", str(upload), "--phase", str(contest.phase), "--wait", "--poll", "0.1",
                 "--timeout", "0.3", token=token_for(entrant))  # fmt: skip

    submission = Submission.objects.get()
    assert ran.code == 1
    assert ran.stderr.splitlines()[-1] == (
        f"error: submission {submission.pk} is still submitted after 0.3 s"
    )


def test_submissions_lists_and_filters(podium, contest, submitted, organizer, outsider):
    everyone = podium("submissions", "--phase", str(contest.phase), token=token_for(organizer))
    mine = podium("submissions", "--mine", "--json", token=token_for(outsider))

    assert everyone.code == 0
    assert cells(everyone.stdout) == [
        ["Submissions"],
        ["ID", "Phase", "Owner", "Status", "Detail", "Created"],
        [str(submitted.pk), str(contest.phase), "erin", "submitted", "-", "TIME"],
    ]
    assert (mine.code, mine.json()) == (0, [])


def test_submission_shows_its_status_scores_and_files(podium, finished, entrant):
    ran = podium("submission", str(finished.pk), token=token_for(entrant))
    as_json = podium("submission", str(finished.pk), "--json", token=token_for(entrant))

    assert ran.code == 0
    assert cells(ran.stdout) == [
        ["Submission:", str(finished.pk)],
        ["Status:", "finished"],
        ["Detail:", "-"],
        ["Files:", "predictions, scoring_output, logs, submission"],
        [],
        ["Scores"],
        ["Column", "Score"],
        ["score", "0.75"],
    ]
    assert [change["to_status"] for change in as_json.json()["status_history"]] == [
        "submitted", "preparing", "running", "scoring", "finished"
    ]  # fmt: skip


def test_logs_prints_the_end_of_the_logs_or_every_log_file(podium, submitted, finished, entrant):
    token = token_for(entrant)

    tail = podium("logs", str(finished.pk), token=token)
    full = podium("logs", str(finished.pk), "--full", token=token)
    full_json = podium("logs", str(finished.pk), "--full", "--json", token=token)

    assert (tail.code, tail.stdout) == (0, "epoch 1: loss 0.5\n")
    assert tail.stderr == f"Submission {finished.pk}: finished (ended)\n"
    assert full.code == 0
    assert full.stdout == (
        "==> prediction.stdout <==\nepoch 1: loss 0.5\n==> scoring.stdout <==\nscored\n"
    )
    assert full_json.json()["logs"] == {
        "prediction.stdout": "epoch 1: loss 0.5\n",
        "scoring.stdout": "scored\n",
    }


def test_logs_of_a_queued_submission_say_there_are_none_yet(podium, submitted, entrant):
    ran = podium("logs", str(submitted.pk), token=token_for(entrant))

    assert (ran.code, ran.stdout) == (0, "")
    assert ran.stderr == f"Submission {submitted.pk}: submitted\nNo logs yet.\n"


def test_download_saves_a_file_where_asked(podium, finished, entrant, tmp_path, monkeypatch):
    token = token_for(entrant)
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    sent = (tmp_path / "outputs" / "predictions.zip").read_bytes()

    default = podium("download", str(finished.pk), token=token)
    into_folder = podium("download", str(finished.pk), "--what", "logs", "-o", str(tmp_path),
                         "--json", token=token)  # fmt: skip
    as_file = podium("download", str(finished.pk), "--what", "scoring_output",
                     "-o", str(tmp_path / "scores.zip"), token=token)  # fmt: skip

    name = f"submission-{finished.pk}-predictions.zip"
    assert default.code == 0
    assert default.stdout == f"Saved {name} ({len(sent)} B).\n"
    assert (here / name).read_bytes() == sent
    logs = tmp_path / f"submission-{finished.pk}-logs.zip"
    assert into_folder.json() == {
        "submission": finished.pk,
        "what": "logs",
        "path": str(logs),
        "size": logs.stat().st_size,
    }
    assert logs.read_bytes() == (tmp_path / "outputs" / "logs.zip").read_bytes()
    assert as_file.code == 0
    assert (tmp_path / "scores.zip").read_bytes() == (
        tmp_path / "outputs" / "scoring_output.zip"
    ).read_bytes()
    assert sorted(path.name for path in here.iterdir()) == [name]  # no .partial left


def test_download_of_a_file_that_does_not_exist_says_so(podium, finished, entrant, tmp_path):
    ran = podium("download", str(finished.pk), "--what", "detailed_results",
                 "-o", str(tmp_path), token=token_for(entrant))  # fmt: skip

    assert ran.code == 1
    assert ran.stderr.splitlines()[-1] == (
        f"error: submission {finished.pk} has no detailed results to download: it does not "
        "exist (yet), or the phase does not show it to you"
    )
    assert not (tmp_path / f"submission-{finished.pk}-detailed_results.html").exists()


def test_cancel_stops_a_queued_submission_once(podium, submitted, entrant, outsider):
    token = token_for(entrant)

    first = podium("cancel", str(submitted.pk), "--json", token=token)
    again = podium("cancel", str(submitted.pk), "--json", token=token)
    stranger = podium("cancel", str(submitted.pk), token=token_for(outsider))

    assert (first.code, first.json()["status"]) == (0, "cancelled")
    assert (again.code, again.json()["status"]) == (0, "cancelled")
    assert (stranger.code, stranger.stderr) == (
        4,
        "error: No Submission matches the given query.\n",
    )
    submitted.refresh_from_db()
    assert (submitted.status, submitted.status_detail) == ("cancelled", "cancelled by erin")


def test_a_finished_submission_cannot_be_cancelled(podium, finished, entrant):
    ran = podium("cancel", str(finished.pk), token=token_for(entrant))

    assert ran.code == 4
    assert ran.stderr.startswith("error: ")
    finished.refresh_from_db()
    assert finished.status == "finished"


def test_organizers_run_a_submission_again_and_participants_may_not(
    podium, finished, organizer, entrant, jobs
):
    refused = podium("rerun", str(finished.pk), token=token_for(entrant))
    again = podium("rerun", str(finished.pk), "--json", token=token_for(organizer))

    assert (refused.code, refused.stderr) == (
        4,
        "error: only the organizers of its competition may re-run a submission\n",
    )
    rerun = Submission.objects.exclude(pk=finished.pk).get()
    assert again.code == 0
    assert (again.json()["id"], again.json()["owner"], again.json()["status"]) == (
        rerun.pk,
        "erin",
        "submitted",
    )
    assert again.stderr == f"Submission {finished.pk} runs again as submission {rerun.pk}\n"
    assert [job.submission for job in jobs] == [finished.pk, rerun.pk]


def test_leaderboard_ranks_the_finished_submissions(
    podium, contest, finished, entrant, tmp_path, jobs
):
    rival = make_user("fay")
    make_participant(user=rival, competition=Competition.objects.get(pk=contest.id),
                     status=Participant.Status.APPROVED)  # fmt: skip
    podium("submit", str(results_zip(tmp_path / "rival")), "--phase", str(contest.phase),
           token=token_for(rival))  # fmt: skip
    finish(jobs[1], tmp_path / "rival-outputs", scores={"score": 0.5})
    second = Submission.objects.get(owner=rival)

    table = podium("leaderboard", str(contest.phase), token=token_for(entrant))
    anonymous = podium("leaderboard", str(contest.phase), "--json")

    assert table.code == 0
    assert cells(table.stdout) == [
        [f"Results (phase {contest.phase})"],
        ["Rank", "Participant", "Submission", "Score"],
        ["1", "erin (you)", str(finished.pk), "0.75"],
        ["2", "fay", str(second.pk), "0.50"],
    ]
    board = anonymous.json()
    assert (board["count"], board["leaderboard"]["key"]) == (2, "main")
    assert [(row["participant"], row["scores"]) for row in board["results"]] == [
        ("erin", {"score": 0.75}),
        ("fay", {"score": 0.5}),
    ]


def test_a_hidden_leaderboard_is_not_found_for_participants(podium, contest, finished, entrant):
    Competition.objects.get(pk=contest.id).leaderboards.update(hidden=True)

    ran = podium("leaderboard", str(contest.phase), token=token_for(entrant))

    assert (ran.code, ran.stderr) == (4, "error: this phase has no leaderboard\n")


def test_participants_choose_their_entries_where_the_rule_lets_them(
    podium, contest, finished, entrant, tmp_path, jobs
):
    Competition.objects.get(pk=contest.id).leaderboards.update(submission_rule="Add_And_Delete")
    token = token_for(entrant)
    phase = str(contest.phase)

    added = podium("leaderboard", phase, "--add", str(finished.pk), "--json", token=token)
    removed = podium("leaderboard", phase, "--remove", str(finished.pk), "--json", token=token)
    elsewhere = podium("leaderboard", "999", "--add", str(finished.pk), token=token)

    assert added.code == 0, added.stderr
    assert [row["submission"] for row in added.json()["results"]] == [finished.pk]
    assert added.stderr == f"Submission {finished.pk} is on the leaderboard of phase {phase}\n"
    assert removed.code == 0
    assert removed.json()["results"] == []
    assert removed.stderr == (
        f"Submission {finished.pk} is not on the leaderboard of phase {phase}\n"
    )
    assert (elsewhere.code, elsewhere.stderr) == (
        2,
        f"error: submission {finished.pk} is in phase {phase}, not 999\n",
    )


def test_under_an_automatic_rule_the_server_refuses_manual_entries(
    podium, contest, finished, entrant
):
    ran = podium("leaderboard", str(contest.phase), "--remove", str(finished.pk),
                 token=token_for(entrant))  # fmt: skip

    assert ran.code == 4
    assert ran.stderr.startswith("error: ")
    assert [
        row["submission"]
        for row in podium("leaderboard", str(contest.phase), "--json").json()["results"]
    ] == [finished.pk]
