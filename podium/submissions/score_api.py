"""The scores API: organizers read and change the scores of their competitions'
submissions, at the seed's paths (`submission_scores`, `upload_submission_scores`).

Who reads which score rows is one function, podium.submissions.scores.scores_visible_to; a
row the caller may not read is 404 whatever the method, one they may read but not change
(a participant's own score) is 403, anonymous writes are 401. Every change is audited and
recomputes the computed columns.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import get_object_or_404
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from podium.core import api
from podium.core import examples as ex
from podium.core.api import caller
from podium.submissions import scores as scoring
from podium.submissions.models import Submission, SubmissionScore
from podium.submissions.serializers import (
    ScoreFilterSerializer,
    ScoresSerializer,
    ScoreValueSerializer,
    SubmissionScoreSerializer,
)

ORGANIZERS_ONLY = "only the organizers of its competition may change its scores"
F1_SCORE = {**ex.SUBMISSION_SCORE, "id": 8, "column": 2, "key": "f1", "value": 0.9662}


refusals = api.refusals(
    {scoring.ScoreRefused: lambda refused: serializers.ValidationError(refused.as_fields())}
)


@extend_schema_view(
    list=extend_schema(
        summary="List submission scores",
        description="Score rows the caller may read: every score of the competitions they "
        "organize (all for platform admins), and the scores of their own submissions on "
        "columns and leaderboards that are not hidden. By submission, leaderboard and "
        "column.",
        parameters=[ScoreFilterSerializer],
        examples=[ex.response(ex.SUBMISSION_SCORE)],
    ),
    create=extend_schema(
        summary="Create a submission score",
        description="Gives a submission a score it does not have yet, on a column of one of "
        "its competition's leaderboards that is not computed; the computed columns follow. "
        "Organizers of the competition and platform admins only; audited. 400 for a value "
        "that is not a finite number, a computed column, or a score that exists (change it "
        "instead).",
        examples=[
            ex.request({"submission": 3, "column": 2, "value": 0.9662}),
            ex.response(F1_SCORE),
        ],
    ),
    retrieve=extend_schema(
        summary="Read a submission score",
        description="One score row: its submission, column and value.",
        examples=[ex.response(ex.SUBMISSION_SCORE)],
    ),
    update=extend_schema(
        summary="Update a submission score",
        description="Replaces the value (a finite number); the computed columns follow. "
        "Organizers of the competition and platform admins only; audited. Scores of "
        "computed columns are not changed by hand (400).",
        request=ScoreValueSerializer,
        responses=SubmissionScoreSerializer,
        examples=[ex.request({"value": 0.97}), ex.response({**ex.SUBMISSION_SCORE, "value": 0.97})],
    ),
    partial_update=extend_schema(
        summary="Partially update a submission score",
        description="Like an update; without `value` nothing changes.",
        request=ScoreValueSerializer,
        responses=SubmissionScoreSerializer,
        examples=[ex.request({"value": 0.97}), ex.response({**ex.SUBMISSION_SCORE, "value": 0.97})],
    ),
    destroy=extend_schema(
        summary="Delete a submission score",
        description="Removes the score; the computed columns follow. Organizers of the "
        "competition and platform admins only; audited.",
    ),
)
class SubmissionScoreViewSet(viewsets.ModelViewSet[SubmissionScore]):
    serializer_class = SubmissionScoreSerializer
    parser_classes = [JSONParser]

    def get_queryset(self) -> QuerySet[SubmissionScore]:
        queryset = scoring.scores_visible_to(self.request.user)
        if self.action == "list":
            queryset = api.filter_by(
                queryset,
                api.query_filters(self.request, ScoreFilterSerializer),
                {"submission": "submission_id", "phase": "submission__phase_id"},
            )
        return queryset.select_related("column").order_by(
            "submission_id", "column__leaderboard_id", "column__index", "pk"
        )

    def check_object_permissions(self, request: Request, obj: Any) -> None:
        super().check_object_permissions(request, obj)
        if request.method in permissions.SAFE_METHODS:
            return
        if not Submission.objects.organized_by(request.user).filter(pk=obj.submission_id).exists():
            self.permission_denied(request, message=ORGANIZERS_ONLY)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        with refusals():
            score = scoring.create_score(
                submission=body.validated_data["submission"],
                column=body.validated_data["column"],
                value=body.validated_data["value"],
                by=caller(request),
            )
        return Response(SubmissionScoreSerializer(score).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        score = self.get_object()
        body = ScoreValueSerializer(data=request.data, partial=kwargs.get("partial", False))
        body.is_valid(raise_exception=True)
        if "value" in body.validated_data:
            with refusals():
                score = scoring.update_score(
                    score, value=body.validated_data["value"], by=caller(request)
                )
        return Response(SubmissionScoreSerializer(score).data)

    def perform_destroy(self, instance: SubmissionScore) -> None:
        with refusals():
            scoring.delete_score(instance, by=caller(self.request))


class UploadScoresViewSet(viewsets.GenericViewSet[Submission]):
    serializer_class = ScoresSerializer
    parser_classes = [JSONParser]

    def get_queryset(self) -> QuerySet[Submission]:
        return Submission.objects.visible_to(self.request.user).select_related("phase")

    @extend_schema(
        summary="Upload submission scores",
        description="Sets a submission's scores on its phase's leaderboard from a JSON "
        "object of column key to number (the other columns keep theirs); the computed "
        "columns follow. Organizers of the competition and platform admins only; audited. "
        "All or nothing: 400 names each unknown key, computed column and value that is not "
        "a finite number. Returns every score of the submission there.",
        parameters=[
            OpenApiParameter(
                "submission_pk", int, OpenApiParameter.PATH, description="The submission's id."
            )
        ],
        request={"application/json": OpenApiTypes.OBJECT},
        # 200, as the view answers (drf-spectacular would document a create's 201).
        responses={200: ScoresSerializer},
        examples=[
            ex.request({"accuracy": 0.97, "f1": 0.9688}),
            ex.response({"submission": 3, "scores": {**ex.SCORES, "accuracy": 0.97, "f1": 0.9688}}),
        ],
    )
    def create(self, request: Request, submission_pk: str) -> Response:
        submission = get_object_or_404(self.get_queryset(), pk=submission_pk)
        if not Submission.objects.organized_by(request.user).filter(pk=submission.pk).exists():
            raise PermissionDenied(ORGANIZERS_ONLY)
        with refusals():
            scores = scoring.upload_scores(submission, values=request.data, by=caller(request))
        return Response(ScoresSerializer({"submission": submission.pk, "scores": scores}).data)


def register(router: BaseRouter) -> None:
    router.register("submission_scores", SubmissionScoreViewSet, basename="submission-score")
    router.register(
        r"upload_submission_scores/(?P<submission_pk>[0-9]+)",
        UploadScoresViewSet,
        basename="upload-submission-scores",
    )
