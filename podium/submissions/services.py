"""Submissions: creating them (with every refusal), and the status state machine that
every status change goes through (`transition`)."""

from __future__ import annotations

import functools
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any, BinaryIO, cast

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from podium.accounts.models import User
from podium.competitions.models import Phase, Task
from podium.datasets import services as datasets
from podium.datasets.models import Data
from podium.organizations import services as organizations
from podium.organizations.models import Organization
from podium.participation.models import Participant
from podium.submissions import dispatch, rules
from podium.submissions.models import StatusChange, Submission
from podium_worker import archive
from podium_worker.protocol import REQUEUE_FROM, TERMINAL, TRANSITIONS, Status


class IllegalTransition(Exception):
    pass


def transition(
    submission: Submission, to: Status, *, detail: str = "", requeue: bool = False
) -> Submission:
    """Moves `submission` to `to`, or raises IllegalTransition naming both statuses.

    The row is locked and re-read, so two concurrent callers cannot both move it.
    `requeue` allows the one backward move (a lost worker's job back to submitted).
    """
    with transaction.atomic():
        current = Submission.objects.select_for_update().get(pk=submission.pk)
        before = Status(current.status)
        allowed = to in TRANSITIONS[before] or (
            requeue and to == Status.SUBMITTED and before in REQUEUE_FROM
        )
        if not allowed:
            raise IllegalTransition(f"a submission cannot go from {before} to {to}")
        now = timezone.now()
        current.status = to.value
        current.status_detail = detail
        fields = ["status", "status_detail", "updated_at"]
        if to == Status.PREPARING:
            current.started_at = now
            fields.append("started_at")
        if to in TERMINAL:
            current.finished_at = now
            fields.append("finished_at")
        if requeue:
            current.attempt += 1
            fields.append("attempt")
        current.save(update_fields=fields)
        StatusChange.objects.create(
            submission=current, from_status=before.value, to_status=to.value, detail=detail
        )
    for field in fields:
        setattr(submission, field, getattr(current, field))
    return submission


class SubmissionRefused(Exception):
    """A submission that may not be made; the message says why. Nothing was created."""


class SubmissionForbidden(SubmissionRefused):
    """Refused because of who is submitting (not registered, not approved, not a member of
    the organization), rather than what: the API answers it 403 instead of 400."""


def _check_archive(stream: BinaryIO) -> None:
    """A submission is a zip, held to the same unpacking checks as bundles (HOSTILE B20)."""
    if not zipfile.is_zipfile(stream):
        raise SubmissionRefused("a submission must be a zip archive")
    stream.seek(0)
    budget = archive.Budget(
        max_bytes=settings.SUBMISSION_MAX_BYTES, max_entries=settings.BUNDLE_MAX_ENTRIES
    )
    with tempfile.TemporaryDirectory(prefix="podium-submission-") as folder:
        source = Path(folder) / "submission.zip"
        with source.open("wb") as copy:
            shutil.copyfileobj(stream, copy)
        try:
            archive.extract(source, Path(folder), budget, where="submission.zip")
        except archive.ArchiveError as exc:
            raise SubmissionRefused(str(exc)) from None
    stream.seek(0)


def _check_limits(phase: Phase, user: User) -> None:
    mine = Submission.objects.filter(phase=phase, owner=user, parent__isnull=True)
    if phase.max_submissions is not None:
        total = mine.count()
        if total >= phase.max_submissions:
            raise SubmissionRefused(f"submission limit reached ({total}/{phase.max_submissions})")
    if phase.max_submissions_per_day is not None:
        today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
        count = mine.filter(created_at__gte=today).count()
        if count >= phase.max_submissions_per_day:
            raise SubmissionRefused(
                f"daily limit reached ({count}/{phase.max_submissions_per_day})"
            )


