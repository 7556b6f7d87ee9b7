"""The platform's periodic jobs, run by `podium-server scheduler` (and `podium-server up`).

Each job is a plain function that is safe to run from two schedulers at once and to run
late: it looks at the database and acts on what is due, never on what it remembers. A job
that fails is logged and tried again at its next turn; it never stops the others.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    every: float  # seconds between two runs
    run: Callable[[], object]


def _expire_leases() -> object:
    from podium.submissions.reports import expire_leases

    requeued, failed = expire_leases()
    if requeued or failed:
        logger.info("lost jobs: %d queued again, %d failed as worker lost", requeued, failed)
    return requeued, failed


def _migrate_phases() -> object:
    from podium.submissions.phase_migration import migrate_due_phases

    done = migrate_due_phases()
    for phase, count in done.items():
        logger.info("phase %d: %d submissions migrated from the phase before", phase, count)
    return done


def _send_mail() -> object:
    from podium.messaging.services import deliver_queued

    return deliver_queued()


def _send_registration_digests() -> object:
    from podium.participation.notices import send_digests

    return send_digests()


def _expire_uploads() -> object:
    from podium.uploads.services import expire_uploads

    return expire_uploads()


# How often phases that have started are checked for auto-migration: a minute late at most.
PHASE_MIGRATION_EVERY = 60.0
# How often the outbox is emptied: mail leaves a few seconds after the change it reports.
MAIL_EVERY = 2.0
# How often uploads past their day are looked for.
UPLOAD_EXPIRY_EVERY = 600.0
# How often organizers' digests of new registration requests are looked at: each organizer
# still gets at most one per hour or per day, as they chose.
REGISTRATION_DIGESTS_EVERY = 60.0


def periodic_jobs() -> list[Periodic]:
    """What runs, and how often: lost jobs are looked for several times per lease, so none
    stays running much past its lease; phases due for migration, every minute; queued mail,
    every two seconds; organizers' registration digests that are due, every minute;
    abandoned uploads, every ten minutes."""
    return [
        Periodic("expire leases", max(1.0, settings.JOB_LEASE_SECONDS / 4), _expire_leases),
        Periodic("migrate phases", PHASE_MIGRATION_EVERY, _migrate_phases),
        Periodic("send mail", MAIL_EVERY, _send_mail),
        Periodic("expire uploads", UPLOAD_EXPIRY_EVERY, _expire_uploads),
        Periodic("registration digests", REGISTRATION_DIGESTS_EVERY, _send_registration_digests),
    ]


def run_due(jobs: list[Periodic], last: dict[str, float], now: float) -> list[str]:
    """Runs each job whose turn has come; returns their names."""
    ran = []
    for job in jobs:
        if now - last.get(job.name, float("-inf")) < job.every:
            continue
        last[job.name] = now
        close_old_connections()
        try:
            job.run()
        except Exception:
            logger.exception("periodic job %r failed; it runs again in %g s", job.name, job.every)
        ran.append(job.name)
    return ran


def run_forever(stop: threading.Event, tick: float = 0.5) -> None:
    jobs = periodic_jobs()
    last: dict[str, float] = {}
    while not stop.is_set():
        run_due(jobs, last, time.monotonic())
        stop.wait(tick)
