"""The worker process: a Celery consumer of job messages, one job at a time.

`podium-worker --broker URL --queue NAME` starts it. Late acknowledgement and a prefetch
of one mean a job is taken off the queue only when it is done, and a worker never holds
a job it is not running; one job at a time per process keeps timings comparable.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import Any

from celery import Celery

from podium_worker.broker import connection_url, transport_options
from podium_worker.layout import remove_tree
from podium_worker.protocol import JOB_TASK, Job, MessageError
from podium_worker.runner import run_job
from podium_worker.sandbox import make_sandbox
from podium_worker.sandbox.base import GIB, MIB, Limits, SandboxError
from podium_worker.sandbox.cgroups import alive
from podium_worker.transfer import HttpReporter, HttpTransfer


def build(args: argparse.Namespace) -> Celery:
    app = Celery("podium_worker", broker=connection_url(args.broker))
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
    sandbox = make_sandbox(args.sandbox, **sandbox_options(args))
    workdir = make_workdir(args.workdir)
    transfer = HttpTransfer(
        workdir.parent / "cache",
        budget_bytes=args.input_gib * GIB,
        cache_bytes=args.cache_gib * GIB,
    )

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
            machine_lock=workdir.parent / "machine.lock",
        )
        return outcome.status.value

    return app


def sandbox_options(args: argparse.Namespace) -> dict[str, Any]:
    """The backend's own options: runtimes (bwrap) or images (docker) by competition image."""
    mapping = dict(args.runtime or [])
    if args.sandbox == "docker":
        if args.gpus:
            raise SandboxError(
                "--gpus is for the bwrap backend; the docker backend has no GPUs yet"
            )
        return {"images": mapping}
    options: dict[str, Any] = {
        "runtimes": {image: Path(root) for image, root in mapping.items()},
        "gpus": args.gpus,
    }
    if args.default_runtime:
        options["default_runtime"] = Path(args.default_runtime)
    return options


def make_workdir(given: str | None) -> Path:
    """This worker process's folder for job folders, `w-<pid>` under `given` (by default
    `podium-worker` in the system's temporary folder), which the worker processes of a
    machine share with the download cache.

    The sandbox's host user must search every folder above a job folder: the shared folder
    and this one are opened for that (0711); a given folder's parents must already be (the
    sandbox checks before each step, naming the folder). The cache stays the workers' alone.
    At start, the folders of worker processes that are gone (killed in the middle of a job,
    with its reference data) are removed.
    """
    base = Path(given).absolute() if given else Path(tempfile.gettempdir()) / "podium-worker"
    base.mkdir(parents=True, exist_ok=True)
    os.chmod(base, 0o711)  # noqa: S103 (searchable, not listable)
    for folder in base.glob("w-*"):
        pid = folder.name.removeprefix("w-")
        if pid.isdigit() and (int(pid) == os.getpid() or not alive(int(pid))):
            remove_tree(folder)
    workdir = base / f"w-{os.getpid()}"
    workdir.mkdir(mode=0o711)
    os.chmod(workdir, 0o711)  # noqa: S103
    (base / "cache").mkdir(mode=0o700, exist_ok=True)
    return workdir


def image_mapping(text: str) -> tuple[str, str]:
    image, separator, target = text.partition("=")
    if not separator or not image or not target:
        raise argparse.ArgumentTypeError(f"expected IMAGE=RUNTIME, got {text!r}")
    return image, target


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="podium-worker",
        description="Runs Podium jobs from a queue, one at a time, each step in a sandbox.",
    )
    parser.add_argument("--broker", required=True, help="filesystem://, amqp://... or redis://...")
    parser.add_argument("--broker-folder", default="var/broker", help="folder of filesystem://")
    parser.add_argument("--queue", default="podium", help="the queue to take jobs from")
    parser.add_argument("--sandbox", default="bwrap", help="sandbox backend: bwrap or docker")
    parser.add_argument(
        "--runtime",
        type=image_mapping,
        action="append",
        metavar="IMAGE=RUNTIME",
        help="run a competition's docker image on a local runtime folder (bwrap) or on another "
        "image (docker); repeatable",
    )
    parser.add_argument(
        "--default-runtime",
        help="bwrap: the runtime of images not mapped (a folder with bin/python3; /usr if unset)",
    )
    parser.add_argument(
        "--gpus",
        action="store_true",
        help="bwrap: let steps use this machine's NVIDIA GPUs, and measure their GPU time and "
        "memory (needs the NVIDIA driver)",
    )
    parser.add_argument(
        "--workdir",
        help="where job folders and the download cache go (podium-worker in the system's "
        "temporary folder)",
    )
    parser.add_argument("--memory-mib", type=int, default=4096, help="memory per step (4096)")
    parser.add_argument("--processes", type=int, default=256, help="processes per step (256)")
    parser.add_argument("--output-mib", type=int, default=1024, help="output per step (1024)")
    parser.add_argument("--log-kib", type=int, default=4096, help="log kept per stream (4096)")
    parser.add_argument("--input-gib", type=int, default=8, help="unpacked inputs per job (8)")
    parser.add_argument(
        "--cache-gib",
        type=int,
        default=20,
        help="downloads kept for later jobs (20); the least recently used go first",
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    # Unpacked inputs must be readable by the sandbox's user, whatever the caller's umask.
    os.umask(0o022)
    try:
        app = build(args)
    except SandboxError as exc:
        raise SystemExit(f"podium-worker: {exc}") from None
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
            "--hostname",
            f"podium-worker-{os.getpid()}@%h",
        ]
    )
