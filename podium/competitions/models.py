from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Case, Q, Value, When
from django.utils import timezone

from podium.core.models import Timestamped


class CompetitionQuerySet(models.QuerySet["Competition"]):
    def visible_to(self, user: Any) -> CompetitionQuerySet:
        """Published competitions, and the ones the caller organizes."""
        if getattr(user, "is_superuser", False):
            return self
        if not getattr(user, "is_authenticated", False):
            return self.filter(published=True)
        return self.filter(
            Q(published=True) | Q(created_by=user) | Q(collaborators=user)
        ).distinct()

    def organized_by(self, user: Any) -> CompetitionQuerySet:
        if getattr(user, "is_superuser", False):
            return self
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(Q(created_by=user) | Q(collaborators=user)).distinct()

    def owned_by(self, user: Any) -> CompetitionQuerySet:
        """Competitions the caller may delete: their own (collaborators may not)."""
        if getattr(user, "is_superuser", False):
            return self
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(Q(created_by=user))


class Competition(Timestamped):
    class Type(models.TextChoices):
        COMPETITION = "competition"
        BENCHMARK = "benchmark"

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=256)
    description = models.TextField(blank=True)
    logo = models.ForeignKey(
        "datasets.Data", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    terms = models.TextField(blank=True, help_text="The end-user agreement (Markdown or HTML).")
    contact_email = models.EmailField(blank=True)
    reward = models.CharField(max_length=500, blank=True)
    published = models.BooleanField(default=False, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="competitions"
    )
    collaborators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="collaborations"
    )
    registration_auto_approve = models.BooleanField(default=False)
    docker_image = models.CharField(max_length=256, default="codalab/codalab-legacy:py37")
    queue = models.ForeignKey(
        "queues.Queue", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    make_programs_available = models.BooleanField(default=False)
    make_input_data_available = models.BooleanField(default=False)
    enable_detailed_results = models.BooleanField(default=False)
    show_detailed_results_in_submission_panel = models.BooleanField(default=True)
    show_detailed_results_in_leaderboard = models.BooleanField(default=True)
    auto_run_submissions = models.BooleanField(default=True)
    can_participants_make_submissions_public = models.BooleanField(default=True)
    competition_type = models.CharField(
        max_length=20, choices=Type.choices, default=Type.COMPETITION
    )
    forum_enabled = models.BooleanField(default=True)
    max_team_size = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Most members of an organization that submits as a team; empty for no limit.",
    )
    fact_sheet = models.JSONField(
        null=True,
        blank=True,
        help_text="Questions asked at each submission, keyed by question key.",
    )
    bundle = models.ForeignKey(
        "datasets.Data", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = CompetitionQuerySet.as_manager()

    def __str__(self) -> str:
        return self.title

    def is_organizer(self, user: Any) -> bool:
        if not getattr(user, "is_authenticated", False):
            return False
        if user.is_superuser or self.created_by_id == user.pk:
            return True
        return self.collaborators.filter(pk=user.pk).exists()


class Page(models.Model):
    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="pages")
    index = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=256)
    content = models.TextField(blank=True, help_text="Markdown or HTML, sanitized when shown.")

    class Meta:
        ordering = ["competition", "index"]

    def __str__(self) -> str:
        return self.title


class TaskQuerySet(models.QuerySet["Task"]):
    def visible_to(self, user: Any) -> TaskQuerySet:
        if getattr(user, "is_superuser", False):
            return self
        if not getattr(user, "is_authenticated", False):
            return self.filter(is_public=True)
        return self.filter(
            Q(is_public=True)
            | Q(created_by=user)
            | Q(phases__competition__created_by=user)
            | Q(phases__competition__collaborators=user)
        ).distinct()

    def owned_by(self, user: Any) -> TaskQuerySet:
        """Tasks the caller may change or delete: the ones they created."""
        if getattr(user, "is_superuser", False):
            return self
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(Q(created_by=user))


