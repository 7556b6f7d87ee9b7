"""The competitions API: competitions, phases and tasks.

Who may do what lives on the models' querysets, and only there: a row the caller may not
see (`visible_to`) is 404 for every method, and a row the caller may see but not change
(`organized_by`, `owned_by`) is 403 (HOSTILE C22, C23).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import FileResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from podium.bundles.export import bundle_file_name, export_to_temporary_file
from podium.bundles.problems import BundleInvalid
from podium.bundles.services import import_bundle
from podium.competitions import services
from podium.competitions.models import Competition, Page, Phase, PhaseTask, Task
from podium.competitions.serializers import (
    BundleUploadSerializer,
    CompetitionSerializer,
    CompetitionSummarySerializer,
    FrontPageSerializer,
    PhaseSerializer,
    TaskSerializer,
)
from podium.core import api
from podium.core import examples as ex
from podium.core.api import InUse, caller, query_id
from podium.leaderboards.models import Leaderboard
from podium.participation import services as participation
from podium.participation.models import Participant
from podium.participation.serializers import ParticipantSerializer
from podium.submissions import lifecycle, phase_migration
from podium.submissions.models import Submission
from podium.submissions.serializers import MigrationSerializer, RerunCountSerializer
from podium.submissions.services import SubmissionRefused

FRONT_PAGE_SIZE = 6
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._ -]{0,99}")


def upload_name(name: str | None) -> str:
    """The last part of a client's file name, if it is a plain one; "bundle.zip" otherwise."""
    base = PurePosixPath((name or "").replace("\\", "/")).name
    return base if SAFE_NAME.fullmatch(base) else "bundle.zip"


def competition_id_parameter(what: str) -> OpenApiParameter:
    return OpenApiParameter("competition", int, description=f"Only the {what} of this competition.")


PHASE_STATUS_PARAMETER = OpenApiParameter(
    "status",
    str,
    enum=[choice.value for choice in Phase.Status],
    description="Only the phases with this status now: previous (ended), current (open) or "
    "next (not started).",
)


# What an imported bundle made (podium.bundles.services.ImportResult.as_json).
BUNDLE_IMPORT = inline_serializer(
    "BundleImport",
    {
        "competition": serializers.IntegerField(help_text="The new competition's id."),
        "title": serializers.CharField(),
        "phases": inline_serializer(
            "BundlePhase",
            {
                "id": serializers.IntegerField(),
                "name": serializers.CharField(),
                "tasks": serializers.ListField(child=serializers.IntegerField()),
            },
            many=True,
        ),
        "tasks": inline_serializer(
            "BundleTask",
            {"id": serializers.IntegerField(), "name": serializers.CharField()},
            many=True,
        ),
        "leaderboards": inline_serializer(
            "BundleLeaderboard",
            {
                "key": serializers.CharField(),
                "columns": serializers.ListField(child=serializers.CharField()),
            },
            many=True,
        ),
        "solutions": serializers.IntegerField(
            help_text="Solutions of its tasks, each run as a baseline."
        ),
        "warnings": serializers.ListField(child=serializers.CharField()),
    },
)


def mine_filter(request: Request) -> bool:
    """`?mine=true`: only the caller's own competitions. Anonymous callers have none."""
    raw = request.query_params.get("mine")
    if raw is None:
        return False
    value = raw.strip().lower()
    if value not in ("true", "false", "1", "0"):
        raise serializers.ValidationError({"mine": ["expected true or false"]})
    if value in ("true", "1") and not request.user.is_authenticated:
        raise NotAuthenticated("log in to list your own competitions")
    return value in ("true", "1")


def status_filter(request: Request) -> str | None:
    raw = request.query_params.get("status")
    if raw is None:
        return None
    try:
        return Phase.Status(raw).value
    except ValueError:
        choices = ", ".join(choice.value for choice in Phase.Status)
        raise serializers.ValidationError({"status": [f"expected one of: {choices}"]}) from None


