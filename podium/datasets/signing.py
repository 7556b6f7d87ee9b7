"""Signed download URLs: how a worker fetches a job's files without an account.

On S3-compatible storage the object store signs the URL itself; on local storage Podium
signs the file's key with the secret key and serves it from `/files/<token>/`. Either way
the URL expires, and nothing but the one file it names can be read with it.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.core.files.storage import FileSystemStorage, default_storage
from django.urls import reverse

from podium.datasets.models import Data

SALT = "podium.datasets.download"


def signed_url(data: Data, *, ttl: int = 6 * 3600) -> str:
    if not isinstance(default_storage, FileSystemStorage):
        return str(default_storage.url(str(data.file.name), expire=ttl))  # type: ignore[call-arg]
    token = signing.TimestampSigner(salt=SALT).sign_object({"key": str(data.key), "ttl": ttl})
    return settings.SITE_URL.rstrip("/") + reverse("datasets:download", args=[token])


def data_for_token(token: str) -> Data | None:
    """The file a token names, or None for a forged, altered or expired token."""
    signer = signing.TimestampSigner(salt=SALT)
    try:
        claims = signer.unsign_object(token)
        signer.unsign_object(token, max_age=int(claims["ttl"]))
        return Data.objects.filter(key=claims["key"], upload_completed=True).first()
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
