from django.contrib import admin

from podium.leaderboards.models import Column, Leaderboard


class ColumnInline(admin.TabularInline[Column, Leaderboard]):
    model = Column
    extra = 0


@admin.register(Leaderboard)
class LeaderboardAdmin(admin.ModelAdmin[Leaderboard]):
    list_display = ["title", "key", "competition", "submission_rule", "hidden"]
    inlines = [ColumnInline]
