"""The Celery app the server publishes jobs with. Nothing connects at import time."""

from __future__ import annotations

from celery import Celery
from django.conf import settings

from podium_worker.broker import connection_url, transport_options


def make_app() -> Celery:
    app = Celery("podium", broker=connection_url(settings.BROKER_URL))
    options = transport_options(settings.BROKER_URL, settings.BROKER_FOLDER)
    app.conf.update(
        broker_transport_options=options,
        task_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
    )
    return app
