"""A submission after it was made: its worker's output uploads, cancelling, re-running,
deleting, what its owner may change, what each viewer may read of it, and the organizers'
baselines (a bundle's solutions run as submissions).

The API checks who may call what with the querysets of podium.submissions.models; the rules
here are the ones that hold whoever calls (a running submission is not deleted, a stale
upload is not kept), and the ones about what a viewer sees, which depend on the phase.
"""

from __future__ import annotations

import tempfile
import zipfile
from typing import IO, Any, BinaryIO, cast

from django.conf import settings
from django.db import transaction
from django.db.models import F, ForeignObjectRel, Q
from django.utils import timezone

from podium.accounts.models import User
from podium.audit import services as audit
from podium.audit.models import Action
from podium.competitions.models import Competition, Phase, Solution, Task
from podium.datasets import services as datasets
from podium.datasets.models import Data
from podium.datasets.signing import signed_url
from podium.leaderboards import services as leaderboards
from podium.leaderboards.visibility import score_view, visible_scores
from podium.participation.models import Participant
from podium.submissions import rules, services
from podium.submissions.models import Submission
from podium.submissions.services import transition
from podium_worker.protocol import TERMINAL, Output, Status

ENDED = frozenset(status.value for status in TERMINAL)

# Where each upload is kept on the submission.
OUTPUT_FIELDS: dict[Output, str] = {
    Output.PREDICTIONS: "prediction_result",
    Output.SCORING_OUTPUT: "scoring_result",
    Output.DETAILED_RESULTS: "detailed_result",
    Output.LOGS: "logs",
}


class NotAllowed(Exception):
    """The caller may see the submission but not do this to it; the message says why."""


class Conflict(Exception):
    """The submission's state does not allow this now (it runs, or it has ended)."""


class NoSuchOutput(Exception):
    """The submission has no such file (yet)."""


class OutputRefused(Exception):
    """An upload that is not kept; the message says why. Nothing was stored."""


class OutputTooLarge(OutputRefused):
    pass


# Worker uploads


def output_is_stale(submission: Submission, attempt: int) -> bool:
    """An upload of an older attempt, or for a submission that has ended, is not kept: the
    attempt that replaced it, or the final state, must not be overwritten by a late worker."""
    return attempt != submission.attempt or submission.status in ENDED


def receive_output(
    *,
    submission: Submission,
    kind: Output,
    attempt: int,
    body: BinaryIO,
    declared_size: int | None,
) -> bool:
    """Keeps one output of a job as a Data file of the submission's owner; returns False,
    storing nothing, when the upload is stale. A second upload of the same kind replaces the
    first, whose file goes when nothing else uses it.

    The body is copied in chunks to a temporary file, never held whole in memory, and refused
    once it passes PODIUM_SUBMISSION_MAX_BYTES. Outputs do not count against the quota at
    upload: refusing a finished job's logs would hide why it failed from its participant.
    """
    if output_is_stale(submission, attempt):
        return False
    with tempfile.TemporaryFile(prefix="podium-output-") as copy:
        _spool(body, copy, kind=kind, declared_size=declared_size)
        if kind is not Output.DETAILED_RESULTS and not zipfile.is_zipfile(copy):
            raise OutputRefused(f"{kind.value} must be a zip archive")
        copy.seek(0)
        is_log = kind is Output.LOGS
        suffix = ".html" if kind is Output.DETAILED_RESULTS else ".zip"
        data = datasets.store(
            owner=submission.owner,
            kind=Data.Kind.LOG if is_log else Data.Kind.OUTPUT,
            name=f"submission-{submission.pk}-{kind.value}{suffix}",
            stream=cast(BinaryIO, copy),
            check_quota=False,
        )
    # The file is stored before the row is locked, so that a long upload never holds the
    # lock that heartbeats wait on; the state is checked again under the lock.
    field = OUTPUT_FIELDS[kind]
    with transaction.atomic():
        current = Submission.objects.select_for_update().get(pk=submission.pk)
        stale = output_is_stale(current, attempt)
        replaced_id = getattr(current, f"{field}_id")
        if not stale:
            setattr(current, field, data)
            current.save(update_fields=[field, "updated_at"])
    if stale:
        _discard([data.pk])
        return False
    if replaced_id is not None:
        _discard([replaced_id])
    return True


