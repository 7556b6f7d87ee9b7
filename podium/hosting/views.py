"""`/host/`: the platform hosts' pages. The overview, the analytics (the same figures as
/api/analytics/), the audit log, workers and queues here; storage, quotas, data groups and
the cleanup in `storage_views`. Platform admins only (`access.host_required`)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from podium.audit import analytics as figures
from podium.hosting import charts, readers
from podium.hosting.access import host_required
from podium.hosting.forms import AnalyticsForm, AuditFilterForm

AUDIT_PAGE_SIZE = 50
QUEUE_PAGE_SIZE = 50
JOB_PAGE_SIZE = 50


@host_required
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "hosting/index.html",
        {"section": "index", "figures": readers.overview(timezone.now())},
    )


@host_required
def analytics(request: HttpRequest) -> HttpResponse:
    today = timezone.now().date()
    form = AnalyticsForm(AnalyticsForm.with_defaults(request.GET, today))
    window = form.window(today)
    context = {"section": "analytics", "form": form, "window": window}
    if window is not None:
        stored = figures.storage(form.largest())
        context["charts"] = [
            charts.activity(figures.counts_over_time(window), window.interval),
            charts.workers(figures.workers_busy()),
            charts.storage_by_user(stored),
            charts.storage_by_competition(stored),
        ]
    status = 200 if window is not None else 400
    return render(request, "hosting/analytics.html", context, status=status)


@host_required
def audit(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None, target_types=readers.target_types())
    entries = readers.audit_entries(form.criteria() if request.GET else {})
    page = Paginator(entries, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "hosting/audit.html", {"section": "audit", "form": form, "page": page})


@host_required
def workers(request: HttpRequest) -> HttpResponse:
    queues = Paginator(readers.queues(), QUEUE_PAGE_SIZE).get_page(request.GET.get("queues"))
    jobs = Paginator(readers.jobs_held(), JOB_PAGE_SIZE).get_page(request.GET.get("jobs"))
    held = [(job, readers.last_report(job)) for job in jobs.object_list]
    busy = figures.workers_busy()
    rows = readers.queue_rows(list(queues.object_list), with_default=queues.number == 1, busy=busy)
    return render(
        request,
        "hosting/workers.html",
        {
            "section": "workers",
            "queues": queues,
            "rows": rows,
            "jobs": jobs,
            "held": held,
            "busy": busy,
        },
    )
