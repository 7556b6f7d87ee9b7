"""A submission sent from the browser straight to S3-compatible storage (moto's server on
loopback): the page asks the uploads API for signed part URLs, PUTs each part to the store
across origins (the bucket's CORS rules allow it and expose the ETag), and the server
completes the multipart upload. Nothing of the file passes through Podium's server."""

from __future__ import annotations

import io
import os
import zipfile

import pytest
from django.core.files.storage import default_storage
from playwright.sync_api import expect

from podium.submissions import dispatch
from podium.submissions.models import Submission
from podium.uploads.models import Upload
from podium.uploads.services import MIN_PART
from tests.browser.conftest import Browser
from tests.browser.world import World
from tests.bundles import test_s3_storage

s3 = test_s3_storage.s3


@pytest.fixture(autouse=True)
def no_broker(monkeypatch) -> list[int]:
    sent: list[int] = []
    monkeypatch.setattr(dispatch, "publish", lambda submission, task: sent.append(submission.pk))
    return sent


def big_zip() -> bytes:
    """Just over two parts: three PUTs to the store, the last one short."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("predictions.bin", os.urandom(2 * MIN_PART + 1000))
    return buffer.getvalue()


def test_a_submission_goes_from_the_page_to_s3_in_signed_parts(
    browser: Browser, world: World, s3, settings, no_broker
):
    endpoint = s3.meta.endpoint_url
    s3.put_bucket_cors(
        Bucket="podium-test",
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedOrigins": [browser.base],
                    "AllowedMethods": ["PUT"],
                    "AllowedHeaders": ["*"],
                    "ExposeHeaders": ["ETag"],
                }
            ]
        },
    )
    # What the settings derive from PODIUM_STORAGE_URL: the page may reach the store.
    settings.SECURE_CSP = {**settings.SECURE_CSP, "connect-src": ["'self'", endpoint]}
    content = big_zip()
    alice = world.users["alice"]
    browser.sign_in(alice)
    browser.open(f"/competitions/{world.competition.pk}/submissions/")
    page = browser.page
    puts_to_the_store: list[str] = []
    page.on(
        "request",
        lambda request: (
            puts_to_the_store.append(request.url)
            if request.method == "PUT" and request.url.startswith(endpoint)
            else None
        ),
    )

    page.get_by_label("Your submission (a zip of results or of code)").set_input_files(
        {"name": "big.zip", "mimeType": "application/zip", "buffer": content}
    )
    page.get_by_role("button", name="Submit").click()
    expect(page.locator("#upload-status")).to_contain_text("was made", timeout=60_000)

    made = Submission.objects.filter(owner=alice).latest("pk")
    upload = Upload.objects.get(owner=alice)
    assert (upload.status, upload.part_size, len(puts_to_the_store)) == ("used", MIN_PART, 3)
    assert all("partNumber=" in url and "Signature" in url for url in puts_to_the_store)
    assert (made.data.name, made.data.size, no_broker) == ("big.zip", len(content), [made.pk])
    with default_storage.open(made.data.file.name, "rb") as stored:
        assert stored.read() == content
    assert not s3.list_multipart_uploads(Bucket="podium-test").get("Uploads")
    assert page.locator("#upload-progress").evaluate("bar => bar.value") == 100
    assert browser.seen.problems() == []
