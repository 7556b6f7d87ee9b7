"""What the host pages read: the platform's figures, users' storage, queues and the jobs
their workers hold, the audit log. Read-only queries, a few each; the figures that the
analytics API shares come from `podium.audit.analytics`, never a copy of them.

Workers do not register with the server: the server knows a worker by the jobs it holds
and the reports it sends. A queue's "last seen" is its latest report, read from the job
leases that every report renews (`podium.submissions.reports.receive`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import (
    Count,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from podium.accounts.models import User
from podium.audit import analytics
from podium.audit.models import AuditEntry
from podium.competitions.models import Competition
from podium.datasets.models import Data, DataGroup
from podium.queues.models import Queue
from podium.submissions.models import Submission


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


@dataclass(frozen=True)
class Overview:
    users: int
    users_this_week: int
    competitions: int
    published: int
    submissions: int
    running: int
    waiting: int
    bytes: int
    files: int
    queues: int
    data_groups: int
    audit_this_week: int


def overview(now: datetime) -> Overview:
    week_ago = now - timedelta(days=7)
    users = User.objects.aggregate(
        all=Count("pk"), recent=Count("pk", filter=Q(date_joined__gte=week_ago))
    )
    competitions = Competition.objects.aggregate(
        all=Count("pk"), published=Count("pk", filter=Q(published=True))
    )
    stored = totals()
    workers = analytics.workers_busy()
    return Overview(
        users=users["all"],
        users_this_week=users["recent"],
        competitions=competitions["all"],
        published=competitions["published"],
        submissions=Submission.objects.filter(parent__isnull=True).count(),
        running=workers["running"],
        waiting=workers["waiting"],
        bytes=stored["bytes"],
        files=stored["files"],
        queues=Queue.objects.count(),
        data_groups=DataGroup.objects.count(),
        audit_this_week=AuditEntry.objects.filter(at__gte=week_ago).count(),
    )


# Storage


def totals() -> dict[str, int]:
    """Bytes and files stored, as the quotas count them: every completed file."""
    stored: dict[str, int] = Data.objects.filter(upload_completed=True).aggregate(
        bytes=Coalesce(Sum("size"), 0), files=Count("pk")
    )
    return stored


def users_by_storage(search: str = "") -> QuerySet[User]:
    """Users with `bytes` and `files` as the quotas count them (completed files they
    own), those storing most first."""
    counted = Q(data_files__upload_completed=True)
    users = User.objects.all()
    if search:
        users = users.filter(Q(username__icontains=search) | Q(email__icontains=search))
    return users.annotate(
        bytes=Coalesce(Sum("data_files__size", filter=counted), 0),
        files=Count("data_files", filter=counted),
    ).order_by("-bytes", "username")


def usage(user: User) -> dict[str, int]:
    """What `user` stores, as their quota counts it."""
    used = Data.objects.counted_for(user).aggregate(
        bytes=Coalesce(Sum("size"), 0), files=Count("pk")
    )
    return {"bytes": used["bytes"], "files": used["files"], "quota": user.storage_quota()}


def data_groups() -> QuerySet[DataGroup]:
    """Every user's data groups with their number of files and their bytes, newest first."""
    return (
        DataGroup.objects.select_related("owner")
        .annotate(
            file_count=Count("entries"),
            bytes=Coalesce(Sum("entries__data__size"), 0),
        )
        .order_by("-created_at", "-pk")
    )


# Workers and queues


@dataclass(frozen=True)
class QueueRow:
    queue: Queue | None  # None: the platform's default queue
    name: str
    competitions: int
    running: int
    waiting: int
    last_seen: datetime | None

    @property
    def state(self) -> str:
        """`busy` while a worker holds a job whose lease is live, `waiting` when jobs wait
        and no worker reported within a lease, `idle` otherwise."""
        lease = timedelta(seconds=settings.JOB_LEASE_SECONDS)
        recent = self.last_seen is not None and timezone.now() - self.last_seen <= lease
        if self.running and recent:
            return "busy"
        if self.waiting and not recent:
            return "stalled"
        return "idle"


