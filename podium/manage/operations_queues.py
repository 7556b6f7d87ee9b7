"""`/manage/<competition>/queues/`: the compute queues the organizer may send the
competition's jobs to (`Queue.objects.visible_to`, what the competitions API accepts for
its `queue`), the one it uses, and what the workers of each are doing.

Podium keeps no list of workers: a worker is known by the jobs it holds, through their
heartbeats. So a queue's workers are shown as what they do: the jobs they hold now, those
waiting for one, and when a worker was last heard from; and the competition's own jobs in
the hands of a worker, each with its last heartbeat and whether its lease still runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from podium.audit.analytics import HELD, WAITING
from podium.competitions.models import Competition
from podium.manage.operations import PAGE_SIZE, done, organized, page
from podium.manage.operations_forms import QueueChoiceForm
from podium.queues.models import Queue
from podium.submissions.models import Submission


@dataclass
class Activity:
    running: int = 0
    waiting: int = 0
    last_seen: datetime | None = None

    def state(self, now: datetime) -> str:
        """busy, idle, stalled (jobs wait and no worker was heard from lately) or quiet."""
        recent = self.last_seen is not None and now - self.last_seen < timedelta(
            seconds=settings.JOB_LEASE_SECONDS
        )
        if self.running and recent:
            return "busy"
        if self.running or self.waiting:
            return "stalled" if not recent else "busy"
        return "idle"


@dataclass
class Line:
    queue: Queue | None  # None: the platform's default queue
    activity: Activity
    chosen: bool


def usable_queues(user: Any) -> QuerySet[Queue]:
    owned = Queue.objects.changeable_by(user).filter(pk=OuterRef("pk"))
    return (
        Queue.objects.visible_to(user)
        .annotate(owned=Exists(owned))
        .select_related("owner")
        .order_by("name", "pk")
    )


def activity(queue_ids: list[int], *, default: bool) -> dict[int | None, Activity]:
    """Per queue (None: the default queue, when `default`), the jobs workers hold now,
    those waiting for one, and the last heartbeat of a held job: one query."""
    where = Q(phase__competition__queue__in=queue_ids)
    if default:
        where |= Q(phase__competition__queue__isnull=True)
    rows = (
        Submission.objects.filter(where, task__isnull=False, status__in=[*HELD, WAITING])
        .values("phase__competition__queue")
        .annotate(
            running=Count("pk", filter=Q(status__in=HELD)),
            waiting=Count("pk", filter=Q(status=WAITING)),
            last_seen=Max("updated_at", filter=Q(status__in=HELD)),
        )
        .order_by()
    )
    return {
        row["phase__competition__queue"]: Activity(row["running"], row["waiting"], row["last_seen"])
        for row in rows
    }


def _choose(request: HttpRequest, competition: Competition, form: QueueChoiceForm) -> None:
    chosen = form.cleaned_data["queue"]
    # The one field the competitions API would change, among the same queues it accepts.
    Competition.objects.filter(pk=competition.pk).update(queue=chosen, updated_at=timezone.now())
    name = chosen.name if chosen is not None else "the platform's default queue"
    done(request, f"New jobs of {competition.title} go to {name}. Jobs already queued stay.")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def queues(request: HttpRequest, pk: int) -> HttpResponse:
    competition = organized(request, pk, "queue")
    usable = usable_queues(request.user)
    form = QueueChoiceForm(
        request.POST if request.method == "POST" else None,
        queues=usable,
        initial={"queue": competition.queue_id},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            _choose(request, competition, form)
            return redirect("manage:queues", pk=competition.pk)
        status = 400
    listed = Paginator(usable, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(listed.object_list)
    first = listed.number == 1
    busy = activity([queue.pk for queue in shown], default=first)
    lines = [Line(None, busy.get(None, Activity()), competition.queue_id is None)] if first else []
    lines += [
        Line(queue, busy.get(queue.pk, Activity()), queue.pk == competition.queue_id)
        for queue in shown
    ]
    now = timezone.now()
    jobs = Paginator(
        Submission.objects.filter(
            phase__competition=competition, task__isnull=False, status__in=HELD
        )
        .select_related("task", "parent")
        .order_by("-updated_at", "-pk"),
        PAGE_SIZE,
    ).get_page(request.GET.get("jobs"))
    return page(
        request,
        competition,
        "manage/operations/queues.html",
        http_status=status,
        form=form,
        lines=[(line, line.activity.state(now)) for line in lines],
        page=listed,
        jobs=jobs,
        now=now,
        current=competition.queue,
        default_queue=settings.DEFAULT_QUEUE,
    )
