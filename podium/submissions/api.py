"""The submissions API: participants and organizers, and the endpoints compute workers call.

A submission the caller may not see (`Submission.objects.visible_to`) is 404 whatever the
method; one they may see but not change (`changeable_by`, `organized_by`) is 403; anonymous
writes are 401. Refusals keep DRF's error shape and say why.
"""

from __future__ import annotations

import io
from typing import Any, BinaryIO, cast

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, UnsupportedMediaType
from rest_framework.parsers import BaseParser, FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from podium.core import api
from podium.core import examples as ex
from podium.core.api import caller
from podium.datasets.signing import signed_url
from podium.submissions import lifecycle, reports, rules, score_api, services
from podium.submissions import scores as scoring
from podium.submissions.models import Submission
from podium.submissions.serializers import (
    CustomMetricsSerializer,
    DetailedResultSerializer,
    SubmissionCreateSerializer,
    SubmissionDetailsSerializer,
    SubmissionFilterSerializer,
    SubmissionSerializer,
    SubmissionUpdateSerializer,
    WorkerReplySerializer,
    WorkerReportSerializer,
)
from podium.uploads import services as uploads
from podium_worker.protocol import ATTEMPT_HEADER, SECRET_HEADER, TERMINAL, Output, Status

SECRET_PARAMETER = OpenApiParameter(
    SECRET_HEADER, str, OpenApiParameter.HEADER, required=True, description="The job's secret."
)
ATTEMPT_PARAMETER = OpenApiParameter(
    ATTEMPT_HEADER,
    int,
    OpenApiParameter.HEADER,
    required=True,
    description="The attempt the job message named.",
)
KIND_PARAMETER = OpenApiParameter(
    "kind",
    str,
    OpenApiParameter.PATH,
    enum=[kind.value for kind in Output],
    description="Which output: detailed_results is one HTML file, the others zip archives.",
)


# What the owner of a submission or the organizers of its competition may do to it; making
# it public is its owner's alone (lifecycle.set_public says so).
CHANGES = ("update", "partial_update", "destroy", "cancel_submission", "update_fact_sheet")


PUBLIC = {**ex.SUBMISSION, "is_public": True}
CANCELLED = {
    **ex.RUNNING_SUBMISSION,
    "status": "cancelled",
    "status_detail": "cancelled by alice",
    "finished_at": "2025-02-10T11:02:30Z",
}


refusals = api.refusals(
    {
        lifecycle.NotAllowed: PermissionDenied,
        lifecycle.Conflict: api.Conflict,
        lifecycle.NoSuchOutput: NotFound,
        services.SubmissionForbidden: PermissionDenied,
        services.SubmissionRefused: api.Refused,
        uploads.UploadError: api.Conflict,
        rules.AnswersInvalid: lambda refused: serializers.ValidationError(
            {"fact_sheet_answers": refused.problems}
        ),
        scoring.ScoreRefused: lambda refused: serializers.ValidationError(refused.as_fields()),
    }
)


