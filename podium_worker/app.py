"""The worker process: a Celery consumer of job messages, one job at a time.

`podium-worker --broker URL --queue NAME` starts it. Late acknowledgement and a prefetch
of one mean a job is taken off the queue only when it is done, and a worker never holds
a job it is not running; one job at a time per process keeps timings comparable.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from celery import Celery

from podium_worker.broker import transport_options
from podium_worker.protocol import JOB_TASK, Job, MessageError
from podium_worker.runner import run_job
from podium_worker.sandbox import make_sandbox
from podium_worker.sandbox.base import GIB, MIB, Limits
from podium_worker.transfer import HttpReporter, HttpTransfer


def build(args: argparse.Namespace) -> Celery:
    app = Celery("podium_worker", broker=args.broker)
    options = transport_options(args.broker, Path(args.broker_folder))
    app.conf.update(
        broker_transport_options=options,
        task_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_concurrency=1,
        broker_connection_retry_on_startup=True,
    )
    limits = Limits(
        memory_bytes=args.memory_mib * MIB,
        processes=args.processes,
        output_bytes=args.output_mib * MIB,
        log_bytes=args.log_kib * 1024,
    )
    sandbox = make_sandbox(args.sandbox)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="podium-worker-"))
    transfer = HttpTransfer(workdir / "cache", budget_bytes=args.input_gib * GIB)

    @app.task(name=JOB_TASK)  # type: ignore[untyped-decorator]
    def run(message: dict[str, Any]) -> str:
        try:
            job = Job.from_message(message)
        except MessageError as exc:
            return f"ignored: {exc}"
        outcome = run_job(
            job,
            sandbox=sandbox,
            transfer=transfer,
            reporter=HttpReporter(job),
            workdir=workdir,
            limits=limits,
        )
        return outcome.status.value

    return app


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="podium-worker",
        description="Runs Podium jobs from a queue, one at a time, each step in a sandbox.",
    )
    parser.add_argument("--broker", required=True, help="filesystem://, amqp://... or redis://...")
    parser.add_argument("--broker-folder", default="var/broker", help="folder of filesystem://")
    parser.add_argument("--queue", default="podium", help="the queue to take jobs from")
    parser.add_argument("--sandbox", default="bwrap", help="sandbox backend: bwrap or docker")
    parser.add_argument("--workdir", help="where job folders and the download cache go")
    parser.add_argument("--memory-mib", type=int, default=4096, help="memory per step (4096)")
    parser.add_argument("--processes", type=int, default=256, help="processes per step (256)")
    parser.add_argument("--output-mib", type=int, default=1024, help="output per step (1024)")
    parser.add_argument("--log-kib", type=int, default=4096, help="log kept per stream (4096)")
    parser.add_argument("--input-gib", type=int, default=8, help="unpacked inputs per job (8)")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    app = build(args)
    app.worker_main(
        [
            "worker",
            "--queues",
            args.queue,
            "--concurrency",
            "1",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
        ]
    )
