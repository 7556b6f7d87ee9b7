from django.urls import path

from podium.competitions import views

app_name = "competitions"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/phases/", views.phases, name="phases"),
    path("<int:pk>/results/", views.leaderboard, name="results"),
    path("<int:pk>/results/charts/", views.leaderboard_charts, name="results-charts"),
    path("<int:pk>/participate/", views.participate, name="participate"),
    path("<int:pk>/submissions/", views.my_submissions, name="submissions"),
    path("<int:pk>/submissions/new/", views.submit, name="submit"),
    path("<int:pk>/submissions/<int:submission_pk>/", views.submission, name="submission"),
    path(
        "<int:pk>/submissions/<int:submission_pk>/row/",
        views.submission_row,
        name="submission-row",
    ),
    path(
        "<int:pk>/submissions/<int:submission_pk>/status/",
        views.submission_status,
        name="submission-status",
    ),
    path(
        "<int:pk>/submissions/<int:submission_pk>/detailed-results/",
        views.detailed_results,
        name="detailed-results",
    ),
    # After the fixed names above: the actions of views.ACTIONS.
    path(
        "<int:pk>/submissions/<int:submission_pk>/<slug:action>/",
        views.submission_action,
        name="submission-action",
    ),
]
