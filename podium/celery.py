"""The Celery app the server publishes jobs with. Nothing connects at import time."""

from __future__ import annotations

from celery import Celery
from django.conf import settings


def make_app() -> Celery:
    app = Celery("podium", broker=settings.BROKER_URL)
    options: dict[str, object] = {}
    if settings.BROKER_URL.startswith("filesystem://"):
        folder = settings.BROKER_FOLDER
        for part in ("queue", "processed", "control"):
            (folder / part).mkdir(parents=True, exist_ok=True)
        options = {
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "processed_folder": str(folder / "processed"),
            "control_folder": str(folder / "control"),
        }
    app.conf.update(
        broker_transport_options=options,
        task_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
    )
    return app