def _spool(body: BinaryIO, copy: IO[bytes], *, kind: Output, declared_size: int | None) -> None:
    """Copies the body in chunks, refusing it as soon as it passes the limit: at once when
    its declared size does, or when it turns out longer than declared."""
    limit = settings.SUBMISSION_MAX_BYTES
    too_large = OutputTooLarge(
        f"{kind.value} is larger than the limit of {limit} bytes (PODIUM_SUBMISSION_MAX_BYTES)"
    )
    if declared_size is not None and declared_size > limit:
        raise too_large
    size = 0
    for chunk in iter(lambda: body.read(datasets.CHUNK), b""):
        size += len(chunk)
        if size > limit:
            raise too_large
        copy.write(chunk)
    copy.seek(0)


def is_cancelled(submission: Submission) -> bool:
    """Whether the worker running this job should stop: it, or the submission it is a task
    of, was cancelled."""
    cancelled = Status.CANCELLED.value
    return (
        Submission.objects.filter(pk=submission.pk)
        .filter(Q(status=cancelled) | Q(parent__status=cancelled))
        .exists()
    )


# Cancelling, re-running, deleting


def _top(submission: Submission) -> Submission:
    """A child is one task of its parent; the participant's submission is the parent."""
    return submission.parent if submission.parent is not None else submission


def cancel(submission: Submission, *, by: User) -> Submission:
    """Cancels the whole submission (a child stands for its parent) and every task of it
    that has not ended. A job still waiting in the queue is cancelled too: the worker that
    takes it later is told so by its first heartbeat's reply, and its reports change
    nothing. Cancelling a cancelled submission again only cancels what of it still runs;
    a finished or failed one is a Conflict."""
    top_id = submission.parent_id or submission.pk
    detail = f"cancelled by {by.username}"
    with transaction.atomic():
        # Children first, then the parent: the order a worker's report locks them in, so
        # that the two never wait on each other.
        children = list(
            Submission.objects.select_for_update().filter(parent_id=top_id).order_by("pk")
        )
        top = Submission.objects.select_for_update().get(pk=top_id)
        if top.status in ENDED and top.status != Status.CANCELLED:
            raise Conflict(f"submission {top.pk} has already {top.status}")
        for child in children:
            if child.status not in ENDED:
                transition(child, Status.CANCELLED, detail=detail)
        if top.status != Status.CANCELLED:
            transition(top, Status.CANCELLED, detail=detail)
            audit.record(
                actor=by,
                action=Action.SUBMISSION_CANCEL,
                target=top,
                competition=top.phase.competition_id,
            )
    return top


def run_again(top: Submission, *, phase: Phase, tasks: list[Task], detail: str) -> Submission:
    """The same file as a new submission of the same owner on `phase`, past every limit."""
    return services.start_submission(
        owner=top.owner,
        participant=top.participant,
        phase=phase,
        tasks=tasks,
        data=top.data,
        organization=top.organization,
        fact_sheet_answers=top.fact_sheet_answers,
        is_baseline=top.is_baseline,
        detail=detail,
    )


def re_run(submission: Submission, *, by: User) -> Submission:
    """Runs the same file again as a new submission of the same owner on the same phase
    (with the phase's tasks as they are now), past every participant limit, queued after
    commit. Only a submission that has ended runs again."""
    top = _top(submission)
    if top.status not in ENDED:
        raise Conflict(f"submission {top.pk} is still {top.status}; re-run it once it has ended")
    with transaction.atomic():
        again = run_again(
            top,
            phase=top.phase,
            tasks=services.tasks_of(top.phase),
            detail=f"re-run of submission {top.pk} by {by.username}",
        )
        audit.record(
            actor=by,
            action=Action.SUBMISSION_RERUN,
            target=top,
            competition=top.phase.competition_id,
            details={"new_submission": again.pk},
        )
    return again


def re_run_phase(phase: Phase, *, by: User) -> int:
    """Re-runs every finished or failed submission of the phase (cancelled ones stay as
    their owners left them); returns how many. All or none are queued."""
    ended = phase.submissions.filter(
        parent__isnull=True, status__in=[Status.FINISHED.value, Status.FAILED.value]
    ).select_related("phase", "owner", "participant", "organization", "data")
    with transaction.atomic():
        submissions = list(ended.order_by("pk"))
        tasks = services.tasks_of(phase) if submissions else []
        for submission in submissions:
            run_again(
                submission,
                phase=phase,
                tasks=tasks,
                detail=f"re-run of submission {submission.pk} by {by.username}",
            )
        audit.record(
            actor=by,
            action=Action.PHASE_RERUN,
            target=phase,
            competition=phase.competition_id,
            details={"submissions": len(submissions)},
        )
    return len(submissions)


