from django.urls import path

from podium.hosting import storage_views, views

app_name = "hosting"
urlpatterns = [
    path("", views.index, name="index"),
    path("analytics/", views.analytics, name="analytics"),
    path("audit/", views.audit, name="audit"),
    path("workers/", views.workers, name="workers"),
    path("storage/", storage_views.storage, name="storage"),
    path("storage/users/<int:pk>/", storage_views.user_storage, name="user"),
    path("storage/users/<int:pk>/quota/", storage_views.set_quota, name="quota"),
    path("storage/users/<int:pk>/cleanup/", storage_views.clean_up, name="cleanup"),
    path("storage/groups/", storage_views.groups, name="groups"),
    path("storage/groups/<int:pk>/", storage_views.group, name="group"),
    path("storage/groups/<int:pk>/delete/", storage_views.delete_group, name="delete-group"),
]
