from django.urls import path

from podium.accounts import views

app_name = "accounts"
urlpatterns = [
    path("terms/", views.terms, name="terms"),
    path("avatars/<int:user_id>/<str:file_name>", views.avatar, name="avatar"),
]