def create_submission(
    *,
    user: User,
    phase: Phase,
    stream: BinaryIO | None = None,
    data: Data | None = None,
    name: str = "submission.zip",
    organization: Organization | None = None,
    fact_sheet_answers: object = None,
) -> Submission:
    """Creates a submission and queues one job per task of its phase, after commit.

    Refused with a reason, and with nothing created, counted or queued, when the user is
    not an approved participant, the phase is not open, a limit is reached, the fact sheet
    answers do not fit the questions, the file is not an acceptable zip, or the user may
    not submit for `organization` (see organizations.check_may_act_for). Organizers and
    platform admins may submit to any phase of their competition at any time, to test it.
    Limits count every submission made (failed ones too) and hold under concurrency: the
    participant's row is locked while counting and creating.

    The file is `stream`, or `data` when it is already stored (a completed upload).
    """
    if (stream is None) == (data is None):
        raise ValueError("create_submission takes a stream or stored data, not both")
    competition = phase.competition
    organizer = competition.is_organizer(user)
    try:
        answers = rules.check_fact_sheet(competition.fact_sheet, fact_sheet_answers)
    except rules.AnswersInvalid as exc:
        raise SubmissionRefused(f"fact sheet: {exc}") from None
    tasks = tasks_of(phase)
    if stream is not None:
        _check_archive(stream)
    else:
        assert data is not None
        with default_storage.open(str(data.file.name), "rb") as stored:
            _check_archive(cast(BinaryIO, stored))
    with transaction.atomic():
        participant = (
            Participant.objects.select_for_update()
            .filter(user=user, competition=competition)
            .first()
        )
        if not organizer:
            if participant is None:
                raise SubmissionForbidden("you are not registered for this competition")
            if participant.status != Participant.Status.APPROVED:
                raise SubmissionForbidden(f"your registration is {participant.status}")
            if not phase.is_open():
                raise SubmissionRefused(f"phase {phase.name!r} is not open for submissions")
            _check_limits(phase, user)
        if organization is not None:
            try:
                organizations.check_may_act_for(
                    organization=organization, user=user, competition=competition
                )
            except organizations.NotAllowed as exc:
                raise SubmissionForbidden(str(exc)) from None
            except organizations.OrganizationError as exc:
                raise SubmissionRefused(str(exc)) from None
        if stream is not None:
            try:
                data = datasets.store(
                    owner=user, kind=Data.Kind.SUBMISSION, name=name, stream=stream
                )
            except datasets.QuotaExceeded as exc:
                raise SubmissionRefused(str(exc)) from None
        assert data is not None
        return start_submission(
            owner=user,
            participant=participant,
            phase=phase,
            tasks=tasks,
            data=data,
            organization=organization,
            fact_sheet_answers=answers or None,
            publish=competition.auto_run_submissions,
        )


def tasks_of(phase: Phase) -> list[Task]:
    """The phase's tasks in order; refused when there is none to run."""
    tasks = [link.task for link in phase.phase_tasks.select_related("task").order_by("index")]
    if not tasks:
        raise SubmissionRefused(f"phase {phase.name!r} has no tasks to run")
    return tasks


def start_submission(
    *,
    owner: User,
    participant: Participant | None,
    phase: Phase,
    tasks: list[Task],
    data: Data,
    organization: Organization | None = None,
    fact_sheet_answers: dict[str, Any] | None = None,
    is_baseline: bool = False,
    publish: bool = True,
    detail: str = "",
) -> Submission:
    """The rows of a submission whose checks are done: the parent, one child per task when
    the phase has several, all submitted (`detail` says why in their status history), and
    their jobs published after commit when `publish`. Creation, re-runs and baselines all
    start submissions here."""
    with transaction.atomic():
        parent = Submission.objects.create(
            owner=owner,
            participant=participant,
            phase=phase,
            task=tasks[0] if len(tasks) == 1 else None,
            organization=organization,
            data=data,
            fact_sheet_answers=fact_sheet_answers,
            is_baseline=is_baseline,
        )
        # A phase with several tasks runs one child submission per task.
        jobs = [(parent, tasks[0])] if len(tasks) == 1 else []
        for task in tasks if len(tasks) > 1 else []:
            child = Submission.objects.create(
                owner=owner,
                participant=participant,
                phase=phase,
                task=task,
                parent=parent,
                organization=organization,
                data=data,
                is_baseline=is_baseline,
            )
            transition(child, Status.SUBMITTED, detail=detail)
            jobs.append((child, task))
        transition(parent, Status.SUBMITTED, detail=detail)
        if publish:
            for submission, task in jobs:
                transaction.on_commit(functools.partial(dispatch.publish, submission, task))
    return parent
