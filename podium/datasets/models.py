from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Exists, F, ForeignObjectRel, ManyToManyRel, OuterRef, Q, Sum

from podium.core.models import Timestamped


class DataQuerySet(models.QuerySet["Data"]):
    def visible_to(self, user: Any) -> DataQuerySet:
        """Files the caller may see: public ones, their own, all for platform admins."""
        if getattr(user, "is_superuser", False):
            return self
        if not getattr(user, "is_authenticated", False):
            return self.filter(is_public=True)
        return self.filter(Q(is_public=True) | Q(owner=user))

    def owned_by(self, user: Any) -> DataQuerySet:
        """Files the caller may rename, publish or delete: their own."""
        if getattr(user, "is_superuser", False):
            return self
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(Q(owner=user))

    def counted_for(self, user: Any) -> DataQuerySet:
        return self.filter(owner=user, upload_completed=True)

    def bytes_used(self) -> int:
        return int(self.aggregate(total=Sum("size"))["total"] or 0)

    def unused(self) -> DataQuerySet:
        """Files that no row of any model points at: no competition (logo, bundle), phase
        (starting kit, public data), task, solution, submission (its file, outputs, logs)
        or data group uses them."""
        free = self
        for holder, field, target in references():
            holders = holder._base_manager.filter(**{field: OuterRef(target)})
            free = free.filter(~Exists(holders))
        return free


def references() -> list[tuple[type[models.Model], str, str]]:
    """Every way a row points at a data file: (the model holding the reference, its field,
    the data file's field it names).

    Read from the model graph rather than listed, so that a model that starts pointing at
    data files counts without a change here: a file must never be taken for unused because
    its user was forgotten (Codabench issue 2277).
    """
    found = []
    for relation in Data._meta.get_fields(include_hidden=True):
        if not isinstance(relation, ForeignObjectRel):
            continue
        through = relation.through if isinstance(relation, ManyToManyRel) else None
        if through is not None and not through._meta.auto_created:
            continue  # the through model's own foreign key is a relation of its own
        holder = relation.related_model
        found.append((holder, relation.field.name, getattr(relation, "field_name", None) or "pk"))
    return found


class Data(Timestamped):
    """A stored file. Identical bytes share one blob in storage (keyed by sha256)."""

    class Kind(models.TextChoices):
        BUNDLE = "bundle"
        LOGO = "logo"
        SCORING_PROGRAM = "scoring_program"
        INGESTION_PROGRAM = "ingestion_program"
        INPUT_DATA = "input_data"
        REFERENCE_DATA = "reference_data"
        STARTING_KIT = "starting_kit"
        PUBLIC_DATA = "public_data"
        SOLUTION = "solution"
        SUBMISSION = "submission"
        OUTPUT = "output"
        LOG = "log"

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=32, choices=Kind.choices, db_index=True)
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="data_files"
    )
    file = models.FileField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.BigIntegerField(default=0)
    is_public = models.BooleanField(default=False)
    upload_completed = models.BooleanField(default=True)

    objects = DataQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "data"
        constraints = [
            models.CheckConstraint(condition=Q(size__gte=0), name="data_size_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"

    def used_by(self, *, ignoring: tuple[type[models.Model], ...] = ()) -> list[str]:
        """The kinds of rows that point at this file (`task`, `phase`, ...), sorted."""
        return sorted(
            {
                str(holder._meta.verbose_name)
                for holder, field, target in references()
                if holder not in ignoring
                and holder._base_manager.filter(**{field: getattr(self, target)}).exists()
            }
        )


class DataGroupQuerySet(models.QuerySet["DataGroup"]):
    def visible_to(self, user: Any) -> DataGroupQuerySet:
        """Groups are their owner's: each user sees and changes their own, platform admins
        all of them."""
        if getattr(user, "is_superuser", False):
            return self
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(owner=user)


class DataGroup(Timestamped):
    """A named set of data files that belong together, for hosts to keep track of them.

    A file in a group counts as used: a quota cleanup leaves it alone. Deleting a file
    takes it out of its groups.
    """

    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_groups"
    )
    data = models.ManyToManyField(Data, through="DataGroupEntry", related_name="groups")

    objects = DataGroupQuerySet.as_manager()

    def __str__(self) -> str:
        return self.name


class DataGroupEntryQuerySet(models.QuerySet["DataGroupEntry"]):
    def seen_by_group_owner(self) -> DataGroupEntryQuerySet:
        """The entries whose file the group's owner may see now: the rule of
        `DataQuerySet.visible_to`, taken for each group's owner (a file made private by its
        owner after it was grouped drops out of other users' groups), and only files whose
        upload completed."""
        return self.filter(
            Q(data__is_public=True)
            | Q(data__owner=F("group__owner"))
            | Q(group__owner__is_superuser=True),
            data__upload_completed=True,
        )


class DataGroupEntry(models.Model):
    group = models.ForeignKey(DataGroup, on_delete=models.CASCADE, related_name="entries")
    data = models.ForeignKey(Data, on_delete=models.CASCADE, related_name="+")

    objects = DataGroupEntryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "data group entries"
        constraints = [
            models.UniqueConstraint(fields=["group", "data"], name="data_once_per_group")
        ]

    def __str__(self) -> str:
        return f"data {self.data_id} in group {self.group_id}"
