from __future__ import annotations

import uuid

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
    ranking_token = models.UUIDField(
        default=uuid.uuid4,
        editable=False,
        help_text="Changes whenever its rows may have; cached rankings are keyed by it "
        "(podium.leaderboards.services.rows_changed).",
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
