from django.urls import path

from podium.forums import views

app_name = "forums"
urlpatterns = [
    path("<int:pk>/", views.index, name="index"),
    path("<int:pk>/settings/", views.forum_settings, name="settings"),
    path("<int:pk>/new/", views.new_thread, name="new-thread"),
    path("<int:pk>/threads/<int:thread_pk>/", views.thread, name="thread"),
    path("<int:pk>/threads/<int:thread_pk>/reply/", views.reply, name="reply"),
    path("<int:pk>/threads/<int:thread_pk>/follow/", views.follow, name="follow"),
    path(
        "<int:pk>/threads/<int:thread_pk>/pin/",
        views.moderate,
        {"change": "pin"},
        name="pin",
    ),
    path(
        "<int:pk>/threads/<int:thread_pk>/lock/",
        views.moderate,
        {"change": "lock"},
        name="lock",
    ),
    path("<int:pk>/threads/<int:thread_pk>/delete/", views.delete_thread, name="delete-thread"),
    path("<int:pk>/posts/<int:post_pk>/edit/", views.edit_post, name="edit-post"),
    path("<int:pk>/posts/<int:post_pk>/delete/", views.delete_post, name="delete-post"),
]
