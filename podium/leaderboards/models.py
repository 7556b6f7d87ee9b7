from __future__ import annotations

from django.db import models


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
    hidden = models.BooleanField(default=False)
    submission_rule = models.CharField(max_length=32, choices=Rule.choices, default=Rule.ADD)
    primary_index = models.IntegerField(default=0)

    class Meta:
        ordering = ["competition", "index"]
        constraints = [
            models.UniqueConstraint(
                fields=["competition", "key"], name="leaderboard_key_unique_in_competition"
            )
        ]

    def __str__(self) -> str:
        return self.title


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
