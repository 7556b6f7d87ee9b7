from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularRedocView

from podium.web import listing


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"front": listing.front_page(timezone.now())})


# Redoc, without the web fonts drf-spectacular's page loads from a CDN; it builds its search
# index in a web worker started from a blob: URL, which only this page's policy allows.
redoc = csp_override({**settings.SECURE_CSP, "worker-src": ["'self'", "blob:"]})(
    SpectacularRedocView.as_view(url_name="schema", template_name="core/redoc.html")
)
