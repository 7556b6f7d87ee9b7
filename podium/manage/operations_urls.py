"""What happens in a running competition, for its organizers (see podium.manage.operations)."""

from django.urls import path

from podium.manage import (
    operations_emails,
    operations_participants,
    operations_queues,
    operations_submissions,
)

urlpatterns = [
    path("<int:pk>/participants/", operations_participants.participants, name="participants"),
    path(
        "<int:pk>/participants/approve/",
        operations_participants.bulk,
        name="participants-bulk",
    ),
    path(
        "<int:pk>/participants/<int:participant_pk>/decide/",
        operations_participants.decide,
        name="participant-decide",
    ),
    path(
        "<int:pk>/participants/<int:participant_pk>/email/",
        operations_participants.email,
        name="participant-email",
    ),
    path("<int:pk>/submissions/", operations_submissions.submissions, name="submissions"),
    path(
        "<int:pk>/submissions/bulk/",
        operations_submissions.bulk,
        name="submissions-bulk",
    ),
    path(
        "<int:pk>/submissions/<int:submission_pk>/row/",
        operations_submissions.submission_row,
        name="submission-row",
    ),
    path(
        "<int:pk>/submissions/<int:submission_pk>/action/",
        operations_submissions.submission_action,
        name="submission-action",
    ),
    path(
        "<int:pk>/phases/<int:phase_pk>/rerun/",
        operations_submissions.phase_rerun,
        name="phase-rerun",
    ),
    path(
        "<int:pk>/phases/<int:phase_pk>/migrate/",
        operations_submissions.phase_migrate,
        name="phase-migrate",
    ),
    path("<int:pk>/emails/", operations_emails.emails, name="emails"),
    path("<int:pk>/emails/<int:email_pk>/", operations_emails.email, name="email"),
    path("<int:pk>/queues/", operations_queues.queues, name="queues"),
]
