"""Podium's one settings module.

Every value comes from a PODIUM_* environment variable with an embedded default that runs
on one machine: SQLite and a storage folder under PODIUM_HOME. Setting
PODIUM_DATABASE_URL and PODIUM_STORAGE_URL moves the same code to PostgreSQL and an
S3-compatible object store. `docs/reference/settings.md` documents each variable.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import dj_database_url
import django_stubs_ext

from podium import env

django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent
INSECURE_DEFAULT_SECRET = "podium-insecure-development-key-change-me"  # noqa: S105

HOME = Path(
    env.string("HOME", "var", "folder for the SQLite database, local storage and other local state")
).absolute()

DEBUG = env.boolean("DEBUG", True, "debug mode; must be false in production")
SECRET_KEY = env.secret(
    "SECRET_KEY", INSECURE_DEFAULT_SECRET, "Django's secret key; required when debug is off"
)
if not DEBUG and SECRET_KEY == INSECURE_DEFAULT_SECRET:
    raise env.SettingError(
        "PODIUM_SECRET_KEY (or PODIUM_SECRET_KEY_FILE) must be set when PODIUM_DEBUG is false"
    )
ALLOWED_HOSTS = env.string_list(
    "ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"], "comma-separated host names served"
)
CSRF_TRUSTED_ORIGINS = env.string_list(
    "CSRF_TRUSTED_ORIGINS", [], "comma-separated origins (https://host) trusted for forms"
)
SITE_URL = env.string("SITE_URL", "http://127.0.0.1:8000", "public base URL of this instance")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "podium.core",
    "podium.accounts",
    "podium.organizations",
    "podium.datasets",
    "podium.queues",
    "podium.competitions",
    "podium.leaderboards",
    "podium.participation",
    "podium.submissions",
    "podium.audit",
    "podium.messaging",
    "podium.uploads",
    "podium.forums",
    "podium.manage",
    "podium.hosting",
    # After Podium's apps, so that podium.accounts' templates replace allauth's own.
    "allauth",
    "allauth.account",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]
if not DEBUG:
    # Out of debug mode the web server (gunicorn, `podium-server serve`) serves the static
    # files itself, collected and compressed: no other server is needed in front for them.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "podium.urls"
WSGI_APPLICATION = "podium.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env.string(
            "DATABASE_URL",
            f"sqlite:///{HOME / 'podium.sqlite3'}",
            "database URL: sqlite:///path or postgres://user:pass@host:port/name",
            shown="sqlite:///$PODIUM_HOME/podium.sqlite3",
        ),
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while one writer commits; the busy timeout makes a second
    # writer wait instead of failing at once with "database is locked".
    # SQLite cannot create the folder its file lives in.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Tests use a file too: SQLite's shared in-memory database fails concurrent writers at
    # once instead of making them wait, and the concurrency tests need them to wait. One
    # file per process, so that test runs side by side never share (and delete) one.
    DATABASES["default"]["TEST"] = {"NAME": str(HOME / f"test-podium-{os.getpid()}.sqlite3")}
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

_storage_url = env.string(
    "STORAGE_URL",
    f"file://{HOME / 'storage'}",
    "file storage: file:///folder, or s3://bucket[/prefix][?endpoint_url=...&region=...]",
    shown="file://$PODIUM_HOME/storage",
)
# Read whatever the scheme, so that every variable is documented (docs/reference/settings.md).
_s3_access_key = env.secret("S3_ACCESS_KEY_ID", "", "S3 access key id (with an s3:// storage URL)")
_s3_secret_key = env.secret("S3_SECRET_ACCESS_KEY", "", "S3 secret access key")
_storage = urlsplit(_storage_url)
# Where browsers send upload parts themselves (signed URLs): the pages may connect there.
STORAGE_ORIGINS: list[str] = []
if _storage.scheme == "file":
    STORAGE_ROOT = Path(_storage.path)
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(STORAGE_ROOT)},
    }
elif _storage.scheme == "s3":
    STORAGE_ROOT = HOME / "storage"
    _query = {key: values[-1] for key, values in parse_qs(_storage.query).items()}
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": _storage.netloc,
            "location": _storage.path.strip("/"),
            "endpoint_url": _query.get("endpoint_url"),
            "region_name": _query.get("region"),
            "access_key": _s3_access_key,
            "secret_key": _s3_secret_key,
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
        },
    }
    _endpoint = urlsplit(_query.get("endpoint_url") or "")
    STORAGE_ORIGINS = (
        [f"{_endpoint.scheme}://{_endpoint.netloc}"]
        if _endpoint.netloc
        else ["https://*.amazonaws.com"]
    )
else:
    raise env.SettingError(
        f"PODIUM_STORAGE_URL must start with file:// or s3://, not {_storage_url!r}"
    )

STORAGES = {
    "default": _default_storage,
    # collectstatic writes a gzipped copy of each file beside it, which WhiteNoise serves.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
STATIC_URL = "static/"
STATIC_ROOT = HOME / "static"
# The pages' front-end packages (package.json), installed by `make install` (npm ci): the few
# files they load are served from node_modules, never copied into the repository.
NODE_MODULES = BASE_DIR.parent / "node_modules"
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "podium.web.assets.NodeModulesFinder",
]

_email = env.string(
    "EMAIL_BACKEND", "console", "where mail goes: console, smtp, or a dotted backend class path"
)
_email_backend = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
}.get(_email, _email)
_smtp_options: dict[str, object] = {
    "host": env.string("EMAIL_HOST", "localhost", "SMTP host (with the smtp backend)"),
    "port": env.integer("EMAIL_PORT", 25, "SMTP port", minimum=1),
    "username": env.string("EMAIL_HOST_USER", "", "SMTP user"),
    "password": env.secret("EMAIL_HOST_PASSWORD", "", "SMTP password"),
    "use_tls": env.boolean("EMAIL_USE_TLS", False, "use STARTTLS with the SMTP server"),
}
MAILERS = {
    "default": {
        "BACKEND": _email_backend,
        "OPTIONS": _smtp_options if _email_backend.endswith("smtp.EmailBackend") else {},
    }
}
DEFAULT_FROM_EMAIL = env.string(
    "DEFAULT_FROM_EMAIL", "podium@localhost", "sender address of Podium's mail"
)
PLATFORM_CONTACT_EMAIL = env.string(
    "PLATFORM_CONTACT_EMAIL",
    "",
    "where the contact form for the platform's hosts sends; empty: the platform admins",
)

# Limits on what organizers upload; HOSTILE.md part A.
BUNDLE_MAX_BYTES = env.integer(
    "BUNDLE_MAX_BYTES", 2 * 1024**3, "largest uncompressed size of a competition bundle", minimum=1
)
BUNDLE_MAX_ENTRIES = env.integer(
    "BUNDLE_MAX_ENTRIES", 20_000, "most files and folders in a competition bundle", minimum=1
)
SUBMISSION_MAX_BYTES = env.integer(
    "SUBMISSION_MAX_BYTES", 2 * 1024**3, "largest uncompressed size of a submission", minimum=1
)
USER_QUOTA_BYTES = env.integer(
    "USER_QUOTA_BYTES", 20 * 1024**3, "storage each user may fill with data files", minimum=0
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024**2
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024**2

# Job messages to compute workers. The default needs no server: a folder under PODIUM_HOME
# that the local worker started by `make run` reads. RabbitMQ (amqp://) or Redis (redis://)
# at scale.
BROKER_URL = env.string(
    "BROKER_URL",
    "filesystem://",
    "job broker: filesystem:// (a folder under PODIUM_HOME), amqp://... or redis://...",
)
BROKER_FOLDER = HOME / "broker"
DEFAULT_QUEUE = env.string("DEFAULT_QUEUE", "podium", "queue of competitions that name none")

JOB_LEASE_SECONDS = env.integer(
    "JOB_LEASE_SECONDS", 60, "a running job whose worker is silent this long is lost", minimum=5
)
JOB_MAX_ATTEMPTS = env.integer(
    "JOB_MAX_ATTEMPTS", 3, "runs of a job before a lost worker fails it", minimum=1
)

ORGANIZATION_INVITE_DAYS = env.integer(
    "ORGANIZATION_INVITE_DAYS", 7, "days an invitation to an organization stays valid", minimum=1
)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]

# Accounts (django-allauth): sign-up with username, email and the platform's terms; no
# sign-in before the address is verified (so no registering for competitions either).
# Accounts the operator creates count as verified (podium.accounts.apps).
PLATFORM_TERMS_URL = env.string(
    "PLATFORM_TERMS_URL", "/terms/", "the platform's terms that sign-up asks users to accept"
)
ACCOUNT_ADAPTER = "podium.accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {"signup": "podium.accounts.forms.SignupForm"}
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Podium] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = urlsplit(SITE_URL).scheme or "http"
# Brute force (HOSTILE C28): failed sign-ins per client address, on the login page and on
# the API's token exchange alike, and per account whichever address they come from.
LOGIN_ATTEMPTS_PER_MINUTE = env.integer(
    "LOGIN_ATTEMPTS_PER_MINUTE",
    10,
    "sign-in attempts (pages and POST /api/auth/token/) per client address and minute",
    minimum=1,
)
ACCOUNT_RATE_LIMITS = {"login_failed": f"{LOGIN_ATTEMPTS_PER_MINUTE}/m/ip,5/5m/key"}
# Behind a reverse proxy the client's address is in X-Forwarded-For; it is believed only
# for this many proxies, so that a client cannot pick an address of its own per attempt.
TRUSTED_PROXY_COUNT = env.integer(
    "TRUSTED_PROXY_COUNT", 0, "reverse proxies in front of Podium that set X-Forwarded-For"
)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
if TRUSTED_PROXY_COUNT:
    # The proxy terminates TLS and says which scheme the client used (overwriting what a
    # client sends): a request it forwarded from https is a secure one.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

AVATAR_MAX_BYTES = env.integer(
    "AVATAR_MAX_BYTES", 5 * 1024**2, "largest avatar image users may upload", minimum=1
)
AVATAR_MAX_PIXELS = env.integer(
    "AVATAR_MAX_PIXELS",
    4096 * 4096,
    "most pixels (width x height) of an uploaded avatar",
    minimum=1,
)

# Throttling and allauth's rate limits count in the cache, which every server process must
# share: this process's memory in debug mode (the development server is one process), a
# folder under PODIUM_HOME otherwise (gunicorn's processes on one machine), Redis when the
# web servers are on several machines.
_cache_url = env.string(
    "CACHE_URL",
    "locmem://" if DEBUG else f"file://{HOME / 'cache'}",
    "cache for rate limits: locmem:// (this process), file:///path (a machine's processes) "
    "or redis://...",
    shown="locmem:// in debug mode, file://$PODIUM_HOME/cache otherwise",
)
_cache = urlsplit(_cache_url)
CACHES: dict[str, dict[str, Any]]
if _cache_url == "locmem://":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
elif _cache.scheme == "file" and not _cache.netloc and _cache.path.startswith("/"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": _cache.path,
            # Django culls a third of the entries past the limit: a client's count of
            # attempts must not be culled while it still matters.
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        }
    }
elif _cache.scheme in ("redis", "rediss"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _cache_url,
        }
    }
else:
    raise env.SettingError(
        "PODIUM_CACHE_URL must be locmem://, file:///absolute/path or start with redis://, "
        f"not {_cache_url!r}"
    )

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "podium.accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "podium.core.drf.Pagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "podium.core.api.exception_handler",
    "DEFAULT_METADATA_CLASS": "podium.core.drf.Metadata",
    "DEFAULT_THROTTLE_RATES": {"login": f"{LOGIN_ATTEMPTS_PER_MINUTE}/min"},
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Podium API",
    "DESCRIPTION": "Evaluation-as-a-service for AI benchmarks.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and Redoc from the site's own static files (the site's CSP allows no CDN).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name for a choice set that several components share (drf-spectacular would name
    # each after a hash, and warn).
    "ENUM_NAME_OVERRIDES": {
        "ParticipantStatusEnum": "podium.participation.models.Participant.Status",
        "RegistrationDecisionEnum": "podium.participation.serializers.DECISIONS",
    },
}

SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    # Upload parts go from the browser straight to S3-compatible storage, when it is used;
    # the bucket's CORS rules must allow PUT from this site and expose the ETag header.
    "connect-src": ["'self'", *STORAGE_ORIGINS],
    "frame-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
}
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.string("LOG_LEVEL", "INFO", "log level")},
}
