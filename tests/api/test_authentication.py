import pytest
from rest_framework.test import APIClient

from podium.accounts import services as accounts

pytestmark = pytest.mark.django_db


def test_a_token_signs_the_caller_in(draft, organizer):
    _, token = accounts.create_token(user=organizer, name="laptop")
    client = APIClient()

    signed_in = client.get(f"/api/competitions/{draft.pk}/", HTTP_AUTHORIZATION=f"Token {token}")
    wrong = client.get(f"/api/competitions/{draft.pk}/", HTTP_AUTHORIZATION="Token nope")

    assert (signed_in.status_code, signed_in.json()["title"]) == (200, "Draft")
    assert (wrong.status_code, wrong.json()) == (401, {"detail": "Invalid token."})


def test_a_session_signs_the_caller_in_and_writes_need_the_csrf_token(draft, organizer):
    client = APIClient(enforce_csrf_checks=True)
    client.login(username="olivia", password="pw")

    read = client.get(f"/api/competitions/{draft.pk}/")
    write = client.post(f"/api/competitions/{draft.pk}/toggle_publish/")

    assert read.status_code == 200
    assert write.status_code == 403
    assert write.json()["detail"].startswith("CSRF Failed")
    draft.refresh_from_db()
    assert draft.published is False


def test_anonymous_writes_ask_for_credentials(competition):
    response = APIClient().post(f"/api/competitions/{competition.pk}/register/")

    assert (response.status_code, response["WWW-Authenticate"]) == (401, "Token")
