"""What the accounts API reads and writes.

A public profile shows what its owner chose to tell (names, links, affiliations, avatar),
never the email address. Server-owned fields (username, email, dates, token hashes) are
read-only here: a client that sends them is ignored (HOSTILE C25).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import URLValidator
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from podium.accounts import services
from podium.accounts.models import WEB_URL, ApiToken, Profile

PROFILE_FIELDS = [
    "display_name",
    "bio",
    "location",
    "website",
    "affiliations",
    "github",
    "orcid",
    "google_scholar",
    "linkedin",
]
MAX_AFFILIATIONS = 10


class WebUrlField(serializers.URLField):
    """An http or https address. DRF's own URL field would also take ftp: and leaves out
    the model's scheme check; a link on a public profile must never run script."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault("help_text", "An http or https address.")
        super().__init__(**kwargs)
        self.validators = [
            WEB_URL if isinstance(validator, URLValidator) else validator
            for validator in self.validators
        ]


class ProfileSerializer(serializers.ModelSerializer[Profile]):
    """The public profile."""

    username = serializers.CharField(source="user.username", read_only=True)
    date_joined = serializers.DateTimeField(source="user.date_joined", read_only=True)
    affiliations = serializers.ListField(
        child=serializers.CharField(max_length=200),
        max_length=MAX_AFFILIATIONS,
        required=False,
        help_text=f"Institutions or companies, at most {MAX_AFFILIATIONS}.",
    )
    avatar = serializers.SerializerMethodField(
        help_text="Address of the avatar image; null when there is none."
    )
    website = WebUrlField()
    google_scholar = WebUrlField()
    linkedin = WebUrlField()

    class Meta:
        model = Profile
        fields = ["username", *PROFILE_FIELDS, "avatar", "date_joined"]
        read_only_fields = ["username", "avatar", "date_joined"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_avatar(self, profile: Profile) -> str | None:
        if not profile.avatar.name:
            return None
        user_id, file_name = profile.avatar.name.split("/")[-2:]
        return reverse("accounts:avatar", args=[int(user_id), file_name])


class AccountLinksSerializer(serializers.Serializer[Any]):
    notification_preferences = serializers.CharField(help_text="Which emails Podium sends you.")
    tokens = serializers.CharField(help_text="Your API tokens.")
    change_email = serializers.CharField(help_text="Page that changes your email address.")
    change_password = serializers.CharField(help_text="Page that changes your password.")
    terms = serializers.CharField(help_text="The platform's terms.")


class MyAccountSerializer(ProfileSerializer):
    """The caller's own account: the public profile and what only they see."""

    email = serializers.EmailField(source="user.email", read_only=True)
    email_verified = serializers.SerializerMethodField()
    terms_accepted_at = serializers.DateTimeField(
        source="user.terms_accepted_at", read_only=True, allow_null=True
    )
    links = serializers.SerializerMethodField()

    class Meta(ProfileSerializer.Meta):
        fields = [
            *ProfileSerializer.Meta.fields,
            "email",
            "email_verified",
            "terms_accepted_at",
            "links",
        ]
        read_only_fields = [
            *ProfileSerializer.Meta.read_only_fields,
            "email",
            "email_verified",
            "terms_accepted_at",
            "links",
        ]

    def get_email_verified(self, profile: Profile) -> bool:
        verified: bool = self.context["email_verified"]
        return verified

    @extend_schema_field(AccountLinksSerializer)
    def get_links(self, profile: Profile) -> dict[str, str]:
        return {
            "notification_preferences": reverse("mail-preferences"),
            "tokens": "/api/users/me/tokens/",
            "change_email": reverse("account_email"),
            "change_password": reverse("account_change_password"),
            "terms": settings.PLATFORM_TERMS_URL,
        }


class AvatarUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="A PNG, JPEG or WebP image.")


class PasswordSerializer(serializers.Serializer[Any]):
    password = serializers.CharField(
        write_only=True, trim_whitespace=False, help_text="Your current password."
    )


def expires_in_days_field() -> serializers.IntegerField:
    return serializers.IntegerField(
        write_only=True,
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=services.MAX_TOKEN_DAYS,
        help_text="Days until the token stops working (1 to "
        f"{services.MAX_TOKEN_DAYS}); null or absent: it never expires.",
    )


class ApiTokenSerializer(serializers.ModelSerializer[ApiToken]):
    expires_in_days = expires_in_days_field()

    class Meta:
        model = ApiToken
        fields = ["id", "name", "created", "last_used", "expires", "expires_in_days"]
        read_only_fields = ["id", "created", "last_used", "expires"]


class NewApiTokenSerializer(ApiTokenSerializer):
    token = serializers.CharField(
        read_only=True,
        help_text="The key, for `Authorization: Token <key>`; shown this once, never again.",
    )

    class Meta(ApiTokenSerializer.Meta):
        fields = ["id", "name", "token", "created", "last_used", "expires", "expires_in_days"]
        read_only_fields = ["id", "token", "created", "last_used", "expires"]


class TokenExchangeSerializer(serializers.Serializer[Any]):
    username = serializers.CharField(help_text="Your username or email address.")
    password = serializers.CharField(write_only=True, trim_whitespace=False)
    name = serializers.CharField(
        max_length=100,
        default="API token",
        help_text="What the new token is for (a machine, a script), to tell it apart later.",
    )
    expires_in_days = expires_in_days_field()
