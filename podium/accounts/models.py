from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator, URLValidator
from django.db import models
from django.utils import timezone

# Only web links: a `javascript:` URL shown on a public profile would run in visitors' pages.
WEB_URL = URLValidator(schemes=["http", "https"])
DELETED_PREFIX = "deleted-"


class User(AbstractUser):
    """A person with an account. Organizers and participants are the same kind of user."""

    email = models.EmailField(blank=True, db_index=True)
    quota_bytes = models.BigIntegerField(
        null=True, blank=True, help_text="Storage quota; empty means the platform default."
    )
    terms_accepted_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the user accepted the platform's terms at sign-up; empty for accounts "
        "the operator created.",
    )

    def storage_quota(self) -> int:
        return settings.USER_QUOTA_BYTES if self.quota_bytes is None else self.quota_bytes


class Profile(models.Model):
    """What a user tells others about themselves; all of it is public."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    display_name = models.CharField(max_length=150, blank=True)
    bio = models.TextField(blank=True, max_length=5000)
    location = models.CharField(max_length=150, blank=True)
    website = models.URLField(blank=True, validators=[WEB_URL])
    affiliations = models.JSONField(
        default=list, blank=True, help_text="Institutions or companies, as a list of names."
    )
    github = models.CharField(
        max_length=39,
        blank=True,
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9]))*$",
                "A GitHub user name: letters, digits and single hyphens.",
            )
        ],
        help_text="GitHub user name.",
    )
    orcid = models.CharField(
        max_length=19,
        blank=True,
        validators=[
            RegexValidator(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$", "An ORCID iD: 0000-0002-1825-0097.")
        ],
        help_text="ORCID iD.",
    )
    google_scholar = models.URLField(blank=True, validators=[WEB_URL])
    linkedin = models.URLField(blank=True, validators=[WEB_URL])
    avatar = models.FileField(
        max_length=255, blank=True, help_text="The avatar in storage, re-encoded on upload."
    )

    def __str__(self) -> str:
        return self.display_name or self.user.username


class ApiToken(models.Model):
    """A named key for the API (`Authorization: Token <key>`). Only its hash is stored:
    the key is shown once, when it is made."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created = models.DateTimeField(default=timezone.now, editable=False)
    last_used = models.DateTimeField(null=True, blank=True, editable=False)
    expires = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When it stops working; empty: never."
    )

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"

    def expired(self, now: datetime | None = None) -> bool:
        return self.expires is not None and self.expires <= (now or timezone.now())
