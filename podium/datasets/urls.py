from django.urls import path

from podium.datasets import views

app_name = "datasets"
urlpatterns = [path("<str:token>/", views.download, name="download")]
