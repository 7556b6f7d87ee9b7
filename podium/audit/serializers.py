"""What the audit API shows, and the filters it takes."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from podium.audit.models import Action, AuditEntry


class AuditEntrySerializer(serializers.ModelSerializer[AuditEntry]):
    actor = serializers.CharField(
        source="actor_name",
        read_only=True,
        help_text="The actor's username when it acted; empty for the platform itself (the "
        "scheduler).",
    )
    actor_id = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The actor's user id, while it exists."
    )
    competition = serializers.IntegerField(
        source="competition_id",
        read_only=True,
        allow_null=True,
        help_text="The competition's id; kept after the competition is deleted.",
    )
    details = serializers.JSONField(read_only=True, help_text="What changed, by action.")

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "at",
            "actor",
            "actor_id",
            "action",
            "target_type",
            "target_id",
            "competition",
            "details",
        ]
        read_only_fields = fields


class AuditFilterSerializer(serializers.Serializer[Any]):
    action = serializers.ChoiceField(
        choices=Action.choices, required=False, help_text="Only entries of this action."
    )
    actor = serializers.CharField(
        required=False, max_length=150, help_text="Only entries of this username."
    )
    competition = serializers.IntegerField(
        required=False, min_value=1, help_text="Only entries about this competition."
    )
    target_type = serializers.CharField(
        required=False, max_length=64, help_text="Only entries about this kind of object."
    )
    target_id = serializers.IntegerField(
        required=False, min_value=0, help_text="Only entries about the object with this id."
    )
    since = serializers.DateTimeField(required=False, help_text="Only entries at or after.")
    until = serializers.DateTimeField(required=False, help_text="Only entries before.")