@extend_schema_view(
    list=extend_schema(
        summary="List submissions",
        description="Submissions the caller may see, newest first: their own, public ones of "
        "published competitions, and every submission of the competitions they organize (all "
        "of them for platform admins). The tasks of a multi-task submission are listed as its "
        "`children`, not as rows of their own.",
        parameters=[SubmissionFilterSerializer],
        examples=[ex.response(ex.SUBMISSION)],
    ),
    create=extend_schema(
        summary="Create a submission",
        description="Submits a zip to a phase (multipart: `file`, `phase`, optional "
        "`organization` and `fact_sheet_answers` as a JSON object) and queues one job per "
        "task. 403 when the caller may not submit (not registered, not approved, not a member "
        "of the organization); 400 with the reason when the phase is closed, a limit is "
        "reached, the answers do not fit the fact sheet, the file is not an acceptable zip or "
        "does not fit the storage quota. A refusal creates nothing. Organizers may submit to "
        "any phase of their competition, at any time.",
        request={"multipart/form-data": SubmissionCreateSerializer},
        responses={201: SubmissionSerializer},
        examples=[
            ex.request(
                {"phase": 1, "upload": ex.UPLOAD_ID},
                "Upload",
                summary="A completed upload (POST /api/uploads/)",
                media_type="multipart/form-data",
            ),
            ex.request(
                {"phase": 1, "organization": 1, "fact_sheet_answers": ex.FACT_SHEET_ANSWERS},
                "File",
                summary="The zip in the `file` part, for the team, with fact sheet answers",
                media_type="multipart/form-data",
            ),
            ex.response(ex.NEW_SUBMISSION),
        ],
    ),
    retrieve=extend_schema(
        summary="Read a submission",
        description="One submission's status and settings. Fact sheet answers are shown to "
        "its owner and the organizers only.",
        examples=[ex.response(ex.SUBMISSION)],
    ),
    update=extend_schema(
        summary="Update a submission",
        description="Changes what is not the server's: `is_public` (its owner only, where the "
        "competition allows public submissions) and `fact_sheet_answers` (its owner or the "
        "organizers; checked against the fact sheet). Any other field sent is ignored.",
        request=SubmissionUpdateSerializer,
        responses=SubmissionSerializer,
        examples=[
            ex.request({"is_public": True, "fact_sheet_answers": ex.FACT_SHEET_ANSWERS}),
            ex.response(PUBLIC),
        ],
    ),
    partial_update=extend_schema(
        summary="Partially update a submission",
        description="Changes the given fields among `is_public` and `fact_sheet_answers`, "
        "with the same rules as a full update.",
        request=SubmissionUpdateSerializer,
        responses=SubmissionSerializer,
        examples=[ex.request({"is_public": True}), ex.response(PUBLIC)],
    ),
    destroy=extend_schema(
        summary="Delete a submission",
        description="Deletes a submission with its tasks, scores and history, and the files "
        "(upload, outputs, logs) that nothing else uses. Its owner or the organizers. 409 "
        "while it has not ended (cancel it first), and for one task of a multi-task "
        "submission (delete the submission).",
    ),
)
class SubmissionViewSet(viewsets.ModelViewSet[Submission]):
    serializer_class = SubmissionSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet[Submission]:
        user = self.request.user
        queryset: QuerySet[Submission] = Submission.objects.visible_to(user)
        if self.action == "list":
            queryset = self._filtered(queryset.filter(parent__isnull=True))
        changeable = Submission.objects.changeable_by(user).filter(pk=OuterRef("pk"))
        return (
            queryset.annotate(caller_may_change=Exists(changeable))
            .select_related("owner", "phase__competition", "phase__leaderboard", "parent")
            .prefetch_related("children")
            .order_by("-created_at", "-pk")
        )

    def _filtered(self, queryset: QuerySet[Submission]) -> QuerySet[Submission]:
        chosen = api.query_filters(self.request, SubmissionFilterSerializer)
        queryset = api.filter_by(queryset, chosen, {"phase": "phase_id", "status": "status"})
        if chosen.get("mine"):
            user = self.request.user
            queryset = queryset.filter(owner=user) if user.is_authenticated else queryset.none()
        return queryset

    def check_object_permissions(self, request: Request, obj: Any) -> None:
        super().check_object_permissions(request, obj)
        if self.action in CHANGES:
            allowed = Submission.objects.changeable_by(request.user)
            message = "only its owner or the organizers of its competition may do this"
        elif self.action == "re_run_submission":
            allowed = Submission.objects.organized_by(request.user)
            message = "only the organizers of its competition may re-run a submission"
        elif self.action == "metrics":
            allowed = Submission.objects.organized_by(request.user)
            message = "only the organizers of its competition may post its metrics"
        else:
            return
        if not allowed.filter(pk=obj.pk).exists():
            self.permission_denied(request, message=message)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        upload = SubmissionCreateSerializer(data=request.data, context={"request": request})
        upload.is_valid(raise_exception=True)
        fields = upload.validated_data
        common = {
            "user": caller(request),
            "phase": fields["phase"],
            "name": upload.upload_name(),
            "organization": fields.get("organization"),
            "fact_sheet_answers": fields.get("fact_sheet_answers"),
        }
        with refusals():
            if "upload" in fields:
                # The upload is taken in the submission's transaction: a refused
                # submission leaves it complete, for the next try.
                with transaction.atomic():
                    data = uploads.take(fields["upload"])
                    submission = services.create_submission(data=data, **common)
            else:
                submission = services.create_submission(
                    stream=cast(BinaryIO, fields["file"]), **common
                )
        return api.rendered(self, submission, status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        submission = self.get_object()
        changes = SubmissionUpdateSerializer(data=request.data)
        changes.is_valid(raise_exception=True)
        with refusals():
            updated = lifecycle.update(
                submission, by=caller(request), changes=dict(changes.validated_data)
            )
        return api.rendered(self, updated)

    def perform_destroy(self, instance: Submission) -> None:
        with refusals():
            lifecycle.delete(instance, by=caller(self.request))

    @extend_schema(
        summary="Cancel a submission",
        description="Cancels a submission that has not ended, with all its tasks (a task "
        "stands for its whole submission). A job still waiting in the queue is cancelled too: "
        "the worker that takes it is told at its first heartbeat, and what it reports changes "
        "nothing. Its owner or the organizers. Cancelling a cancelled submission changes "
        "nothing; 409 for one that has finished or failed. GET is kept for Codabench's "
        "scripts; prefer POST. Returns the submission.",
        request=None,
        responses=SubmissionSerializer,
        examples=[ex.response(CANCELLED)],
    )
    @action(detail=True, methods=["get", "post"], permission_classes=[permissions.IsAuthenticated])
    def cancel_submission(self, request: Request, pk: str | None = None) -> Response:
        submission = self.get_object()
        with refusals():
            cancelled = lifecycle.cancel(submission, by=caller(request))
        return api.rendered(self, cancelled)

    @extend_schema(
        summary="Get a submission's detailed results",
        description="A signed URL of the detailed_results.html its scoring program wrote. "
        "Organizers always; its owner where the competition shows detailed results and the "
        "phase does not hide output; others who may see the submission where the competition "
        "also shows detailed results on its leaderboard (403 otherwise, saying why). 404 when "
        "there are none.",
        responses=DetailedResultSerializer,
        examples=[ex.response(ex.DETAILED_RESULT)],
    )
    @action(detail=True, methods=["get"])
    def get_detail_result(self, request: Request, pk: str | None = None) -> Response:
        submission = self.get_object()
        with refusals():
            data = lifecycle.detailed_result(submission, request.user)
        body = {"url": signed_url(data), "name": data.name, "size": data.size}
        return Response(DetailedResultSerializer(body).data)

    @extend_schema(
        summary="Get a submission's details",
        description="Status and status history, the end of the logs, run measurements, scores "
        "by column key (hidden columns for organizers only), the tasks of a multi-task "
        "submission, and signed download URLs: the uploaded file for its owner and the "
        "organizers; predictions, scoring output, detailed results and logs for its owner "
        "unless the phase hides them (`hide_output`, `hide_prediction_output`, "
        "`hide_score_output`); everything for organizers and platform admins.",
        responses=SubmissionDetailsSerializer,
        examples=[ex.response(ex.SUBMISSION_DETAILS)],
    )
    @action(detail=True, methods=["get"])
    def get_details(self, request: Request, pk: str | None = None) -> Response:
        submission = self.get_object()
        return Response(
            SubmissionDetailsSerializer(lifecycle.details(submission, request.user)).data
        )

    @extend_schema(
        summary="Re-run a submission",
        description="Runs the same file again as a new submission of the same owner on the "
        "same phase (with the phase's tasks as they are now), past the participant's limits, "
        "and queues it. Organizers of the competition and platform admins only. 409 for a "
        "submission that has not ended. Returns the new submission.",
        request=None,
        responses={201: SubmissionSerializer},
        examples=[
            ex.response({**ex.NEW_SUBMISSION, "status_detail": "re-run of submission 3 by olivia"})
        ],
    )
    @action(detail=True, methods=["post"])
    def re_run_submission(self, request: Request, pk: str | None = None) -> Response:
        submission = self.get_object()
        with refusals():
            again = lifecycle.re_run(submission, by=caller(request))
        return api.rendered(self, again, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Make a submission public or private",
        description="Flips `is_public`: a public submission is seen by everyone who may see "
        "its competition. Its owner only, and making it public only where the competition "
        "allows it (403 otherwise). GET is kept for Codabench's scripts; prefer POST. Returns "
        "the submission.",
        request=None,
        responses=SubmissionSerializer,
        examples=[ex.response(PUBLIC, summary="Now public")],
    )
    @action(detail=True, methods=["get", "post"], permission_classes=[permissions.IsAuthenticated])
    def toggle_public(self, request: Request, pk: str | None = None) -> Response:
        submission = self.get_object()
        with refusals():
            toggled = lifecycle.set_public(
                submission, by=caller(request), is_public=not submission.is_public
            )
        return api.rendered(self, toggled)

    @extend_schema(
        summary="Update a submission's fact sheet",
        description="Replaces the fact sheet answers (the body is the JSON object of question "
        "key to answer), checked against the competition's questions: 400 names each problem. "
        "Its owner or the organizers. Returns the submission.",
        request={"application/json": OpenApiTypes.OBJECT},
        responses=SubmissionSerializer,
        examples=[ex.request(ex.FACT_SHEET_ANSWERS), ex.response(ex.SUBMISSION)],
    )
    @action(detail=True, methods=["patch"], parser_classes=[JSONParser])
    def update_fact_sheet(self, request: Request, pk: str | None = None) -> Response:
        submission = self.get_object()
        with refusals():
            updated = lifecycle.update_fact_sheet(submission, answers=request.data)
        return api.rendered(self, updated)

    @extend_schema(
        summary="Post custom metrics for a submission",
        description="Adds complexity metrics the platform does not measure (FLOPs, "
        "parameters, energy...) as a JSON object of name to finite number; names are 1 to "
        "64 letters, digits, '_', '.' and '-'. They are kept with the submission (a name "
        "posted again is replaced) and fill the leaderboard columns keyed "
        "`podium:custom.<name>` of its phase's leaderboard, now and when it finishes; the "
        "computed columns follow. Organizers of the competition and platform admins only; "
        "audited. 400 names each bad name or value and changes nothing.",
        request={"application/json": OpenApiTypes.OBJECT},
        responses=CustomMetricsSerializer,
        examples=[
            ex.request({"flops": 1_200_000, "parameters": 3_210}),
            ex.response(ex.CUSTOM_METRICS),
        ],
    )
    @action(detail=True, methods=["post"], parser_classes=[JSONParser])
    def metrics(self, request: Request, pk: str | None = None) -> Response:
        submission = self.get_object()
        with refusals():
            custom, scores = scoring.set_custom_metrics(
                submission, by=caller(request), values=request.data
            )
        body = {"submission": submission.pk, "custom": custom, "scores": scores}
        return Response(CustomMetricsSerializer(body).data)


class RawBodyParser(BaseParser):
    """Hands the request's body stream to the view unread, so that an upload is copied in
    chunks rather than held in memory."""

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Any = None,
    ) -> Any:
        return stream