def _last_reports(lease: timedelta) -> dict[int | None, datetime]:
    """The latest worker report per queue id (None: the default queue). Each report sets a
    job's lease to its time plus the lease's length."""
    rows = (
        Submission.objects.filter(task__isnull=False, lease_expires_at__isnull=False)
        .order_by()
        .values("phase__competition__queue")
        .annotate(latest=Max("lease_expires_at"))
    )
    return {row["phase__competition__queue"]: row["latest"] - lease for row in rows}


def queue_rows(
    page_of_queues: list[Queue], *, with_default: bool, busy: dict[str, Any]
) -> list[QueueRow]:
    """One row per queue of the page, and one for the default queue when asked: how many
    competitions use it, its jobs held and waiting (`busy`, from
    `analytics.workers_busy`), its workers' latest report."""
    lease = timedelta(seconds=settings.JOB_LEASE_SECONDS)
    last = _last_reports(lease)
    load = {row["queue"]: row for row in busy["queues"]}
    rows = []
    if with_default:
        default = load.get(None, {})
        rows.append(
            QueueRow(
                queue=None,
                name=settings.DEFAULT_QUEUE,
                competitions=Competition.objects.filter(queue__isnull=True).count(),
                running=default.get("running", 0),
                waiting=default.get("waiting", 0),
                last_seen=last.get(None),
            )
        )
    for queue in page_of_queues:
        busy = load.get(queue.pk, {})
        rows.append(
            QueueRow(
                queue=queue,
                name=queue.name,
                competitions=getattr(queue, "competition_count", 0),
                running=busy.get("running", 0),
                waiting=busy.get("waiting", 0),
                last_seen=last.get(queue.pk),
            )
        )
    return rows


def queues() -> QuerySet[Queue]:
    """Every queue with its owner and `competition_count`, oldest first."""
    using = (
        Competition.objects.filter(queue=OuterRef("pk"))
        .order_by()
        .values("queue")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        Queue.objects.select_related("owner")
        .annotate(competition_count=Coalesce(Subquery(using, output_field=IntegerField()), 0))
        .order_by("pk")
    )


def jobs_held() -> QuerySet[Submission]:
    """The jobs workers hold now (preparing, running or scoring), the longest silent
    first."""
    return (
        Submission.objects.filter(task__isnull=False, status__in=analytics.HELD)
        .select_related("phase__competition", "owner", "task")
        .order_by("lease_expires_at", "pk")
    )


def last_report(job: Submission) -> datetime | None:
    """When the worker holding `job` last reported: every report sets the lease to that
    moment plus the lease's length."""
    if job.lease_expires_at is None:
        return None
    return job.lease_expires_at - timedelta(seconds=settings.JOB_LEASE_SECONDS)


# The audit log


def audit_entries(criteria: dict[str, Any]) -> QuerySet[AuditEntry]:
    """Entries newest first, filtered by the audit form's cleaned data: the same filters
    as the audit API, days instead of moments for the window (`until` is inclusive)."""
    entries = AuditEntry.objects.order_by("-at", "-id")
    lookups = {
        "action": "action",
        "actor": "actor_name",
        "competition": "competition_id",
        "target_type": "target_type",
        "target_id": "target_id",
    }
    chosen = {
        lookup: criteria[name]
        for name, lookup in lookups.items()
        if criteria.get(name) not in (None, "")
    }
    if criteria.get("since"):
        chosen["at__gte"] = _midnight(criteria["since"])
    if criteria.get("until"):
        chosen["at__lt"] = _midnight(criteria["until"] + timedelta(days=1))
    return entries.filter(**chosen)


def target_types() -> list[str]:
    """The kinds of object the log holds entries about, for the filter's choices."""
    return list(
        AuditEntry.objects.exclude(target_type="")
        .order_by("target_type")
        .values_list("target_type", flat=True)
        .distinct()
    )
