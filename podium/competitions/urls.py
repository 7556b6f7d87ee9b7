from django.urls import path

from podium.competitions import views

app_name = "competitions"
urlpatterns = [
    path("<int:pk>/", views.detail, name="detail"),
]
