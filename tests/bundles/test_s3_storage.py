"""The scaled storage: bundles imported and exported through django-storages' S3 backend,
talking HTTP to an S3-compatible server (moto's) on loopback."""

from __future__ import annotations

import gc
import hashlib
import socket
import warnings
from pathlib import Path

import boto3
import httpx
import pytest
from django.core.files.storage import default_storage
from moto.server import ThreadedMotoServer

from podium.accounts.models import User
from podium.bundles.export import export_bundle
from podium.bundles.services import import_bundle
from podium.datasets.models import Data

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
pytestmark = pytest.mark.django_db


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def reset(endpoint: str) -> None:
    """Empties moto's S3, whose buckets live in process-wide state shared by every server.

    moto spools large objects to unnamed temporary files that it drops without closing:
    their ResourceWarnings are moto's, and are silenced while its objects are let go."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        httpx.post(f"{endpoint}/moto-api/reset").raise_for_status()
        gc.collect()


@pytest.fixture
def s3(settings, monkeypatch):
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    reset(endpoint)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket="podium-test")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "podium-test",
                "location": "instance",
                "endpoint_url": endpoint,
                "region_name": "us-east-1",
                "access_key": "testing",
                "secret_key": "testing",
                "default_acl": None,
                "file_overwrite": False,
            },
        },
    }
    yield client
    reset(endpoint)
    server.stop()


def test_a_bundle_round_trips_through_s3_storage(s3, tmp_path):
    owner = User.objects.create_user("sara", "sara@example.org", "pw")
    competition = import_bundle(source=EXAMPLES / "code-submission", owner=owner).competition
    keys = sorted(item["Key"] for item in s3.list_objects_v2(Bucket="podium-test")["Contents"])
    stored = {f"instance/{data.file.name}" for data in Data.objects.all()}
    assert set(keys) == stored
    program = competition.phases.get().tasks.get().scoring_program
    with default_storage.open(program.file.name, "rb") as stream:
        assert hashlib.sha256(stream.read()).hexdigest() == program.sha256
    export_bundle(competition, tmp_path / "out.zip")
    again = import_bundle(source=tmp_path / "out.zip", owner=owner)
    assert again.warnings == []
    assert again.competition.phases.get().tasks.get().scoring_program.sha256 == program.sha256
