"""The endpoints compute workers call, authenticated by the job's secret alone."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from podium.submissions import reports
from podium.submissions.models import Submission
from podium.submissions.serializers import WorkerReplySerializer, WorkerReportSerializer
from podium_worker.protocol import SECRET_HEADER, TERMINAL, Status

SECRET_PARAMETER = OpenApiParameter(
    SECRET_HEADER, str, OpenApiParameter.HEADER, required=True, description="The job's secret."
)


class WorkerViewSet(viewsets.GenericViewSet[Submission]):
    """No user session or token here: the job's secret, sent in a header, is the only key,
    and a wrong one reads exactly like a missing submission."""

    queryset = Submission.objects.all()
    authentication_classes: list[type] = []
    permission_classes = [permissions.AllowAny]

    def _receive(self, request: Request, pk: str | None, *, final: bool) -> Response:
        submission = Submission.objects.filter(pk=int(pk)).first() if pk and pk.isdigit() else None
        if submission is None:
            raise NotFound()
        try:
            reports.authenticate(submission, request.headers.get(SECRET_HEADER, ""))
        except reports.ReportRefused:
            raise NotFound() from None
        body = WorkerReportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        status = Status(body.validated_data["status"])
        if final != (status in TERMINAL):
            expected = "a final status" if final else "preparing, running or scoring"
            return Response({"status": [f"expected {expected}"]}, status=400)
        accepted = reports.receive(
            submission,
            reports.Report(
                attempt=body.validated_data["attempt"],
                status=status,
                detail=body.validated_data["detail"],
                log_tail=body.validated_data["log_tail"],
                scores=body.validated_data["scores"],
                metrics=body.validated_data["metrics"],
            ),
        )
        return Response({"accepted": accepted})

    @extend_schema(
        summary="Worker heartbeat",
        description="A running job's worker says it is alive, where the job is and the end "
        "of its logs; this extends the job's lease. Stale heartbeats (an older attempt, a "
        "finished job, a status behind the current one) change nothing.",
        parameters=[SECRET_PARAMETER],
        request=WorkerReportSerializer,
        responses=WorkerReplySerializer,
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
    )
    @action(detail=True, methods=["post"])
    def report(self, request: Request, pk: str | None = None) -> Response:
        return self._receive(request, pk, final=True)


def register(router: BaseRouter) -> None:
    router.register("worker/submissions", WorkerViewSet, basename="worker-submission")
