from urllib.parse import urlsplit

import pytest
from django.core import signing

from podium.datasets import services
from podium.datasets.signing import SALT, signed_url
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def data():
    owner = make_user("wendy")
    return services.store_bytes(owner=owner, kind="scoring_program", name="p.zip", content=b"PK..")


def path_of(url: str) -> str:
    return urlsplit(url).path


def test_a_signed_url_downloads_its_file_without_an_account(client, data):
    response = client.get(path_of(signed_url(data)))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"PK.."
    assert response["Content-Disposition"] == 'attachment; filename="p.zip"'


def test_an_altered_token_is_not_found(client, data):
    url = path_of(signed_url(data))
    assert client.get(url[:-3] + "x/").status_code == 404


def test_an_expired_token_is_not_found(client, data):
    token = signing.TimestampSigner(salt=SALT).sign_object({"key": str(data.key), "ttl": -1})
    assert client.get(f"/files/{token}/").status_code == 404


def test_a_token_for_another_purpose_is_refused(client, data):
    token = signing.TimestampSigner(salt="other").sign_object({"key": str(data.key), "ttl": 60})
    assert client.get(f"/files/{token}/").status_code == 404
