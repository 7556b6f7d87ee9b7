"""What the audit API shows, and the filters it takes."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from podium.audit import analytics
from podium.audit.models import Action, AuditEntry
from podium.core.drf import MAX_ID


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
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text="Only entries about this competition.",
    )
    target_type = serializers.CharField(
        required=False, max_length=64, help_text="Only entries about this kind of object."
    )
    target_id = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_ID,
        help_text="Only entries about the object with this id.",
    )
    since = serializers.DateTimeField(required=False, help_text="Only entries at or after.")
    until = serializers.DateTimeField(required=False, help_text="Only entries before.")


class AnalyticsQuerySerializer(serializers.Serializer[Any]):
    start = serializers.DateField(
        required=False, help_text="First day (UTC) of the window; 30 days before `end` if left out."
    )
    end = serializers.DateField(required=False, help_text="Last day (UTC); today if left out.")
    interval = serializers.ChoiceField(
        choices=analytics.INTERVALS,
        default="day",
        help_text="One count per day, per week (from Monday) or per calendar month. The "
        f"window is widened to whole periods, at most {analytics.MAX_PERIODS} of them.",
    )
    top = serializers.IntegerField(
        min_value=1,
        max_value=100,
        default=20,
        help_text="How many users and competitions the storage figures list, largest first.",
    )


class CountsSerializer(serializers.Serializer[Any]):
    periods = serializers.ListField(
        child=serializers.DateField(), help_text="The first day of each period, in order."
    )
    users_joined = serializers.ListField(
        child=serializers.IntegerField(), help_text="Accounts created, per period."
    )
    competitions_created = serializers.ListField(
        child=serializers.IntegerField(), help_text="Competitions created, per period."
    )
    submissions_made = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Submissions made, per period; one to a phase of several tasks counts once.",
    )


class QueueLoadSerializer(serializers.Serializer[Any]):
    queue = serializers.IntegerField(
        allow_null=True, help_text="The queue's id; null for the platform's default queue."
    )
    name = serializers.CharField()
    running = serializers.IntegerField(help_text="Jobs a worker holds now.")
    waiting = serializers.IntegerField(help_text="Jobs waiting for a worker.")


class WorkersSerializer(serializers.Serializer[Any]):
    running = serializers.IntegerField(
        help_text="Jobs a worker holds now (preparing, running or scoring), on every queue."
    )
    waiting = serializers.IntegerField(help_text="Jobs waiting for a worker, on every queue.")
    queues = QueueLoadSerializer(many=True, help_text="The queues with jobs, busiest first.")


class UserStorageSerializer(serializers.Serializer[Any]):
    user = serializers.IntegerField()
    username = serializers.CharField()
    bytes = serializers.IntegerField()
    files = serializers.IntegerField()
    quota_bytes = serializers.IntegerField()


class CompetitionStorageSerializer(serializers.Serializer[Any]):
    competition = serializers.IntegerField()
    title = serializers.CharField()
    bytes = serializers.IntegerField(
        help_text="Its logo, bundle, phases' files, tasks' programs and data, solutions, and "
        "submissions' files, outputs and logs; a file it uses twice counts once."
    )


class StorageSerializer(serializers.Serializer[Any]):
    bytes = serializers.IntegerField(help_text="Bytes of every stored file, as quotas count.")
    files = serializers.IntegerField()
    by_user = UserStorageSerializer(many=True)
    by_competition = CompetitionStorageSerializer(many=True)


# One object, though the analytics' view is a viewset's `list`, which drf-spectacular would
# document as an array.
@extend_schema_serializer(many=False)
class AnalyticsSerializer(serializers.Serializer[Any]):
    start = serializers.DateField(help_text="The first day of the first period.")
    end = serializers.DateField(help_text="The last day of the last period.")
    interval = serializers.ChoiceField(choices=analytics.INTERVALS)
    counts = CountsSerializer()
    workers = WorkersSerializer()
    storage = StorageSerializer()
