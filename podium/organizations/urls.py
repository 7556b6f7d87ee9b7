from django.urls import path

from podium.organizations import views

app_name = "organizations"
urlpatterns = [
    path("invites/<str:token>/", views.invite, name="invite"),
]