def delete(submission: Submission, *, by: User | None = None) -> None:
    """Deletes a submission that has ended, with its tasks, scores and history, and the
    files (its upload, outputs, logs) that nothing else uses: a re-run shares its upload,
    a baseline its solution's file. A running one must be cancelled first."""
    if submission.parent_id is not None:
        raise Conflict(
            f"submission {submission.pk} is one task of submission {submission.parent_id}; "
            "delete that one"
        )
    with transaction.atomic():
        # Children first, the parent last: the order a worker's report locks them in.
        tree = list(
            Submission.objects.select_for_update()
            .filter(Q(pk=submission.pk) | Q(parent_id=submission.pk))
            .order_by(F("parent_id").asc(nulls_last=True), "pk")
        )
        if not tree:
            return  # deleted meanwhile by someone else
        top = tree[-1]
        if any(row.status not in ENDED for row in tree):
            raise Conflict(f"submission {top.pk} is {top.status}; cancel it first")
        files = [
            file_id
            for row in tree
            for file_id in (
                row.data_id,
                row.prediction_result_id,
                row.scoring_result_id,
                row.detailed_result_id,
                row.logs_id,
            )
            if file_id is not None
        ]
        audit.record(
            actor=by,
            action=Action.SUBMISSION_DELETE,
            target=top,
            competition=top.phase.competition_id,
            details={"owner": top.owner.username, "status": top.status},
        )
        phase, owner_id = top.phase, top.owner_id
        top.delete()
        _discard(files)
        # Its leaderboard row goes with it. Under Force_Best or Force_Last the participant's
        # next entry takes its place; the leaderboard's rows follow either way.
        leaderboards.entries_changed(phase, owner_id)


def _discard(file_ids: list[int]) -> None:
    """Deletes the files nothing refers to any more (a blob goes with its last row)."""
    for data in Data.objects.filter(pk__in=set(file_ids)):
        if not _in_use(data):
            datasets.delete(data)


def _in_use(data: Data) -> bool:
    """Whether any row of any model points at this file, whatever its relation's name (most
    of them are hidden, `related_name="+"`), so that a new reference is never missed."""
    for relation in Data._meta.get_fields(include_hidden=True):
        if isinstance(relation, ForeignObjectRel):
            manager = relation.related_model._default_manager
            if manager.filter(**{relation.field.name: data}).exists():
                return True
    return False


# What owners and organizers change


def update(submission: Submission, *, by: User, changes: dict[str, Any]) -> Submission:
    """Applies an owner's or organizer's changes: `is_public` and `fact_sheet_answers`, the
    only parts of a submission that are not the server's. Both or neither."""
    top = _top(submission)
    with transaction.atomic():
        if "fact_sheet_answers" in changes:
            update_fact_sheet(top, answers=changes["fact_sheet_answers"])
        if "is_public" in changes and changes["is_public"] != top.is_public:
            set_public(top, by=by, is_public=changes["is_public"])
    top.refresh_from_db()
    return top


def update_fact_sheet(submission: Submission, *, answers: object) -> Submission:
    """Replaces the answers, checked against the competition's questions like at
    submission time (rules.AnswersInvalid otherwise). They belong to the whole submission."""
    top = _top(submission)
    checked = rules.check_fact_sheet(top.phase.competition.fact_sheet, answers)
    top.fact_sheet_answers = checked or None
    top.save(update_fields=["fact_sheet_answers", "updated_at"])
    return top  # a leaderboard reads the answers it shows with each page


def set_public(submission: Submission, *, by: User, is_public: bool) -> Submission:
    """Shows the submission to everyone who may see its competition, or hides it again. Its
    owner's decision alone; making it public needs a competition that allows it (its
    organizers' own submissions excepted)."""
    top = _top(submission)
    if top.owner_id != by.pk:
        raise NotAllowed("only its owner may make a submission public or private")
    competition = top.phase.competition
    allowed = competition.can_participants_make_submissions_public
    if is_public and not allowed and not competition.is_organizer(by):
        raise NotAllowed("this competition does not let participants make submissions public")
    Submission.objects.filter(Q(pk=top.pk) | Q(parent=top)).update(
        is_public=is_public, updated_at=timezone.now()
    )
    top.is_public = is_public
    return top


# What a viewer reads


