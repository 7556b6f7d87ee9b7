"""The settings module under different environments, each in a fresh interpreter."""

import json
import os
import subprocess
import sys

PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'db': settings.DATABASES['default']['ENGINE'], "
    "'storage': settings.STORAGES['default'], 'debug': settings.DEBUG, "
    "'connect': settings.SECURE_CSP['connect-src'], 'cache': settings.CACHES['default'], "
    "'middleware': settings.MIDDLEWARE, "
    "'proxy_ssl': getattr(settings, 'SECURE_PROXY_SSL_HEADER', None)}))"
)


def settings_with(tmp_path, **variables):
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PODIUM_")}
    environment |= {"PODIUM_HOME": str(tmp_path), "DJANGO_SETTINGS_MODULE": "podium.settings"}
    environment |= variables
    return subprocess.run(
        [sys.executable, "-c", PROBE], env=environment, capture_output=True, text=True, check=False
    )


def test_the_embedded_default_is_sqlite_and_a_local_folder(tmp_path):
    result = settings_with(tmp_path)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["db"] == "django.db.backends.sqlite3"
    assert loaded["storage"] == {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "storage")},
    }


def test_postgres_and_s3_are_chosen_by_url(tmp_path):
    result = settings_with(
        tmp_path,
        PODIUM_DATABASE_URL="postgres://podium@127.0.0.1:5432/podium",
        PODIUM_STORAGE_URL="s3://bucket/prefix?endpoint_url=http://127.0.0.1:9000&region=eu-west-1",
        PODIUM_S3_ACCESS_KEY_ID="key",
        PODIUM_S3_SECRET_ACCESS_KEY="secret",
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["db"] == "django.db.backends.postgresql"
    assert loaded["storage"]["BACKEND"] == "storages.backends.s3.S3Storage"
    options = loaded["storage"]["OPTIONS"]
    assert (options["bucket_name"], options["location"]) == ("bucket", "prefix")
    assert (options["endpoint_url"], options["region_name"]) == (
        "http://127.0.0.1:9000",
        "eu-west-1",
    )
    assert (options["access_key"], options["secret_key"]) == ("key", "secret")
    # Browsers send upload parts to the storage's own address: the pages may connect there.
    assert loaded["connect"] == ["'self'", "http://127.0.0.1:9000"]


def test_pages_connect_to_the_site_alone_on_local_storage_and_to_aws_without_an_endpoint(
    tmp_path,
):
    local = json.loads(settings_with(tmp_path).stdout)
    aws = json.loads(settings_with(tmp_path, PODIUM_STORAGE_URL="s3://bucket").stdout)
    assert local["connect"] == ["'self'"]
    assert aws["connect"] == ["'self'", "https://*.amazonaws.com"]


def test_production_refuses_the_default_secret_key(tmp_path):
    result = settings_with(tmp_path, PODIUM_DEBUG="false")
    assert result.returncode == 1
    assert (
        "PODIUM_SECRET_KEY (or PODIUM_SECRET_KEY_FILE) must be set when PODIUM_DEBUG is false"
        in result.stderr
    )


def test_production_starts_with_a_secret_key(tmp_path):
    result = settings_with(tmp_path, PODIUM_DEBUG="false", PODIUM_SECRET_KEY="x" * 50)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["debug"] is False


def test_an_unknown_storage_scheme_is_a_named_error(tmp_path):
    result = settings_with(tmp_path, PODIUM_STORAGE_URL="ftp://somewhere")
    assert result.returncode == 1
    assert (
        "PODIUM_STORAGE_URL must start with file:// or s3://, not 'ftp://somewhere'"
        in result.stderr
    )


def test_rate_limits_count_in_a_cache_every_server_process_shares(tmp_path):
    debug = json.loads(settings_with(tmp_path).stdout)
    production = json.loads(
        settings_with(tmp_path, PODIUM_DEBUG="false", PODIUM_SECRET_KEY="x" * 50).stdout
    )
    redis = json.loads(settings_with(tmp_path, PODIUM_CACHE_URL="redis://cache:6379/1").stdout)

    # The development server is one process; gunicorn's processes share a folder.
    assert debug["cache"] == {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    assert production["cache"] == {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(tmp_path / "cache"),
        "OPTIONS": {"MAX_ENTRIES": 20_000},
    }
    assert redis["cache"] == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://cache:6379/1",
    }


def test_a_cache_url_that_is_not_understood_is_a_named_error(tmp_path):
    for url in ("memcached://cache:11211", "file://relative/path"):
        result = settings_with(tmp_path, PODIUM_CACHE_URL=url)
        assert result.returncode == 1
        expected = "must be locmem://, file:///absolute/path or start with redis://"
        assert f"PODIUM_CACHE_URL {expected}, not {url!r}" in result.stderr


def test_static_files_are_served_by_the_site_out_of_debug_mode_only(tmp_path):
    debug = json.loads(settings_with(tmp_path).stdout)
    production = json.loads(
        settings_with(tmp_path, PODIUM_DEBUG="false", PODIUM_SECRET_KEY="x" * 50).stdout
    )

    assert "whitenoise.middleware.WhiteNoiseMiddleware" not in debug["middleware"]
    # Right after the security middleware, before anything that would touch a session.
    assert production["middleware"][:2] == [
        "django.middleware.security.SecurityMiddleware",
        "whitenoise.middleware.WhiteNoiseMiddleware",
    ]


def test_behind_a_trusted_proxy_its_word_on_https_is_taken(tmp_path):
    direct = json.loads(settings_with(tmp_path).stdout)
    proxied = json.loads(settings_with(tmp_path, PODIUM_TRUSTED_PROXY_COUNT="1").stdout)

    assert direct["proxy_ssl"] is None  # nobody may claim https by a header
    assert proxied["proxy_ssl"] == ["HTTP_X_FORWARDED_PROTO", "https"]