@extend_schema_view(
    list=extend_schema(
        summary="List competitions",
        description="Competitions the caller may see, newest first: every published one, and "
        "the unpublished ones the caller organizes (all of them for platform admins). With "
        "`mine=true`, only the ones the caller organizes or has registered in (any status).",
        parameters=[
            OpenApiParameter(
                "mine",
                OpenApiTypes.BOOL,
                description="Only competitions the caller organizes or has registered in.",
            )
        ],
        examples=[ex.response(ex.COMPETITION_SUMMARY)],
    ),
    create=extend_schema(
        summary="Create a competition",
        description="Creates an unpublished competition owned by the caller. Server-owned "
        "fields (id, key, owner, published, dates, bundle, logo) are ignored. `pages`, when "
        "given, lists the competition's pages.",
        examples=[ex.request(ex.NEW_COMPETITION_SETTINGS), ex.response(ex.NEW_COMPETITION)],
    ),
    retrieve=extend_schema(
        summary="Read a competition",
        description="One competition with its pages and summaries of its phases and "
        "leaderboards. Hidden leaderboards are listed for organizers only. An unpublished "
        "competition is not found for anyone but its organizers.",
        examples=[ex.response(ex.COMPETITION)],
    ),
    update=extend_schema(
        summary="Update a competition",
        description="Replaces the competition's settings. Organizers (owner, collaborators) "
        "only. `pages`, when given, replaces every page. Publishing goes through "
        "toggle_publish.",
        examples=[ex.request(ex.COMPETITION_SETTINGS), ex.response(ex.COMPETITION)],
    ),
    partial_update=extend_schema(
        summary="Partially update a competition",
        description="Changes the given settings only. Organizers (owner, collaborators) only.",
        examples=[
            ex.request({"reward": "A talk at the workshop and a year of cloud credits"}),
            ex.response(
                {**ex.COMPETITION, "reward": "A talk at the workshop and a year of cloud credits"}
            ),
        ],
    ),
    destroy=extend_schema(
        summary="Delete a competition",
        description="Deletes the competition with its pages, phases, leaderboards, "
        "registrations and submissions. The owner and platform admins only; collaborators "
        "may not. Tasks and data files stay with their owners.",
    ),
)
class CompetitionViewSet(viewsets.ModelViewSet[Competition]):
    def get_queryset(self) -> QuerySet[Competition]:
        user = self.request.user
        queryset = Competition.objects.visible_to(user).select_related("created_by")
        if self.action == "list":
            if mine_filter(self.request):
                # The caller's own, even for platform admins, who may see every competition.
                me = caller(self.request)  # mine_filter turned anonymous callers away
                own = Competition.objects.filter(Q(created_by=me) | Q(collaborators=me))
                registered = Participant.objects.filter(user=me).values("competition")
                queryset = queryset.filter(Q(pk__in=own.values("pk")) | Q(pk__in=registered))
            return queryset.order_by("-created_at", "-pk")
        organized = Competition.objects.organized_by(user).filter(pk=OuterRef("pk"))
        return queryset.annotate(caller_organizes=Exists(organized)).prefetch_related(
            "collaborators",
            Prefetch("pages", Page.objects.order_by("index", "pk")),
            Prefetch("phases", Phase.objects.order_by("index", "pk")),
            Prefetch("leaderboards", Leaderboard.objects.order_by("index", "pk")),
        )

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        if self.action in ("list", "public"):
            return CompetitionSummarySerializer
        return CompetitionSerializer

    def check_object_permissions(self, request: Request, obj: Any) -> None:
        super().check_object_permissions(request, obj)
        if self.action == "register" or (
            request.method in permissions.SAFE_METHODS and self.action != "export_bundle"
        ):
            return
        if self.action == "destroy":
            allowed, message = Competition.objects.owned_by(request.user), "only its owner"
        else:
            allowed, message = Competition.objects.organized_by(request.user), "only organizers"
        if not allowed.filter(pk=obj.pk).exists():
            self.permission_denied(request, message=f"{message} may do this to a competition")

    def perform_create(self, serializer: serializers.BaseSerializer[Competition]) -> None:
        serializer.save(created_by=caller(self.request))

    def perform_destroy(self, instance: Competition) -> None:
        services.delete_competition(instance, by=caller(self.request))

    @extend_schema(
        summary="Publish or unpublish a competition",
        description="Flips the published flag: a published competition is visible to everyone "
        "and takes registrations. Organizers only. Returns the competition.",
        request=None,
        responses=CompetitionSerializer,
        examples=[ex.response({**ex.COMPETITION, "published": False}, summary="Unpublished")],
    )
    @action(detail=True, methods=["post"])
    def toggle_publish(self, request: Request, pk: str | None = None) -> Response:
        competition = services.toggle_publish(self.get_object(), by=caller(request))
        return api.rendered(self, competition)

    @extend_schema(
        summary="Export a competition as a bundle",
        description="A zip in the bundle format (competition.yaml with its pages, phases, "
        "tasks, data files and leaderboards) that upload_bundle, here or on another Podium, "
        "imports as a new competition. Submissions and participants are not included. "
        "A competition still missing what a bundle requires (a logo, terms, a task in every "
        "phase, a leaderboard) is exported as it is, and must be completed before it "
        "imports. Organizers only.",
        responses={
            (200, "application/zip"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The bundle, as an attachment."
            )
        },
    )
    @action(detail=True, methods=["get"], permission_classes=[permissions.IsAuthenticated])
    def export_bundle(self, request: Request, pk: str | None = None) -> FileResponse:
        competition = self.get_object()
        archive = export_to_temporary_file(competition)
        name = bundle_file_name(competition)
        return FileResponse(
            archive, as_attachment=True, filename=name, content_type="application/zip"
        )

    @extend_schema(
        summary="List published competitions",
        description="Published competitions only, newest first, whoever asks (organizers' "
        "unpublished drafts are not included).",
        responses=CompetitionSummarySerializer(many=True),
        examples=[ex.response(ex.COMPETITION_SUMMARY)],
    )
    @action(detail=False, methods=["get"])
    def public(self, request: Request) -> Response:
        published = Competition.objects.visible_to(AnonymousUser()).select_related("created_by")
        page = self.paginate_queryset(published.order_by("-created_at", "-pk"))
        data = CompetitionSummarySerializer(page, many=True).data
        return self.get_paginated_response(data)

    @extend_schema(
        summary="The front page",
        description=f"The {FRONT_PAGE_SIZE} newest published competitions, and how many "
        "published competitions, approved participants and submissions to them there are.",
        responses=FrontPageSerializer,
        examples=[ex.response(ex.FRONT_PAGE)],
    )
    @action(detail=False, methods=["get"])
    def front_page(self, request: Request) -> Response:
        published = Competition.objects.visible_to(AnonymousUser())
        recent = published.select_related("created_by").order_by("-created_at", "-pk")
        counts = {
            "competitions": published.count(),
            "participants": Participant.objects.filter(
                competition__in=published, status=Participant.Status.APPROVED
            ).count(),
            "submissions": Submission.objects.filter(
                phase__competition__in=published, parent__isnull=True
            ).count(),
        }
        front = {"competitions": recent[:FRONT_PAGE_SIZE], "counts": counts}
        return Response(FrontPageSerializer(front).data)

    @extend_schema(
        summary="Register for a competition",
        description="Registers the caller: approved at once when the competition approves "
        "registrations automatically, pending otherwise. Registering again returns the "
        "existing registration; a denied one applies again. 400 when registration is refused "
        "(a revoked participant), with the reason.",
        request=None,
        responses=ParticipantSerializer,
        examples=[ex.response(ex.REGISTERED, summary="Pending the organizers' approval")],
    )
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def register(self, request: Request, pk: str | None = None) -> Response:
        competition = self.get_object()
        try:
            participant = participation.register(user=caller(request), competition=competition)
        except participation.RegistrationError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(ParticipantSerializer(participant).data)

    @extend_schema(
        summary="Create a competition from a bundle",
        description="Imports a competition bundle (a zip with competition.yaml at its root, "
        "Codabench format version 2 or CodaLab 1.5) as a new unpublished competition owned "
        "by the caller. All or nothing: 400 lists every problem, each with its key path "
        "(`phases[0].tasks: ...`), and saves nothing.",
        request={"multipart/form-data": BundleUploadSerializer},
        responses={
            201: OpenApiResponse(
                BUNDLE_IMPORT,
                description="The new competition's id and title, its phases, tasks and "
                "leaderboards, and the importer's warnings.",
            ),
            400: inline_serializer(
                "BundleProblems",
                {
                    "errors": serializers.ListField(child=serializers.CharField()),
                    "warnings": serializers.ListField(child=serializers.CharField()),
                },
            ),
        },
        examples=[ex.response(ex.BUNDLE_IMPORT, status=201)],
    )
    @action(
        detail=False,
        methods=["post"],
        parser_classes=[MultiPartParser],
        permission_classes=[permissions.IsAuthenticated],
    )
    def upload_bundle(self, request: Request) -> Response:
        upload = BundleUploadSerializer(data=request.data)
        if not upload.is_valid():
            # The same shape as the importer's problems, so a client reads one kind of 400.
            errors = [
                f"{field}: {message}"
                for field, messages in upload.errors.items()
                for message in messages
            ]
            return Response({"errors": errors, "warnings": []}, status.HTTP_400_BAD_REQUEST)
        owner = caller(request)
        file = upload.validated_data["file"]
        # The importer reads a path; the upload is copied in chunks so that memory stays
        # flat whatever its size, and the copy goes whatever happens. The copy keeps the
        # uploaded name (made safe), which the stored bundle and error messages show.
        with tempfile.TemporaryDirectory(prefix="podium-upload-") as folder:
            source = Path(folder) / upload_name(file.name)
            with source.open("wb") as copy:
                for chunk in file.chunks():
                    copy.write(chunk)
            try:
                result = import_bundle(source=source, owner=owner)
            except BundleInvalid as exc:
                problems = {"errors": exc.errors, "warnings": exc.warnings}
                return Response(problems, status=status.HTTP_400_BAD_REQUEST)
        return Response(result.as_json(), status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary="List phases",
        description="Phases of the competitions the caller may see, by competition and index.",
        parameters=[competition_id_parameter("phases"), PHASE_STATUS_PARAMETER],
        examples=[ex.response(ex.PHASE)],
    ),
    create=extend_schema(
        summary="Create a phase",
        description="Adds a phase to a competition the caller organizes (403 otherwise). The "
        "phase must end after it starts; its tasks must be tasks the caller may see, listed "
        "in order.",
        examples=[ex.request(ex.PHASE_SETTINGS), ex.response(ex.PHASE)],
    ),
    retrieve=extend_schema(
        summary="Read a phase",
        description="One phase with its dates, status, limits and tasks (ids, in order).",
        examples=[ex.response(ex.PHASE)],
    ),
    update=extend_schema(
        summary="Update a phase",
        description="Replaces the phase's settings; `tasks`, when given, replaces its tasks. "
        "Organizers of its competition only. A phase cannot move to another competition.",
        examples=[ex.request(ex.PHASE_SETTINGS), ex.response(ex.PHASE)],
    ),
    partial_update=extend_schema(
        summary="Partially update a phase",
        description="Changes the given settings only. Organizers of its competition only.",
        examples=[
            ex.request({"end": "2025-04-07T23:59:59Z"}, summary="A week longer"),
            ex.response({**ex.PHASE, "end": "2025-04-07T23:59:59Z"}),
        ],
    ),
    destroy=extend_schema(
        summary="Delete a phase",
        description="Deletes the phase and its submissions. Organizers of its competition only.",
    ),
)
class PhaseViewSet(viewsets.ModelViewSet[Phase]):
    serializer_class = PhaseSerializer

    def get_queryset(self) -> QuerySet[Phase]:
        visible = Competition.objects.visible_to(self.request.user)
        queryset = Phase.objects.filter(competition__in=visible)
        competition = query_id(self.request, "competition")
        if competition is not None:
            queryset = queryset.filter(competition_id=competition)
        if self.action == "list":
            now = timezone.now()
            queryset = queryset.with_status(now)
            chosen = status_filter(self.request)
            if chosen is not None:
                queryset = queryset.in_status(chosen, now)
        return queryset.prefetch_related(
            Prefetch("phase_tasks", PhaseTask.objects.order_by("index", "pk"))
        ).order_by("competition_id", "index", "pk")

    def check_object_permissions(self, request: Request, obj: Any) -> None:
        super().check_object_permissions(request, obj)
        rerun = self.action == "rerun_submissions"
        if request.method in permissions.SAFE_METHODS and not rerun:
            return
        organized = Competition.objects.organized_by(request.user)
        if not organized.filter(pk=obj.competition_id).exists():
            what = {
                "rerun_submissions": "re-run its submissions",
                "manually_migrate": "migrate its submissions",
            }.get(self.action or "", "change its phases")
            self.permission_denied(
                request, message=f"only the organizers of this competition may {what}"
            )

    def perform_destroy(self, instance: Phase) -> None:
        services.delete_phase(instance, by=caller(self.request))

    @extend_schema(
        summary="Re-run a phase's submissions",
        description="Runs every finished or failed submission of the phase again, each as a "
        "new submission of its owner, past participant limits, and queues them; cancelled "
        "ones stay as they are. Organizers of the competition only. 400 when the phase has "
        "no tasks. GET is kept for Codabench's scripts; prefer POST. Returns how many were "
        "queued.",
        request=None,
        responses=RerunCountSerializer,
        examples=[ex.response({"count": 2})],
    )
    @action(detail=True, methods=["get", "post"], permission_classes=[permissions.IsAuthenticated])
    def rerun_submissions(self, request: Request, pk: str | None = None) -> Response:
        phase = self.get_object()
        try:
            count = lifecycle.re_run_phase(phase, by=caller(request))
        except SubmissionRefused as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(RerunCountSerializer({"count": count}).data)

    @extend_schema(
        summary="Migrate a phase's submissions to the next phase",
        description="Runs each participant's entries of this phase (their submissions on "
        "its leaderboard, or their latest finished one if none is; baselines excepted) on "
        "the tasks of the phase after it, as new submissions of their owners past "
        "participant limits, and queues them. That phase needs no "
        "`auto_migrate_to_this_phase`; it is marked migrated, so the scheduler does not "
        "migrate it again. Each call migrates again. Organizers of the competition only; "
        "audited. 400 for the last phase, or when the next phase has no tasks. Returns the "
        "next phase's id and how many were queued.",
        request=None,
        responses=MigrationSerializer,
        examples=[ex.response({"phase": 2, "count": 2})],
    )
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def manually_migrate(self, request: Request, pk: str | None = None) -> Response:
        phase = self.get_object()
        try:
            target, count = phase_migration.migrate_from(phase, by=caller(request))
        except SubmissionRefused as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(MigrationSerializer({"phase": target.pk, "count": count}).data)