class Task(Timestamped):
    """What one job evaluates: programs and data. Reusable across competitions by key."""

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=256)
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tasks"
    )
    is_public = models.BooleanField(default=False)
    scoring_program = models.ForeignKey("datasets.Data", on_delete=models.PROTECT, related_name="+")
    ingestion_program = models.ForeignKey(
        "datasets.Data", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    input_data = models.ForeignKey(
        "datasets.Data", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reference_data = models.ForeignKey(
        "datasets.Data", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ingestion_only_during_scoring = models.BooleanField(default=False)

    objects = TaskQuerySet.as_manager()

    def __str__(self) -> str:
        return self.name


class Solution(Timestamped):
    """A reference submission: it validates its tasks and is the leaderboard's baseline."""

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=256)
    description = models.TextField(blank=True)
    data = models.ForeignKey("datasets.Data", on_delete=models.PROTECT, related_name="+")
    tasks = models.ManyToManyField(Task, related_name="solutions")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return self.name


class PhaseQuerySet(models.QuerySet["Phase"]):
    def with_status(self, moment: datetime | None = None) -> PhaseQuerySet:
        """Annotates `status_now`, each phase's status at `moment` (now by default): the
        same rule as Phase.status_at, in the database, to filter or sort by."""
        now = moment or timezone.now()
        return self.annotate(
            status_now=Case(
                When(start__gt=now, then=Value(Phase.Status.NEXT.value)),
                When(end__isnull=False, end__lte=now, then=Value(Phase.Status.PREVIOUS.value)),
                default=Value(Phase.Status.CURRENT.value),
                output_field=models.CharField(),
            )
        )

    def in_status(self, status: str, moment: datetime | None = None) -> PhaseQuerySet:
        """The phases whose status at `moment` (now by default) is `status`."""
        now = moment or timezone.now()
        if status == Phase.Status.NEXT:
            return self.filter(start__gt=now)
        if status == Phase.Status.PREVIOUS:
            return self.filter(end__isnull=False, end__lte=now)
        return self.filter(Q(end__isnull=True) | Q(end__gt=now), start__lte=now)

    def due_for_migration(self, moment: datetime | None = None) -> PhaseQuerySet:
        """Phases whose submissions should be migrated in from the phase before: marked
        `auto_migrate_to_this_phase`, not yet migrated, started and not ended, with tasks to
        run (a phase whose tasks are added late migrates once they are there)."""
        now = moment or timezone.now()
        return self.filter(
            Q(end__isnull=True) | Q(end__gt=now),
            auto_migrate_to_this_phase=True,
            has_been_migrated=False,
            start__lte=now,
            pk__in=PhaseTask.objects.values("phase_id"),
        )


class Phase(models.Model):
    class Status(models.TextChoices):
        PREVIOUS = "previous"
        CURRENT = "current"
        NEXT = "next"

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="phases")
    index = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=256)
    description = models.TextField(blank=True)
    start = models.DateTimeField()
    end = models.DateTimeField(null=True, blank=True)
    tasks = models.ManyToManyField(Task, through="PhaseTask", related_name="phases")
    max_submissions = models.PositiveIntegerField(
        null=True, blank=True, help_text="Per participant, in total; empty means unlimited."
    )
    max_submissions_per_day = models.PositiveIntegerField(
        null=True, blank=True, help_text="Per participant, per UTC day; empty means unlimited."
    )
    execution_time_limit = models.PositiveIntegerField(default=600, help_text="Seconds.")
    auto_migrate_to_this_phase = models.BooleanField(default=False)
    has_been_migrated = models.BooleanField(default=False)
    hide_output = models.BooleanField(default=False)
    hide_prediction_output = models.BooleanField(default=False)
    hide_score_output = models.BooleanField(default=False)
    starting_kit = models.ForeignKey(
        "datasets.Data", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    public_data = models.ForeignKey(
        "datasets.Data", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    leaderboard = models.ForeignKey(
        "leaderboards.Leaderboard",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="phases",
    )

    objects = PhaseQuerySet.as_manager()

    class Meta:
        ordering = ["competition", "index"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gt=models.F("start")),
                name="phase_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def status_at(self, moment: datetime | None = None) -> str:
        now = moment or timezone.now()
        if now < self.start:
            return self.Status.NEXT
        if self.end is not None and now >= self.end:
            return self.Status.PREVIOUS
        return self.Status.CURRENT

    def is_open(self, moment: datetime | None = None) -> bool:
        return self.status_at(moment) == self.Status.CURRENT

    @property
    def status(self) -> str:
        """previous, current or next, from the dates and the clock."""
        return self.status_at()

    def _siblings(self) -> models.QuerySet[Phase]:
        return Phase.objects.filter(competition_id=self.competition_id).exclude(pk=self.pk)

    def previous_phase(self) -> Phase | None:
        """The phase before this one in its competition, by index (then id)."""
        earlier = Q(index__lt=self.index) | Q(index=self.index, pk__lt=self.pk)
        return self._siblings().filter(earlier).order_by("-index", "-pk").first()

    def next_phase(self) -> Phase | None:
        """The phase after this one in its competition, by index (then id)."""
        later = Q(index__gt=self.index) | Q(index=self.index, pk__gt=self.pk)
        return self._siblings().filter(later).order_by("index", "pk").first()


class PhaseTask(models.Model):
    phase = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="phase_tasks")
    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="+")
    index = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["phase", "index"]
        constraints = [
            models.UniqueConstraint(fields=["phase", "task"], name="task_once_per_phase")
        ]

    def __str__(self) -> str:
        return f"task {self.task_id} of phase {self.phase_id}"
