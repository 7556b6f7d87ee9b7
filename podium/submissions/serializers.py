from __future__ import annotations

from typing import Any

from rest_framework import serializers

from podium_worker.protocol import Status

MAX_LOG_TAIL = 100_000


class WorkerReportSerializer(serializers.Serializer[dict[str, Any]]):
    attempt = serializers.IntegerField(min_value=0, help_text="The attempt the job message named.")
    status = serializers.ChoiceField(
        choices=[status.value for status in Status if status not in (Status.SUBMITTING,)],
        help_text="Where the job is: preparing, running, scoring, or a final status.",
    )
    detail = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    log_tail = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_LOG_TAIL, default="", trim_whitespace=False
    )
    # Values are checked by the report service, which fails the submission with a message
    # naming the key, rather than refusing the report and leaving the job hanging.
    scores = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        default=dict,
        help_text="Column key to number.",
    )
    metrics = serializers.DictField(required=False, default=dict, help_text="Measurements by step.")


class WorkerReplySerializer(serializers.Serializer[dict[str, Any]]):
    accepted = serializers.BooleanField(
        help_text="False when the report was stale (an older attempt, a finished job) and "
        "changed nothing."
    )
