from django.urls import path
from django.views.generic import RedirectView

from podium.accounts import views

app_name = "accounts"
urlpatterns = [
    path("terms/", views.terms, name="terms"),
    path("avatars/<int:user_id>/<str:file_name>", views.avatar, name="avatar"),
    path("users/<str:username>/", views.public_profile, name="user"),
    path("settings/", RedirectView.as_view(pattern_name="accounts:profile"), name="settings"),
    path("settings/profile/", views.profile_settings, name="profile"),
    path("settings/avatar/", views.avatar_upload, name="avatar_upload"),
    path("settings/avatar/remove/", views.avatar_remove, name="avatar_remove"),
    path("settings/tokens/", views.tokens, name="tokens"),
    path("settings/tokens/<int:pk>/revoke/", views.revoke_token, name="revoke_token"),
    path("settings/delete/", views.delete_account, name="delete"),
]
