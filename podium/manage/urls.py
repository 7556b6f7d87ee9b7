"""`/manage/`: the organizers' pages. The competitions' own settings (create, edit, publish,
clone, delete, bundles, dumps, files) in `competitions_urls`; what happens in a running
competition (participants, submissions, emails, queues) in `operations_urls`."""

from django.urls import include, path

app_name = "manage"
urlpatterns = [
    path("", include("podium.manage.competitions_urls")),
    path("", include("podium.manage.operations_urls")),
]
