import pytest

from podium import env


@pytest.fixture(autouse=True)
def clean(monkeypatch):
    for name in (
        "PODIUM_FLAG",
        "PODIUM_COUNT",
        "PODIUM_TOKEN",
        "PODIUM_TOKEN_FILE",
        "PODIUM_HOSTS",
    ):
        monkeypatch.delenv(name, raising=False)


def test_a_missing_variable_takes_its_default():
    assert env.boolean("FLAG", True, "doc") is True
    assert env.integer("COUNT", 7, "doc") == 7
    assert env.string_list("HOSTS", ["a"], "doc") == ["a"]


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("false", False)])
def test_a_boolean_is_true_or_false(monkeypatch, value, expected):
    monkeypatch.setenv("PODIUM_FLAG", value)
    assert env.boolean("FLAG", not expected, "doc") is expected


@pytest.mark.parametrize("value", ["1", "yes", "True", ""])
def test_anything_else_is_a_named_error(monkeypatch, value):
    monkeypatch.setenv("PODIUM_FLAG", value)
    with pytest.raises(env.SettingError) as raised:
        env.boolean("FLAG", False, "doc")
    assert str(raised.value) == f"PODIUM_FLAG must be 'true' or 'false', not {value!r}"


def test_integers_are_checked(monkeypatch):
    monkeypatch.setenv("PODIUM_COUNT", "many")
    with pytest.raises(env.SettingError, match="PODIUM_COUNT must be an integer, not 'many'"):
        env.integer("COUNT", 1, "doc")
    monkeypatch.setenv("PODIUM_COUNT", "0")
    with pytest.raises(env.SettingError, match="PODIUM_COUNT must be at least 1, not 0"):
        env.integer("COUNT", 1, "doc", minimum=1)


def test_a_secret_can_come_from_a_file(monkeypatch, tmp_path):
    (tmp_path / "token").write_text("s3cret\n")
    monkeypatch.setenv("PODIUM_TOKEN_FILE", str(tmp_path / "token"))
    assert env.secret("TOKEN", "default", "doc") == "s3cret"


def test_lists_are_comma_separated(monkeypatch):
    monkeypatch.setenv("PODIUM_HOSTS", "a.example, b.example,,")
    assert env.string_list("HOSTS", [], "doc") == ["a.example", "b.example"]
