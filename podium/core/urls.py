from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

from podium.core import views

urlpatterns = [
    path("", views.home, name="home"),
    # Browsers ask for /favicon.ico on pages that name no icon (the admin, the API's pages).
    path("favicon.ico", RedirectView.as_view(url=static("podium/favicon.svg"), permanent=True)),
]
