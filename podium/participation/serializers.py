"""What the participation API reads and writes."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from podium.participation.models import Participant


class ParticipantSerializer(serializers.ModelSerializer[Participant]):
    user = serializers.CharField(source="user.username", read_only=True)
    decided_by = serializers.CharField(
        source="decided_by.username", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Participant
        fields = [
            "id",
            "user",
            "competition",
            "status",
            "reason",
            "organization",
            "decided_by",
            "decided_at",
            "created_at",
        ]
        read_only_fields = fields


class ParticipantFilterSerializer(serializers.Serializer[Any]):
    competition = serializers.IntegerField(
        required=False, min_value=1, help_text="Only the registrations of this competition."
    )
    status = serializers.ChoiceField(
        choices=Participant.Status.choices,
        required=False,
        help_text="Only the registrations with this status.",
    )


class ReasonSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(
        max_length=2000, help_text="Why; the participant reads it. Required."
    )
