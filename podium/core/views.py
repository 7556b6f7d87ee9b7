from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from podium.competitions.models import Competition


def home(request: HttpRequest) -> HttpResponse:
    competitions = Competition.objects.visible_to(request.user).order_by("-created_at")[:50]
    return render(request, "core/home.html", {"competitions": competitions})
