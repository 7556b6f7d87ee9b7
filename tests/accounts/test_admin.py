"""The admin's user page: tokens listed by name and date, never by key."""

from __future__ import annotations

import pytest
from django.test import Client

from podium.accounts import services
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_the_admin_shows_a_users_tokens_without_their_keys(admin):
    vera = make_user("vera")
    token, key = services.create_token(user=vera, name="laptop")
    client = Client()
    client.force_login(admin)

    page = client.get(f"/admin/accounts/user/{vera.pk}/change/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "laptop" in html
    assert key not in html
    assert token.key_hash not in html
