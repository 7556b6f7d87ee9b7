from django.contrib import admin

from podium.competitions.models import Competition, Page, Phase, PhaseTask, Solution, Task


class PageInline(admin.StackedInline[Page, Competition]):
    model = Page
    extra = 0


class PhaseInline(admin.StackedInline[Phase, Competition]):
    model = Phase
    extra = 0
    raw_id_fields = ["starting_kit", "public_data", "leaderboard"]


@admin.register(Competition)
class CompetitionAdmin(admin.ModelAdmin[Competition]):
    list_display = ["title", "created_by", "published", "created_at"]
    list_filter = ["published", "competition_type"]
    search_fields = ["title"]
    raw_id_fields = ["created_by", "logo", "bundle", "queue"]
    filter_horizontal = ["collaborators"]
    inlines = [PageInline, PhaseInline]


class PhaseTaskInline(admin.TabularInline[PhaseTask, Phase]):
    model = PhaseTask
    extra = 0
    raw_id_fields = ["task"]


@admin.register(Phase)
class PhaseAdmin(admin.ModelAdmin[Phase]):
    list_display = ["name", "competition", "start", "end"]
    inlines = [PhaseTaskInline]
    raw_id_fields = ["competition", "starting_kit", "public_data", "leaderboard"]


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin[Task]):
    list_display = ["name", "key", "created_by", "is_public"]
    search_fields = ["name", "key"]
    raw_id_fields = [
        "created_by",
        "scoring_program",
        "ingestion_program",
        "input_data",
        "reference_data",
    ]


@admin.register(Solution)
class SolutionAdmin(admin.ModelAdmin[Solution]):
    list_display = ["name", "key", "created_by"]
    raw_id_fields = ["created_by", "data"]