@extend_schema_view(
    list=extend_schema(
        summary="List tasks",
        description="Tasks the caller may see: public ones, their own, and the tasks of the "
        "competitions they organize.",
        examples=[ex.response(ex.TASK)],
    ),
    create=extend_schema(
        summary="Create a task",
        description="Creates a task owned by the caller. Its scoring program (required), "
        "ingestion program, input data and reference data are ids of data files the caller "
        "owns or that are public, each of the matching kind.",
        examples=[ex.request(ex.TASK_SETTINGS), ex.response(ex.TASK)],
    ),
    retrieve=extend_schema(
        summary="Read a task",
        description="One task and its file ids.",
        examples=[ex.response(ex.TASK)],
    ),
    update=extend_schema(
        summary="Update a task",
        description="Replaces the task's settings. Its creator and platform admins only.",
        examples=[ex.request(ex.TASK_SETTINGS), ex.response(ex.TASK)],
    ),
    partial_update=extend_schema(
        summary="Partially update a task",
        description="Changes the given settings only. Its creator and platform admins only.",
        examples=[
            ex.request({"is_public": True}, summary="Share it with other organizers"),
            ex.response({**ex.TASK, "is_public": True}),
        ],
    ),
    destroy=extend_schema(
        summary="Delete a task",
        description="Deletes a task that no phase or submission uses (409 otherwise). Its "
        "creator and platform admins only.",
    ),
)
class TaskViewSet(viewsets.ModelViewSet[Task]):
    serializer_class = TaskSerializer

    def get_queryset(self) -> QuerySet[Task]:
        visible = Task.objects.visible_to(self.request.user)
        return visible.select_related("created_by").order_by("pk")

    def check_object_permissions(self, request: Request, obj: Any) -> None:
        super().check_object_permissions(request, obj)
        if request.method in permissions.SAFE_METHODS:
            return
        if not Task.objects.owned_by(request.user).filter(pk=obj.pk).exists():
            self.permission_denied(request, message="only its creator may change a task")

    def perform_create(self, serializer: serializers.BaseSerializer[Task]) -> None:
        serializer.save(created_by=caller(self.request))

    def perform_destroy(self, instance: Task) -> None:
        try:
            services.delete_task(instance, by=caller(self.request))
        except services.TaskInUse as exc:
            raise InUse(str(exc)) from None


def register(router: BaseRouter) -> None:
    router.register("competitions", CompetitionViewSet, basename="competition")
    router.register("phases", PhaseViewSet, basename="phase")
    router.register("tasks", TaskViewSet, basename="task")
