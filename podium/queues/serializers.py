"""What the queues API reads and writes.

The broker URL, the key and the queue's name on its broker are what a worker needs to take
the queue's jobs, so they are secrets: shown to the queue's owner and platform admins only,
null for everyone else. The owner, key and dates are the server's.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from podium.accounts.models import User
from podium.queues.brokers import BrokerUrlRefused, check_broker_url
from podium.queues.models import Queue
from podium.queues.services import QueueFields

MAX_ORGANIZERS = 100


class UsernamesField(serializers.ListField):
    """Users by username: written as a list of names, read from the queue's organizers."""

    def get_attribute(self, instance: Queue) -> list[str]:
        return sorted(user.username for user in instance.organizers.all())


class QueueSerializer(serializers.ModelSerializer[Queue]):
    owner = serializers.CharField(source="owner.username", read_only=True)
    organizers = UsernamesField(
        child=serializers.CharField(max_length=150),
        max_length=MAX_ORGANIZERS,
        required=False,
        help_text="Usernames of the users who may run their competitions on this queue "
        "besides its owner. Writing it replaces the list.",
    )
    broker_url = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="The broker this queue's jobs go to (amqp://, amqps://, pyamqp://, "
        "redis://, rediss://); empty (or null) means the platform's own broker. Only platform "
        "admins may name a broker on the server's own networks. Shown to the owner and "
        "platform admins only: it holds the broker's credentials.",
    )
    key = serializers.SerializerMethodField(
        help_text="The queue's key, as a bundle's `queue:` names it; shown to the owner and "
        "platform admins only."
    )
    broker_queue = serializers.SerializerMethodField(
        help_text="The queue's name on its broker, for `podium-worker --queue`; shown to "
        "the owner and platform admins only."
    )

    class Meta:
        model = Queue
        fields = [
            "id",
            "name",
            "owner",
            "organizers",
            "is_public",
            "exclusive",
            "broker_url",
            "key",
            "broker_queue",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def _owns(self, queue: Queue) -> bool:
        # The viewset annotates `caller_owns` (the `changeable_by` rule, in the same query).
        return bool(getattr(queue, "caller_owns", False))

    @extend_schema_field(serializers.UUIDField(allow_null=True))
    def get_key(self, queue: Queue) -> str | None:
        return str(queue.key) if self._owns(queue) else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_broker_queue(self, queue: Queue) -> str | None:
        return queue.broker_queue if self._owns(queue) else None

    def to_representation(self, instance: Queue) -> dict[str, Any]:
        body = super().to_representation(instance)
        if not self._owns(instance):
            body["broker_url"] = None
        return body

    def validate_organizers(self, names: list[str]) -> list[User]:
        wanted = set(names)
        found = list(User.objects.filter(username__in=wanted, is_active=True))
        missing = sorted(wanted - {user.username for user in found})
        if missing:
            raise serializers.ValidationError(f"no such users: {', '.join(missing)}")
        return found

    def validate_broker_url(self, url: str | None) -> str:
        url = url or ""
        if self.instance is not None and url == self.instance.broker_url:
            return url
        user = getattr(self.context.get("request"), "user", None)
        try:
            check_broker_url(url, trusted=bool(getattr(user, "is_superuser", False)))
        except BrokerUrlRefused as exc:
            raise serializers.ValidationError(str(exc)) from None
        return url

    def fields_to_save(self) -> QueueFields:
        chosen = self.validated_data
        return QueueFields(
            name=chosen.get("name"),
            is_public=chosen.get("is_public"),
            exclusive=chosen.get("exclusive"),
            broker_url=chosen.get("broker_url"),
            organizers=chosen.get("organizers"),
        )
