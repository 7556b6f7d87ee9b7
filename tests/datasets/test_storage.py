import hashlib

import pytest
from django.core.files.storage import default_storage

from podium.accounts.models import User
from podium.datasets import services
from podium.datasets.models import Data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


@pytest.fixture
def owner():
    return User.objects.create_user("dana", "dana@example.org", "pw")


def test_a_stored_file_records_its_hash_size_and_owner(owner):
    data = services.store_bytes(owner=owner, kind="input_data", name="x.zip", content=b"hello")
    assert (data.sha256, data.size, data.owner, data.kind) == (
        hashlib.sha256(b"hello").hexdigest(),
        5,
        owner,
        "input_data",
    )
    assert services.read_bytes(data) == b"hello"


def test_identical_bytes_share_one_blob_until_the_last_row_goes(owner, storage):
    first = services.store_bytes(owner=owner, kind="input_data", name="a", content=b"same")
    second = services.store_bytes(owner=owner, kind="reference_data", name="b", content=b"same")
    assert first.file.name == second.file.name
    services.delete(first)
    assert default_storage.exists(second.file.name)
    services.delete(second)
    assert not default_storage.exists(second.file.name)
    assert Data.objects.count() == 0


def test_the_quota_counts_every_row_and_refuses_what_does_not_fit(owner):
    owner.quota_bytes = 10
    owner.save()
    services.store_bytes(owner=owner, kind="input_data", name="a", content=b"123456")
    with pytest.raises(services.QuotaExceeded) as raised:
        services.store_bytes(owner=owner, kind="input_data", name="b", content=b"12345")
    assert str(raised.value) == (
        "storage quota exceeded: 6 bytes used + 5 bytes uploaded = 11 bytes, quota is 10 bytes"
    )
    assert (raised.value.used, raised.value.size, raised.value.quota) == (6, 5, 10)
    assert Data.objects.count() == 1
    assert Data.objects.counted_for(owner).bytes_used() == 6
