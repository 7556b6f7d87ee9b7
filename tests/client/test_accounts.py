"""`podium login` and `podium logout`, and where the command line finds its server and token."""

from __future__ import annotations

import json
import socket
import stat
from datetime import timedelta
from pathlib import Path

from allauth.account.models import EmailAddress

from podium.accounts import services as accounts
from podium.accounts.models import ApiToken
from podium_client import config
from tests.client.conftest import token_for, verified
from tests.factories import make_user


def stored(config_home: Path) -> dict:
    return json.loads((config_home / "podium" / "config.json").read_text())


def test_login_exchanges_the_password_for_a_token_that_only_its_owner_can_read(
    podium, server, config_home
):
    user = verified(make_user("lena"))

    ran = podium("login", "--username", "lena", "--password-stdin", "--name", "laptop",
                 "--json", stdin="pw\n", env={"PODIUM_URL": server})  # fmt: skip

    token = ApiToken.objects.get(user=user)
    assert ran.code == 0
    assert ran.json() == {
        "url": server,
        "username": "lena",
        "token_id": token.pk,
        "config": str(config_home / "podium" / "config.json"),
    }
    saved = stored(config_home)
    assert saved["url"] == server
    assert (saved["username"], saved["token_id"], token.name) == ("lena", token.pk, "laptop")
    assert accounts.token_for_key(saved["token"]) == token
    assert (
        ran.stderr
        == f"Token stored in {config_home / 'podium' / 'config.json'} (readable by you only).\n"
    )
    path = config_home / "podium" / "config.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    # The stored token signs the next commands in, with no option or variable.
    mine = podium("competitions", "--mine", "--json", env={"PODIUM_URL": ""})
    assert (mine.code, mine.json()) == (0, [])


def test_login_can_make_a_token_that_expires(podium, server, config_home):
    user = verified(make_user("lena"))

    ran = podium("login", "--username", "lena", "--password-stdin", "--expires-in-days", "30",
                 stdin="pw\n", env={"PODIUM_URL": server})  # fmt: skip
    refused = podium("login", "--username", "lena", "--password-stdin", "--expires-in-days",
                     "0", stdin="pw\n", env={"PODIUM_URL": server})  # fmt: skip

    token = ApiToken.objects.get(user=user)
    assert ran.code == 0
    assert token.expires - token.created == timedelta(days=30)
    assert refused.code != 0
    assert "expires_in_days" in refused.stderr
    assert "greater than or equal to 1" in refused.stderr
    assert ApiToken.objects.count() == 1


def test_login_with_a_wrong_password_stores_nothing_and_says_why(podium, config_home):
    verified(make_user("lena"))

    ran = podium("login", "--username", "lena", "--password-stdin", stdin="wrong\n")

    assert ran.code == 3
    assert ran.stderr == "error: the username or password is not correct\n"
    assert not (config_home / "podium" / "config.json").exists()
    assert ApiToken.objects.count() == 0


def test_login_with_an_address_not_verified_says_to_verify_it(podium):
    user = make_user("lena")
    EmailAddress.objects.filter(user=user).update(verified=False)

    ran = podium("login", "--username", "lena", "--password-stdin", stdin="pw\n")

    assert ran.code == 3
    assert ran.stderr.startswith("error: verify your email address first")
    assert ApiToken.objects.count() == 0


def test_login_with_a_token_checks_it_before_storing_it(podium, config_home, server):
    key = token_for(make_user("lena"))

    refused = podium("login", "--token", "not-a-token")
    accepted = podium("login", "--token", key)

    assert refused.code == 3
    assert refused.stderr == "error: Invalid token. (sign in again with `podium login`)\n"
    assert accepted.code == 0
    assert accepted.stdout == f"Signed in to {server} as lena.\n"
    assert stored(config_home) == {
        "url": server,
        "token": key,
        "username": "lena",
        "token_id": None,
    }


def test_login_off_a_terminal_asks_for_what_is_missing_as_options(podium, config_home):
    no_username = podium("login")
    no_password = podium("login", "--username", "lena")

    assert (no_username.code, no_username.stderr) == (
        2,
        "error: Username or email needed: give it as an option\n",
    )
    assert (no_password.code, no_password.stderr) == (
        2,
        "error: no password: pass --password-stdin and send it on stdin\n",
    )
    assert not config_home.exists()


def test_logout_revokes_the_token_on_the_server_and_forgets_it(podium, server, config_home):
    verified(make_user("lena"))
    podium("login", "--username", "lena", "--password-stdin", stdin="pw\n")
    assert ApiToken.objects.count() == 1

    ran = podium("logout")
    again = podium("logout", "--json")

    assert (ran.code, ran.stdout) == (0, f"Signed out of {server} (token revoked).\n")
    assert ApiToken.objects.count() == 0
    assert not (config_home / "podium" / "config.json").exists()
    assert (again.code, again.json()) == (0, {"signed_out": False, "revoked": False})


def test_options_come_before_the_environment_which_comes_before_the_stored_file(tmp_path):
    path = tmp_path / "podium" / "config.json"
    config.save(config.Settings(url="https://a.example", token="stored", username="lena"), path)

    from_file = config.resolve(environ={}, path=path)
    from_environment = config.resolve(
        environ={"PODIUM_URL": "https://a.example/", "PODIUM_TOKEN": "env"}, path=path
    )
    from_options = config.resolve(
        url="https://a.example", token="option", environ={"PODIUM_TOKEN": "env"}, path=path
    )

    assert from_file == config.Settings(url="https://a.example", token="stored", username="lena")
    assert from_environment.token == "env"
    assert from_options.token == "option"


def test_a_stored_token_is_never_sent_to_another_server(tmp_path):
    path = tmp_path / "podium" / "config.json"
    config.save(config.Settings(url="https://a.example", token="stored"), path)

    elsewhere = config.resolve(url="https://b.example", environ={}, path=path)
    same_written_otherwise = config.resolve(url="a.example/api/", environ={}, path=path)

    assert elsewhere == config.Settings(url="https://b.example", token=None)
    assert same_written_otherwise.token == "stored"


def test_logout_forgets_the_token_even_when_the_server_cannot_revoke_it(podium, config_home):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        gone = f"http://127.0.0.1:{probe.getsockname()[1]}"
    path = config_home / "podium" / "config.json"
    config.save(config.Settings(url=gone, token="pdt_x", username="lena", token_id=7), path)

    ran = podium("logout")

    assert (ran.code, ran.stdout) == (0, f"Signed out of {gone}.\n")
    assert ran.stderr.startswith(
        f"The token stays valid on the server, which did not revoke it (cannot reach {gone}: "
    )
    assert not path.exists()
