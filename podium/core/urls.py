from django.urls import path

from podium.core import views

urlpatterns = [
    path("", views.home, name="home"),
]
