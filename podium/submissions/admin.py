from django.contrib import admin

from podium.submissions.models import StatusChange, Submission, SubmissionScore


class ScoreInline(admin.TabularInline[SubmissionScore, Submission]):
    model = SubmissionScore
    extra = 0
    raw_id_fields = ["column"]


class StatusChangeInline(admin.TabularInline[StatusChange, Submission]):
    model = StatusChange
    extra = 0
    readonly_fields = ["from_status", "to_status", "detail", "at"]
    can_delete = False


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin[Submission]):
    list_display = ["id", "owner", "phase", "status", "is_baseline", "created_at"]
    list_filter = ["status", "is_baseline"]
    search_fields = ["owner__username"]
    raw_id_fields = [
        "owner",
        "participant",
        "phase",
        "task",
        "parent",
        "organization",
        "data",
        "leaderboard",
        "prediction_result",
        "scoring_result",
        "detailed_result",
        "logs",
    ]
    readonly_fields = ["status", "secret", "attempt"]
    inlines = [ScoreInline, StatusChangeInline]
