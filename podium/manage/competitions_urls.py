"""`/manage/`: the competitions an organizer runs, creating them, their settings, and the
organizer's files. Names in the `manage` namespace."""

from django.urls import path

from podium.manage import competitions, wizard_parts

urlpatterns = [
    path("", competitions.index, name="index"),
    path("new/", competitions.create, name="create"),
    path("new/bundle/", competitions.upload_bundle, name="upload-bundle"),
    path("files/", competitions.files, name="files"),
    path("files/<int:data_pk>/download/", competitions.file_download, name="file-download"),
    path("files/<int:data_pk>/delete/", competitions.file_delete, name="file-delete"),
    path("<int:pk>/", competitions.competition, name="competition"),
    path("<int:pk>/details/", competitions.details, name="details"),
    path("<int:pk>/pages/", competitions.pages, name="pages"),
    path("<int:pk>/phases/", wizard_parts.phases, name="phases"),
    path("<int:pk>/phases/new/", wizard_parts.phase_edit, name="phase-new"),
    path("<int:pk>/phases/<int:phase_pk>/", wizard_parts.phase_edit, name="phase-edit"),
    path("<int:pk>/phases/<int:phase_pk>/delete/", wizard_parts.phase_delete, name="phase-delete"),
    path("<int:pk>/tasks/", wizard_parts.tasks, name="tasks"),
    path("<int:pk>/tasks/new/", wizard_parts.task_edit, name="task-new"),
    path("<int:pk>/tasks/<int:task_pk>/", wizard_parts.task_edit, name="task-edit"),
    path("<int:pk>/tasks/<int:task_pk>/delete/", wizard_parts.task_delete, name="task-delete"),
    path("<int:pk>/leaderboards/", wizard_parts.leaderboards, name="leaderboards"),
    path("<int:pk>/leaderboards/new/", wizard_parts.leaderboard_edit, name="leaderboard-new"),
    path(
        "<int:pk>/leaderboards/<int:board_pk>/",
        wizard_parts.leaderboard_edit,
        name="leaderboard-edit",
    ),
    path(
        "<int:pk>/leaderboards/<int:board_pk>/delete/",
        wizard_parts.leaderboard_delete,
        name="leaderboard-delete",
    ),
    path("<int:pk>/fact-sheet/", wizard_parts.fact_sheet, name="fact-sheet"),
    path("<int:pk>/registration/", wizard_parts.registration, name="registration"),
    path("<int:pk>/collaborators/", competitions.collaborators, name="collaborators"),
    path("<int:pk>/publish/", competitions.publish, name="publish"),
    path("<int:pk>/delete/", competitions.delete, name="delete"),
    path("<int:pk>/clone/", competitions.clone, name="clone"),
    path("<int:pk>/dumps/", competitions.dumps, name="dumps"),
    path("<int:pk>/dumps/bundle/", competitions.export_bundle, name="export-bundle"),
]