class ZipBodyParser(RawBodyParser):
    media_type = "application/zip"


class HtmlBodyParser(RawBodyParser):
    media_type = "text/html"


class WorkerViewSet(viewsets.GenericViewSet[Submission]):
    """No user session or token here: the job's secret, sent in a header, is the only key,
    and a wrong one reads exactly like a missing submission."""

    queryset = Submission.objects.all()
    authentication_classes: list[type] = []
    permission_classes = [permissions.AllowAny]

    def _job(self, request: Request, pk: str | None) -> Submission:
        submission = Submission.objects.filter(pk=int(pk)).first() if pk and pk.isdigit() else None
        if submission is None:
            raise NotFound()
        try:
            reports.authenticate(submission, request.headers.get(SECRET_HEADER, ""))
        except reports.ReportRefused:
            raise NotFound() from None
        return submission

    def _receive(self, request: Request, pk: str | None, *, final: bool) -> Response:
        submission = self._job(request, pk)
        body = WorkerReportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        status = Status(body.validated_data["status"])
        if final != (status in TERMINAL):
            expected = "a final status" if final else "preparing, running or scoring"
            return Response({"status": [f"expected {expected}"]}, status=400)
        receipt = reports.receive(
            submission,
            reports.Report(
                attempt=body.validated_data["attempt"],
                status=status,
                detail=body.validated_data["detail"],
                log_tail=body.validated_data["log_tail"],
                scores=body.validated_data["scores"],
                metrics=body.validated_data["metrics"],
                run=body.validated_data["run"],
            ),
        )
        accepted = receipt is reports.Receipt.ACCEPTED
        if final:
            return Response({"accepted": accepted})
        cancelled = lifecycle.is_cancelled(submission)
        stop = cancelled or receipt in (reports.Receipt.ENDED, reports.Receipt.SUPERSEDED)
        return Response({"accepted": accepted, "cancelled": cancelled, "stop": stop})

    @extend_schema(
        summary="Worker heartbeat",
        description="A running job's worker says it is alive, where the job is and the end "
        "of its logs; this extends the job's lease. Stale heartbeats (an older attempt, a "
        "finished job, a status behind the current one) change nothing. The reply says "
        "whether the submission was cancelled, so that the worker stops the job.",
        parameters=[SECRET_PARAMETER],
        request=WorkerReportSerializer,
        responses=WorkerReplySerializer,
        examples=[
            ex.request(ex.WORKER_HEARTBEAT),
            ex.response({"accepted": True, "cancelled": False, "stop": False}),
        ],
    )
    @action(detail=True, methods=["post"])
    def heartbeat(self, request: Request, pk: str | None = None) -> Response:
        return self._receive(request, pk, final=False)

    @extend_schema(
        summary="Worker final report",
        description="The job's outcome: finished with its scores and measurements, or failed "
        "or cancelled with a reason. Idempotent: the same report twice, or a report of an "
        "older attempt, changes nothing; a finished job has exactly one score per column.",
        parameters=[SECRET_PARAMETER],
        request=WorkerReportSerializer,
        responses=WorkerReplySerializer,
        examples=[ex.request(ex.WORKER_REPORT), ex.response({"accepted": True})],
    )
    @action(detail=True, methods=["post"])
    def report(self, request: Request, pk: str | None = None) -> Response:
        return self._receive(request, pk, final=True)

    @extend_schema(
        summary="Worker output upload",
        description="One output of the job, as the raw body: `detailed_results` is the "
        "scoring program's detailed_results.html (text/html), the others are zip archives "
        "(application/zip) of a folder. Sent before the final report. An upload for an older "
        "attempt, or for a submission that has ended, is answered `accepted: false` and "
        "stored nowhere; a second upload of the same kind for the same attempt replaces the "
        "first. 413 past PODIUM_SUBMISSION_MAX_BYTES, 400 for a zip kind that is not a zip.",
        parameters=[SECRET_PARAMETER, ATTEMPT_PARAMETER, KIND_PARAMETER],
        request={
            "application/zip": OpenApiTypes.BINARY,
            "text/html": OpenApiTypes.BINARY,
        },
        responses=WorkerReplySerializer,
        examples=[ex.response({"accepted": True})],
    )
    @action(
        detail=True,
        methods=["put"],
        url_path=r"outputs/(?P<kind>[a-z_]+)",
        parser_classes=[ZipBodyParser, HtmlBodyParser],
    )
    def outputs(self, request: Request, pk: str | None = None, kind: str = "") -> Response:
        submission = self._job(request, pk)
        try:
            output = Output(kind)
        except ValueError:
            raise NotFound(f"no output called {kind!r}") from None
        attempt = request.headers.get(ATTEMPT_HEADER, "")
        if not attempt.isdigit():
            raise serializers.ValidationError({ATTEMPT_HEADER: ["expected the job's attempt"]})
        expected = "text/html" if output is Output.DETAILED_RESULTS else "application/zip"
        if request.content_type.split(";")[0].strip().lower() != expected:
            raise UnsupportedMediaType(request.content_type, f"{kind} is sent as {expected}")
        # The parser handed over the body's stream; an empty body has none.
        body = cast(BinaryIO, request.data if hasattr(request.data, "read") else io.BytesIO())
        length = request.headers.get("Content-Length", "")
        try:
            accepted = lifecycle.receive_output(
                submission=submission,
                kind=output,
                attempt=int(attempt),
                body=body,
                declared_size=int(length) if length.isdigit() else None,
            )
        except lifecycle.OutputTooLarge as exc:
            raise api.TooLarge(str(exc)) from None
        except lifecycle.OutputRefused as exc:
            raise api.Refused(str(exc)) from None
        return Response({"accepted": accepted})


def register(router: BaseRouter) -> None:
    router.register("submissions", SubmissionViewSet, basename="submission")
    router.register("worker/submissions", WorkerViewSet, basename="worker-submission")
    score_api.register(router)
