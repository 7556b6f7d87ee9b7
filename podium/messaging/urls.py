from django.urls import path

from podium.messaging import views

urlpatterns = [
    path("preferences/", views.preferences, name="notification-preferences"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