def _may_see_outputs(submission: Submission, user: Any) -> dict[str, bool]:
    """Which files of the submission this viewer may download. Organizers and platform
    admins: all. Its owner: the upload, and the outputs the phase does not hide (`hide_output`
    hides logs, predictions, scoring output and detailed results from participants, as in
    Codabench, `hide_prediction_output` and `hide_score_output` one each). Others who may
    see it (a public submission): only its detailed results, where the competition shows
    them on its leaderboard. The scoring output and the detailed results carry the scores:
    where the leaderboards' visibility policy hides the scores (a hidden leaderboard, or one
    before its release date), they are withheld too."""
    phase = submission.phase
    competition = phase.competition
    if competition.is_organizer(user):
        return dict.fromkeys(("submission", *(kind.value for kind in Output)), True)
    owner = getattr(user, "is_authenticated", False) and submission.owner_id == user.pk
    board = phase.leaderboard
    scores_shown = board is None or score_view(user, board, organizer=False).shown
    shown = not phase.hide_output
    detailed = shown and scores_shown and competition.enable_detailed_results
    return {
        "submission": owner,
        Output.PREDICTIONS.value: owner and shown and not phase.hide_prediction_output,
        Output.SCORING_OUTPUT.value: owner
        and shown
        and scores_shown
        and not phase.hide_score_output,
        Output.DETAILED_RESULTS.value: detailed
        and (owner or competition.show_detailed_results_in_leaderboard),
        Output.LOGS.value: owner and shown,
    }


def detailed_result(submission: Submission, user: Any) -> Data:
    """The detailed results file, if this viewer may have it (NotAllowed saying why
    otherwise, NoSuchOutput when the scoring program wrote none)."""
    if not _may_see_outputs(submission, user)[Output.DETAILED_RESULTS.value]:
        competition = submission.phase.competition
        board = submission.phase.leaderboard
        if submission.phase.hide_output:
            reason = "this phase hides the output of submissions from participants"
        elif board is not None and not score_view(user, board, organizer=False).shown:
            reason = score_view(user, board, organizer=False).reason
        elif not competition.enable_detailed_results:
            reason = "this competition does not show detailed results"
        else:
            reason = "only its owner and the organizers see this submission's detailed results"
        raise NotAllowed(reason)
    if submission.detailed_result is None:
        raise NoSuchOutput(f"submission {submission.pk} has no detailed results")
    return submission.detailed_result


def details(submission: Submission, user: Any) -> dict[str, Any]:
    """Everything one viewer may know about a submission's run, with signed download URLs
    for the files they may have (None for the others and for files that do not exist)."""
    may = _may_see_outputs(submission, user)
    files: dict[str, Data | None] = {
        "submission": submission.data,
        **{kind.value: getattr(submission, OUTPUT_FIELDS[kind]) for kind in Output},
    }
    return {
        "id": submission.pk,
        "status": submission.status,
        "status_detail": submission.status_detail,
        "status_history": list(
            submission.status_changes.order_by("id").values(
                "from_status", "to_status", "detail", "at"
            )
        ),
        "log_tail": submission.log_tail if may[Output.LOGS.value] else None,
        "metrics": submission.metrics,
        "scores": visible_scores(user, submission),
        "children": [
            {
                "id": child.pk,
                "task": child.task_id,
                "status": child.status,
                "status_detail": child.status_detail,
                "scores": visible_scores(user, child),
            }
            for child in submission.children.order_by("pk")
        ],
        "files": {
            name: signed_url(data) if data is not None and may[name] else None
            for name, data in files.items()
        },
    }


# Baselines


def run_solutions(competition: Competition, *, by: User) -> list[Submission]:
    """Submits each solution of the competition's tasks as a baseline of `by` (the organizer
    who imported them) on every phase whose tasks it covers, past participant limits and
    phase dates, queued after commit. A solution shows that its tasks can be scored at all,
    and gives the leaderboard its reference row."""
    solutions = list(
        Solution.objects.filter(tasks__phases__competition=competition)
        .distinct()
        .prefetch_related("tasks")
        .select_related("data")
        .order_by("pk")
    )
    participant = Participant.objects.filter(user=by, competition=competition).first()
    started = []
    with transaction.atomic():
        for phase in competition.phases.order_by("index", "pk"):
            tasks = [
                link.task for link in phase.phase_tasks.select_related("task").order_by("index")
            ]
            needed = {task.pk for task in tasks}
            for solution in solutions:
                if not needed or not needed <= {task.pk for task in solution.tasks.all()}:
                    continue
                started.append(
                    services.start_submission(
                        owner=by,
                        participant=participant,
                        phase=phase,
                        tasks=tasks,
                        data=solution.data,
                        is_baseline=True,
                        detail=f"baseline: solution {solution.name!r}",
                    )
                )
    return started
