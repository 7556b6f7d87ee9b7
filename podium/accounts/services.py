"""Accounts: profiles and avatars, API tokens, and deleting one's account.

Sign-up, email verification, password reset and email change are django-allauth's flows,
tuned by `podium.accounts.adapter`; what is Podium's own lives here.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import IO, Any, cast

from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from podium.accounts import avatars
from podium.accounts.models import DELETED_PREFIX, ApiToken, Profile, User
from podium.audit import services as audit
from podium.audit.models import Action
from podium.competitions.models import Competition
from podium.messaging.models import Message

KEY_PREFIX = "pdt_"
MAX_TOKENS = 100
MAX_TOKEN_DAYS = 3650  # the longest lifetime one may give a token (or none at all)
# A token's "last used" is written at most this often: not one write per API call.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class AccountError(Exception):
    """A change to an account that cannot be made; the message says why."""


class TooManyTokens(AccountError):
    pass


class WrongPassword(AccountError):
    pass


class StillOwnsCompetitions(AccountError):
    def __init__(self, titles: list[str]) -> None:
        self.titles = titles
        super().__init__(
            "you still own these competitions; transfer or delete them first: "
            + ", ".join(repr(title) for title in titles)
        )


class SignInRefused(AccountError):
    """Wrong credentials, or an inactive account: the same answer for both."""


class TooManyAttempts(AccountError):
    pass


class NotVerified(AccountError):
    pass


# API tokens


def hash_key(key: str) -> str:
    # Keys are 160 random bits: a fast hash is enough, there is nothing to guess.
    return hashlib.sha256(key.encode()).hexdigest()


def create_token(
    *, user: User, name: str, expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """A new token and its key; the key exists nowhere else and is never shown again. It
    stops working `expires_in_days` days from now, or never (None)."""
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_TOKEN_DAYS:
        raise ValueError(f"a token lasts 1 to {MAX_TOKEN_DAYS} days, not {expires_in_days}")
    if user.api_tokens.count() >= MAX_TOKENS:
        raise TooManyTokens(f"you have {MAX_TOKENS} tokens, the most allowed; revoke one first")
    key = KEY_PREFIX + secrets.token_hex(20)
    now = timezone.now()
    expires = None if expires_in_days is None else now + timedelta(days=expires_in_days)
    token = ApiToken.objects.create(
        user=user, name=name, key_hash=hash_key(key), created=now, expires=expires
    )
    return token, key


def revoke_token(token: ApiToken) -> None:
    token.delete()


def token_for_key(key: str) -> ApiToken | None:
    """The token whose key this is, noting that it was used (unless it has expired); None
    for an unknown key."""
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()
    if token is None:
        return None
    now = timezone.now()
    if token.expired(now):
        return token
    if token.last_used is None or now - token.last_used >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
        token.last_used = now
    return token


def is_verified(user: User) -> bool:
    return bool(EmailAddress.objects.filter(user=user, verified=True).exists())


def exchange_password(
    *,
    request: HttpRequest,
    username: str,
    password: str,
    name: str,
    expires_in_days: int | None = None,
) -> tuple[ApiToken, str]:
    """A new token for the account these credentials open (`podium login`).

    Failed attempts count in allauth's limits, the same as on the sign-in page: per client
    address, and per account from any address."""
    adapter = get_adapter(request)
    try:
        user = adapter.authenticate(request, username=username, password=password)
    except ValidationError:
        raise TooManyAttempts(
            "too many failed sign-in attempts (for this account or from this address); try again "
            "in a few minutes"
        ) from None
    # allauth hands back an inactive account whose password is right (its pages say
    # "inactive"); the API answers as for a wrong password.
    if not isinstance(user, User) or not user.is_active:
        raise SignInRefused("the username or password is not correct")
    if not is_verified(user):
        raise NotVerified(
            "verify your email address first: follow the link in the email we sent when "
            "you signed up (signing in on the website sends a new one)"
        )
    return create_token(user=user, name=name, expires_in_days=expires_in_days)


# Profiles


def set_quota(*, user: User, quota_bytes: int | None, by: User) -> None:
    """Sets `user`'s storage quota (None: the platform's default), audited with the old and
    new values. Files already stored stay; only new ones must fit."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        before = locked.quota_bytes
        locked.quota_bytes = quota_bytes
        locked.save(update_fields=["quota_bytes"])
        audit.record(
            actor=by,
            action=Action.QUOTA_UPDATE,
            target=locked,
            details={"before": before, "after": quota_bytes},
        )
    user.quota_bytes = quota_bytes


def profile_of(user: User) -> Profile:
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


def profile_to_show(user: User) -> Profile:
    """The user's profile, or an empty one (unsaved) for a user who never wrote one:
    reading writes nothing."""
    return Profile.objects.filter(user=user).first() or Profile(user=user)


