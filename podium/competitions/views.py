from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from podium.competitions.models import Competition


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    competition = get_object_or_404(
        Competition.objects.visible_to(request.user).select_related("created_by"), pk=pk
    )
    phases = competition.phases.prefetch_related("phase_tasks__task").order_by("index")
    leaderboards = competition.leaderboards.prefetch_related("columns").order_by("index")
    if not competition.is_organizer(request.user):
        leaderboards = leaderboards.filter(hidden=False)
    return render(
        request,
        "competitions/detail.html",
        {
            "competition": competition,
            "pages": competition.pages.order_by("index"),
            "phases": phases,
            "leaderboards": leaderboards,
            "is_organizer": competition.is_organizer(request.user),
        },
    )
