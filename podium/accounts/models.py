from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A person with an account. Organizers and participants are the same kind of user."""

    email = models.EmailField(blank=True, db_index=True)
    quota_bytes = models.BigIntegerField(
        null=True, blank=True, help_text="Storage quota; empty means the platform default."
    )

    def storage_quota(self) -> int:
        return settings.USER_QUOTA_BYTES if self.quota_bytes is None else self.quota_bytes


class Profile(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    display_name = models.CharField(max_length=150, blank=True)
    bio = models.TextField(blank=True, max_length=5000)
    location = models.CharField(max_length=150, blank=True)
    website = models.URLField(blank=True)
    affiliation = models.CharField(max_length=250, blank=True)
    github = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return self.display_name or self.user.username