def update_profile(*, user: User, changes: Mapping[str, Any]) -> Profile:
    """Sets the given public fields (`ValidationError` naming those that do not fit)."""
    profile = profile_of(user)
    for field, value in changes.items():
        setattr(profile, field, value)
    profile.full_clean()
    profile.save()
    return profile


def set_avatar(*, user: User, upload: UploadedFile[bytes]) -> Profile:
    """Checks, re-encodes and stores a new avatar (`ImageRefused` if it cannot be one)."""
    # An upload proxies the file it holds (in memory or on disk): Pillow reads it as one.
    stream = cast(IO[bytes], upload)
    content, extension = avatars.normalized(stream, size=upload.size or 0)
    name = default_storage.save(
        f"avatars/{user.pk}/{secrets.token_hex(8)}.{extension}", ContentFile(content)
    )
    with transaction.atomic():
        profile = Profile.objects.select_for_update().get(pk=profile_of(user).pk)
        old = profile.avatar.name
        profile.avatar.name = name
        profile.save(update_fields=["avatar"])
        if old:
            transaction.on_commit(lambda: default_storage.delete(old))
    return profile


def remove_avatar(*, user: User) -> Profile:
    with transaction.atomic():
        profile = Profile.objects.select_for_update().get(pk=profile_of(user).pk)
        old = profile.avatar.name
        profile.avatar.name = ""
        profile.save(update_fields=["avatar"])
        if old:
            transaction.on_commit(lambda: default_storage.delete(old))
    return profile


def avatar_path(user_id: int, file_name: str) -> str:
    return f"avatars/{user_id}/{file_name}"


# Accounts the operator creates


def vouch_for_address(user: User) -> None:
    """An account created without the sign-up form (createuser, createsuperuser, demo, the
    admin) has its address counted as verified: the operator vouches for it. Sign-up
    records the acceptance of the terms, so an account with it verifies by email."""
    if user.terms_accepted_at is not None or not user.email:
        return
    address = user.email.lower()
    if EmailAddress.objects.filter(email=address, verified=True).exists():
        return  # another account has it verified; this one verifies its own later
    EmailAddress.objects.create(user=user, email=address, verified=True, primary=True)


# Deleting one's account


def deletion_placeholder(user: User) -> str:
    name = f"{DELETED_PREFIX}{user.pk}"
    if User.objects.filter(username=name).exclude(pk=user.pk).exists():
        # Only an operator can have made such a name (sign-up refuses it).
        name = f"{name}-{secrets.token_hex(4)}"
    return name


def delete_account(*, user: User, password: str) -> None:
    """Removes the person from the account and keeps what others rely on.

    Gone: email addresses, names, profile, avatar, tokens, sessions, the password, staff
    rights, collaborations, the addresses on mail records. Kept, under a placeholder name
    `deleted-<id>`: submissions, scores and registrations, so leaderboards stay true, and
    the audit trail. Competitions the user owns block the deletion: they need an owner.
    """
    if not user.check_password(password):
        raise WrongPassword("the password is not correct")
    owned = list(
        Competition.objects.filter(created_by=user)
        .order_by("title")
        .values_list("title", flat=True)
    )
    if owned:
        raise StillOwnsCompetitions(owned)
    addresses = {user.email.lower()} | set(
        EmailAddress.objects.filter(user=user).values_list("email", flat=True)
    )
    addresses.discard("")
    avatar = ""
    with transaction.atomic():
        profile = Profile.objects.filter(user=user).first()
        if profile is not None:
            avatar = profile.avatar.name or ""
            profile.delete()
        user.api_tokens.all().delete()
        EmailAddress.objects.filter(user=user).delete()
        Message.objects.filter(Q(recipient=user) | Q(to__in=addresses)).update(to="")
        user.collaborations.clear()
        user.groups.clear()
        user.user_permissions.clear()
        user.username = deletion_placeholder(user)
        user.email = ""
        user.first_name = ""
        user.last_name = ""
        user.is_active = False
        user.is_staff = False
        user.is_superuser = False
        user.set_unusable_password()
        user.save()
        _end_sessions(user)
        audit.record(actor=user, action=Action.ACCOUNT_DELETE, target=user)
        if avatar:
            transaction.on_commit(lambda: default_storage.delete(avatar))


def _end_sessions(user: User) -> None:
    # Sessions name their user only inside the encoded data; an account is deleted rarely
    # enough to read the live ones. (They are dead anyway: the account is inactive and its
    # password hash changed, so Django refuses them; this removes them.)
    live = Session.objects.filter(expire_date__gt=timezone.now())
    ended = [
        session.session_key
        for session in live.iterator(chunk_size=1000)
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk)
    ]
    Session.objects.filter(session_key__in=ended).delete()
