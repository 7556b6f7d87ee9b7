"""What the organizations API reads and writes.

Anyone sees an organization's public fields (its name shows on leaderboards); its members
also see its contact email and its members, and its owners and managers its open
invitations. Those fields are null for everyone else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from podium.organizations.models import Invite, Membership, Organization

MAX_INVITES = 50


def _caller(context: Mapping[str, Any]) -> Any:
    return getattr(context.get("request"), "user", None)


class MemberSerializer(serializers.ModelSerializer[Membership]):
    user = serializers.CharField(source="user.username", read_only=True)
    joined_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user", "group", "joined_at"]
        read_only_fields = fields


class InviteSerializer(serializers.ModelSerializer[Invite]):
    """An invitation as its organization's managers and its invitee see it; the token
    travels only by email."""

    organization_name = serializers.CharField(source="organization.name", read_only=True)
    invited_by = serializers.CharField(source="invited_by.username", read_only=True)
    status = serializers.ChoiceField(
        choices=Invite.Status.choices,
        read_only=True,
        help_text="open, accepted, declined or expired.",
    )

    class Meta:
        model = Invite
        fields = [
            "id",
            "organization",
            "organization_name",
            "email",
            "group",
            "status",
            "invited_by",
            "expires_at",
            "accepted_at",
            "declined_at",
        ]
        read_only_fields = fields


# Reads the viewset's annotations (`member_count`, `caller_group`) and prefetches
# (`member_rows`, `open_invites`): a fixed number of queries for a page of any size.
class OrganizationSerializer(serializers.ModelSerializer[Organization]):
    """An organization: its public fields, and what its members and managers see."""

    # A plain string, like `email` below: "" is neither a URL nor an address.
    website = serializers.CharField(
        read_only=True, help_text="An http or https address; empty when it has none."
    )
    member_count = serializers.IntegerField(read_only=True)
    my_group = serializers.SerializerMethodField(
        help_text="The caller's group in the organization (owner, manager, participant or "
        "member); null when not a member."
    )
    email = serializers.SerializerMethodField(
        help_text="The organization's contact address (empty when it has none); its "
        "members and platform admins only."
    )
    members = serializers.SerializerMethodField(
        help_text="Its members and their groups; its members and platform admins only."
    )
    invites = serializers.SerializerMethodField(
        help_text="Its open and expired invitations; its owners, managers and platform admins only."
    )

    class Meta:
        model = Organization
        fields = [
            "id",
            "name",
            "description",
            "website",
            "created_at",
            "member_count",
            "my_group",
            "email",
            "members",
            "invites",
        ]
        read_only_fields = fields

    def _is_admin(self) -> bool:
        return bool(getattr(_caller(self.context), "is_superuser", False))

    def _is_member(self, organization: Organization) -> bool:
        return self._is_admin() or organization.caller_group is not None  # type: ignore[attr-defined]

    def _manages(self, organization: Organization) -> bool:
        group = organization.caller_group  # type: ignore[attr-defined]
        return self._is_admin() or group in Membership.MANAGING

    # A plain string: an enum here would be a second name for the groups' choice set.
    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_my_group(self, organization: Organization) -> str | None:
        group: str | None = organization.caller_group  # type: ignore[attr-defined]
        return group

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_email(self, organization: Organization) -> str | None:
        return organization.email if self._is_member(organization) else None

    @extend_schema_field(MemberSerializer(many=True, allow_null=True))
    def get_members(self, organization: Organization) -> list[Any] | None:
        if not self._is_member(organization):
            return None
        rows = organization.member_rows  # type: ignore[attr-defined]
        return list(MemberSerializer(rows, many=True).data)

    @extend_schema_field(InviteSerializer(many=True, allow_null=True))
    def get_invites(self, organization: Organization) -> list[Any] | None:
        if not self._manages(organization):
            return None
        rows = organization.open_invites  # type: ignore[attr-defined]
        return list(InviteSerializer(rows, many=True).data)


class OrganizationWriteSerializer(serializers.ModelSerializer[Organization]):
    website = serializers.URLField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="An http or https address.",
    )

    class Meta:
        model = Organization
        fields = ["name", "description", "website", "email"]
        extra_kwargs = {
            # Uniqueness ignores case, which the service checks (one message for both).
            "name": {"validators": [], "help_text": "Unique, ignoring case; on leaderboards."},
            "description": {"max_length": 10_000},
        }

    def validate_name(self, value: str) -> str:
        name = " ".join(value.split())
        if not name:
            raise serializers.ValidationError("This field may not be blank.")
        return name

    def validate_website(self, value: str) -> str:
        if value and not value.lower().startswith(("http://", "https://")):
            raise serializers.ValidationError("Enter an http or https address.")
        return value


class OrganizationFilterSerializer(serializers.Serializer[Any]):
    mine = serializers.BooleanField(
        required=False, help_text="true: only the organizations the caller is a member of."
    )


class InviteUsersSerializer(serializers.Serializer[Any]):
    emails = serializers.ListField(
        child=serializers.EmailField(),
        min_length=1,
        max_length=MAX_INVITES,
        help_text=f"The addresses to invite, at most {MAX_INVITES} at a time.",
    )
    group = serializers.ChoiceField(
        choices=Membership.Group.choices,
        default=Membership.Group.MEMBER,
        help_text="The group they join in when they accept; only owners invite owners. "
        "Participants (and owners and managers) may submit for the organization; members "
        "may not.",
    )


class InviteAnswerSerializer(serializers.Serializer[Any]):
    token = serializers.CharField(max_length=64, help_text="The token of the invitation's link.")
    decline = serializers.BooleanField(
        default=False, help_text="true: decline the invitation rather than accept it."
    )


class MemberChoiceSerializer(serializers.Serializer[Any]):
    """Names a member by the id of its membership (`members[].id`) or by username."""

    member = serializers.IntegerField(
        required=False, min_value=1, help_text="The membership's id, as in `members[].id`."
    )
    username = serializers.CharField(
        required=False, max_length=150, help_text="The member's username."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("member" in attrs) == ("username" in attrs):
            raise serializers.ValidationError("name the member by `member` or by `username`")
        return attrs


class MemberGroupSerializer(MemberChoiceSerializer):
    group = serializers.ChoiceField(
        choices=Membership.Group.choices, help_text="owner, manager, participant or member."
    )
