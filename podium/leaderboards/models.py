from __future__ import annotations

from django.db import models
from django.db.models import Q

from podium.leaderboards import ranking


class Leaderboard(models.Model):
    class Rule(models.TextChoices):
        ADD = "Add"
        ADD_AND_DELETE = "Add_And_Delete"
        ADD_AND_DELETE_MULTIPLE = "Add_And_Delete_Multiple"
        FORCE_LAST = "Force_Last"
        FORCE_LATEST_MULTIPLE = "Force_Latest_Multiple"
        FORCE_BEST = "Force_Best"

    competition = models.ForeignKey(
        "competitions.Competition", on_delete=models.CASCADE, related_name="leaderboards"
    )
    index = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=256)
    key = models.CharField(max_length=100)
    hidden = models.BooleanField(
        default=False, help_text="Shown to the competition's organizers only."
    )
    submission_rule = models.CharField(max_length=32, choices=Rule.choices, default=Rule.ADD)
    primary_index = models.IntegerField(default=0)
    release_date = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Before this moment only the organizers see the leaderboard's scores.",
    )
    anonymous = models.BooleanField(
        default=False,
        help_text="Participants' and organizations' names are shown to the organizers only.",
    )
    frontier_score = models.CharField(
        max_length=100,
        blank=True,
        help_text="The efficiency frontier's score column (a column key), with its cost.",
    )
    frontier_cost = models.CharField(
        max_length=100,
        blank=True,
        help_text="The efficiency frontier's cost column (a column key), with its score.",
    )

    class Meta:
        ordering = ["competition", "index"]
        constraints = [
            models.UniqueConstraint(
                fields=["competition", "key"], name="leaderboard_key_unique_in_competition"
            ),
            models.CheckConstraint(
                condition=Q(frontier_score="", frontier_cost="")
                | (~Q(frontier_score="") & ~Q(frontier_cost="")),
                name="frontier_names_both_columns_or_none",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def places_automatically(self) -> bool:
        """Whether the server, not the participants, chooses the entries (Force_*)."""
        return self.submission_rule in ranking.AUTOMATIC_RULES

    @property
    def frontier(self) -> tuple[str, str] | None:
        if self.frontier_score and self.frontier_cost:
            return (self.frontier_score, self.frontier_cost)
        return None

    @property
    def frontier_columns(self) -> dict[str, str] | None:
        frontier = self.frontier
        return {"score": frontier[0], "cost": frontier[1]} if frontier else None


class Column(models.Model):
    class Sorting(models.TextChoices):
        DESC = "desc"
        ASC = "asc"

    class Computation(models.TextChoices):
        AVG = "avg"
        SUM = "sum"
        MIN = "min"
        MAX = "max"
        AVG_RANK = "avg_rank"

    leaderboard = models.ForeignKey(Leaderboard, on_delete=models.CASCADE, related_name="columns")
    index = models.IntegerField()
    title = models.CharField(max_length=256)
    key = models.CharField(max_length=100)
    sorting = models.CharField(max_length=4, choices=Sorting.choices, default=Sorting.DESC)
    computation = models.CharField(max_length=8, choices=Computation.choices, blank=True)
    computation_indexes = models.JSONField(null=True, blank=True)
    hidden = models.BooleanField(default=False)
    precision = models.PositiveSmallIntegerField(default=2)

    class Meta:
        ordering = ["leaderboard", "index"]
        constraints = [
            models.UniqueConstraint(
                fields=["leaderboard", "index"], name="column_index_unique_in_leaderboard"
            ),
            models.UniqueConstraint(
                fields=["leaderboard", "key"], name="column_key_unique_in_leaderboard"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class PhaseStandings(models.Model):
    """A leaderboard's rows on one phase, as placement keeps them (see
    podium.leaderboards.standings): what they were worked out for, and what a page needs of
    all of them."""

    leaderboard = models.ForeignKey(Leaderboard, on_delete=models.CASCADE, related_name="+")
    phase = models.ForeignKey("competitions.Phase", on_delete=models.CASCADE, related_name="+")
    definition = models.CharField(
        max_length=64,
        help_text="A digest of the leaderboard's definition the rows were worked out for; "
        "they are worked out again when it changes.",
    )
    rows = models.PositiveIntegerField(default=0)
    machines = models.JSONField(
        default=dict, blank=True, help_text="Each machine (as JSON text) to the rows run on it."
    )
    baselines = models.JSONField(
        default=list,
        blank=True,
        help_text="The baseline rows, as [order key in hex, submission]: they take no rank.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["leaderboard", "phase"], name="one_standings_per_leaderboard_and_phase"
            )
        ]

    def __str__(self) -> str:
        return f"leaderboard {self.leaderboard_id} on phase {self.phase_id}: {self.rows} rows"


class Standing(models.Model):
    """One row of a leaderboard on a phase: an entry (a participant's submission, with its
    tasks) and its row values, kept as placement changes them, in rank order by `order_key`
    (then by submission)."""

    leaderboard = models.ForeignKey(Leaderboard, on_delete=models.CASCADE, related_name="+")
    phase = models.ForeignKey("competitions.Phase", on_delete=models.CASCADE, related_name="+")
    submission = models.OneToOneField(
        "submissions.Submission", on_delete=models.CASCADE, related_name="standing"
    )
    is_baseline = models.BooleanField(default=False)
    order_key = models.BinaryField(
        help_text="The row's place in the order, as bytes (podium.leaderboards.ranking.order_key)."
    )
    scores = models.JSONField(default=dict, blank=True, help_text="Column key to row value.")
    task_scores = models.JSONField(
        default=dict, blank=True, help_text="Task id to column key to value, as stored."
    )
    hardware = models.JSONField(
        default=list, blank=True, help_text="The machines its runs were measured on."
    )
    # The row's values of the efficiency frontier's columns, if it has one: the frontier is
    # worked out over every row, and reads these rather than every row's scores.
    frontier_score = models.FloatField(null=True, blank=True)
    frontier_cost = models.FloatField(null=True, blank=True)
    on_frontier = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(
                fields=["leaderboard", "phase", "order_key", "submission", "is_baseline"],
                name="standing_in_rank_order",
            ),
        ]

    def __str__(self) -> str:
        return f"submission {self.submission_id} on leaderboard {self.leaderboard_id}"


class CarriedEntry(models.Model):
    """A submission migrated to a new phase from an entry of the phase before: once it
    finishes it becomes an entry of its phase's leaderboard, whatever the rule (see
    podium.leaderboards.services.carry_entries)."""

    submission = models.OneToOneField(
        "submissions.Submission", on_delete=models.CASCADE, related_name="carried_entry"
    )
    source = models.ForeignKey(
        "submissions.Submission", null=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"submission {self.submission_id}, carried from {self.source_id}"
