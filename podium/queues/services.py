"""Creating, changing and deleting compute queues, each change in the audit log.

Who may call these is the API's check (`Queue.objects.changeable_by`); what a queue may
hold is checked here, so that every caller keeps the same rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from podium.accounts.models import User
from podium.audit import services as audit
from podium.audit.models import Action
from podium.competitions.models import Competition
from podium.queues.brokers import check_broker_url
from podium.queues.models import Queue

# What the audit log says changed. The broker URL holds credentials, so only the fact that
# it changed is written down, never its value.
AUDITED_VALUES = ("name", "is_public", "exclusive")


class QueueInUse(Exception):
    """Deleting a queue that competitions still send their jobs to."""

    def __init__(self, *, shown: list[Competition], hidden: int) -> None:
        self.shown = shown
        self.hidden = hidden
        named = [f"{competition.title!r} (id {competition.pk})" for competition in shown]
        if hidden:
            named.append(f"{hidden} you cannot see")
        super().__init__(
            f"this queue is used by {len(shown) + hidden} competition"
            f"{'s' if len(shown) + hidden != 1 else ''}: {', '.join(named)}; "
            "point them to another queue first"
        )


@dataclass(frozen=True)
class QueueFields:
    """What an owner sets on a queue; None leaves a field as it is when updating."""

    name: str | None = None
    is_public: bool | None = None
    exclusive: bool | None = None
    broker_url: str | None = None
    organizers: Iterable[User] | None = None


def create_queue(*, by: User, fields: QueueFields) -> Queue:
    """A new queue owned by `by`. A broker URL on the server's own networks is for
    platform admins only (see podium.queues.brokers)."""
    if fields.name is None:
        raise ValueError("a queue needs a name")
    check_broker_url(fields.broker_url or "", trusted=by.is_superuser)
    with transaction.atomic():
        queue = Queue.objects.create(
            name=fields.name,
            owner=by,
            is_public=bool(fields.is_public),
            exclusive=bool(fields.exclusive),
            broker_url=fields.broker_url or "",
        )
        queue.organizers.set(list(fields.organizers or []))
        audit.record(
            actor=by,
            action=Action.QUEUE_CREATE,
            target=queue,
            details={
                **{name: getattr(queue, name) for name in AUDITED_VALUES},
                "broker_url_set": bool(queue.broker_url),
                "organizers": sorted(user.username for user in queue.organizers.all()),
            },
        )
    return queue


def update_queue(*, queue: Queue, by: User, fields: QueueFields) -> Queue:
    """Changes the given fields; an entry lists what changed (nothing changed: no entry).
    A broker URL is checked only when it changes, so that an owner may rename a queue an
    admin pointed at an internal broker."""
    changed: dict[str, object] = {}
    with transaction.atomic():
        for name in AUDITED_VALUES:
            value = getattr(fields, name)
            if value is not None and value != getattr(queue, name):
                setattr(queue, name, value)
                changed[name] = value
        if fields.broker_url is not None and fields.broker_url != queue.broker_url:
            check_broker_url(fields.broker_url, trusted=by.is_superuser)
            queue.broker_url = fields.broker_url
            changed["broker_url_set"] = bool(fields.broker_url)
        if changed:
            queue.save()
        if fields.organizers is not None:
            before = set(queue.organizers.values_list("username", flat=True))
            wanted = list(fields.organizers)
            after = {user.username for user in wanted}
            if after != before:
                queue.organizers.set(wanted)
                changed["organizers"] = sorted(after)
        if changed:
            audit.record(actor=by, action=Action.QUEUE_UPDATE, target=queue, details=changed)
    return queue


def delete_queue(*, queue: Queue, by: User) -> None:
    """Deletes a queue no competition uses. One in use is refused with the competitions it
    serves (those `by` may not see are counted, not named): a competition whose queue
    vanished would silently move to the platform's default queue."""
    with transaction.atomic():
        # Locked, then checked with a fresh look: a competition pointed at the queue before
        # is seen; a transaction pointing one at it meanwhile needs this row for its foreign
        # key check, waits for the lock, and then fails on the missing row.
        locked = Queue.objects.select_for_update().get(pk=queue.pk)
        users = Competition.objects.filter(queue=locked).order_by("pk")
        if users.exists():
            shown = list(users.filter(pk__in=Competition.objects.visible_to(by).values("pk")))
            raise QueueInUse(shown=shown, hidden=users.count() - len(shown))
        audit.record(
            actor=by,
            action=Action.QUEUE_DELETE,
            target=locked,
            details={"name": locked.name, "owner": locked.owner.username},
        )
        locked.delete()
