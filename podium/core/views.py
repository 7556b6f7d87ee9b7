from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from podium.web import listing


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"front": listing.front_page(timezone.now())})
