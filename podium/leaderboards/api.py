"""The leaderboards API: leaderboard definitions, a phase's ranked leaderboard, a
submission's entries, and a competition's results export.

Three of these live under other apps' paths (`/api/phases/{id}/leaderboard/`,
`/api/submissions/{id}/submission_leaderboard_connection/`,
`/api/competitions/{id}/results/`): they are small viewsets of their own, registered under
the same prefixes, so that the leaderboard's rules stay in this app.

Who sees which scores is `podium.leaderboards.visibility.policy`, whatever the endpoint. A
competition, phase or submission the caller may not see is 404; a hidden leaderboard reads
like no leaderboard to those who may not see it, and one not yet released is 403 saying
when it will be.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import permissions, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from podium.competitions.models import Competition, Phase, PhaseTask
from podium.core import api
from podium.core import examples as ex
from podium.core.api import Pagination, query_id
from podium.leaderboards import services
from podium.leaderboards.models import Column, Leaderboard
from podium.leaderboards.serializers import (
    EntriesSerializer,
    LeaderboardSerializer,
    PhaseLeaderboardSerializer,
    ResultsSerializer,
)
from podium.leaderboards.visibility import listed_leaderboards
from podium.submissions.models import Submission

refusals = api.refusals(
    {services.NotAllowed: PermissionDenied, services.EntryRefused: api.Conflict}
)


@extend_schema_view(
    list=extend_schema(
        summary="List leaderboards",
        description="Leaderboards of the competitions the caller may see, with their columns "
        "and phases; hidden leaderboards and hidden columns are listed to the competition's "
        "organizers only. A leaderboard not yet released is listed with its release date; "
        "its scores are not shown before it.",
        parameters=[
            OpenApiParameter(
                "competition", int, description="Only the leaderboards of this competition."
            )
        ],
        examples=[ex.response(ex.LEADERBOARD)],
    ),
    create=extend_schema(
        summary="Create a leaderboard",
        description="Adds a leaderboard to a competition the caller organizes (403 "
        "otherwise): its columns, submission rule, primary column, release date, anonymity "
        "and efficiency frontier, and the phases that use it. Column keys starting with "
        "`podium:` are the worker's measurements (`podium:prediction.wall_time`...) or "
        "custom metrics (`podium:custom.NAME`). 400 lists every problem of the definition.",
        examples=[ex.request(ex.LEADERBOARD_SETTINGS), ex.response(ex.LEADERBOARD)],
    ),
    retrieve=extend_schema(
        summary="Read a leaderboard",
        description="One leaderboard's definition. A hidden leaderboard is not found for "
        "anyone but the competition's organizers; hidden columns are shown to them only.",
        examples=[ex.response(ex.LEADERBOARD)],
    ),
    update=extend_schema(
        summary="Update a leaderboard",
        description="Replaces the leaderboard's settings. `columns`, when given, replaces the "
        "columns: each is matched to an existing one by `id`, else by `key`, and keeps its "
        "scores; a column left out is deleted with its scores. `phases`, when given, lists "
        "the phases that use it. Under an automatic rule (Force_*) every participant's entry "
        "is chosen again. Organizers of the competition only.",
        examples=[ex.request(ex.LEADERBOARD_SETTINGS), ex.response(ex.LEADERBOARD)],
    ),
    partial_update=extend_schema(
        summary="Partially update a leaderboard",
        description="Changes the given settings only, with the same rules as a full update. "
        "Organizers of the competition only.",
        examples=[
            ex.request({"anonymous": True}, summary="Hide the participants' names"),
            ex.response({**ex.LEADERBOARD, "anonymous": True}),
        ],
    ),
    destroy=extend_schema(
        summary="Delete a leaderboard",
        description="Deletes the leaderboard, its columns and their scores; its phases are "
        "left without a leaderboard. Organizers of the competition only.",
    ),
)
class LeaderboardViewSet(viewsets.ModelViewSet[Leaderboard]):
    serializer_class = LeaderboardSerializer

    def get_queryset(self) -> QuerySet[Leaderboard]:
        queryset = listed_leaderboards(self.request.user)
        competition = query_id(self.request, "competition") if self.action == "list" else None
        if competition is not None:
            queryset = queryset.filter(competition_id=competition)
        return (
            queryset.select_related("competition")
            .prefetch_related(
                Prefetch("columns", Column.objects.order_by("index")),
                Prefetch("phases", Phase.objects.order_by("index", "pk")),
            )
            .order_by("competition_id", "index", "pk")
        )

    def check_object_permissions(self, request: Request, obj: Any) -> None:
        super().check_object_permissions(request, obj)
        if request.method in permissions.SAFE_METHODS:
            return
        if (
            not Competition.objects.organized_by(request.user)
            .filter(pk=obj.competition_id)
            .exists()
        ):
            self.permission_denied(
                request,
                message="only the organizers of this competition may change its leaderboards",
            )


def _board_body(
    shown: services.Shown,
    *,
    count: int | None = None,
    next_link: str | None = None,
    previous_link: str | None = None,
) -> dict[str, Any]:
    """A phase's leaderboard as the API shows it: its head, then its rows (a page of them
    when `count` says how many there are in all)."""
    found = shown.phase_board
    leaderboard = found.leaderboard
    shown_keys = {column.key for column in shown.columns}
    primary = next(
        (column for column in found.columns if column.index == leaderboard.primary_index), None
    )
    frontier = leaderboard.frontier_columns
    if frontier and not set(frontier.values()) <= shown_keys:
        frontier = None
    questions = found.phase.competition.fact_sheet or {}
    return {
        "phase": found.phase.pk,
        "leaderboard": {
            "id": leaderboard.pk,
            "key": leaderboard.key,
            "title": leaderboard.title,
            "submission_rule": leaderboard.submission_rule,
            "hidden": leaderboard.hidden,
            "anonymous": leaderboard.anonymous,
            "release_date": leaderboard.release_date,
            "primary_key": primary.key
            if primary is not None and primary.key in shown_keys
            else None,
            "frontier": frontier,
        },
        "columns": shown.columns,
        "tasks": [
            {"id": task, "name": found.task_names.get(task, "")} for task in found.board.tasks
        ]
        if found.board.multi_task
        else [],
        "fact_sheet": [
            {"key": key, "title": str(questions[key].get("title", key))}
            for key in found.board.fact_sheet
        ],
        "hardware": found.ranking.hardware or None,
        "count": len(shown.rows) if count is None else count,
        "next": next_link,
        "previous": previous_link,
        "results": shown.rows,
    }


PHASE_LEADERBOARD = (
    "A phase's leaderboard, ranked: one row per entry (for a multi-task phase, per "
    "participant's submission, with each task's scores), ordered by the primary column then "
    "the other columns in order, each with its sorting. Tied rows share a rank, shown "
    '"2="; baselines are marked and take no rank. `scores` are the stored values, `display` '
    "the same rounded to each column's precision. Rows measured on other hardware than most "
    "say so; with a frontier, rows not dominated on (score, cost) are marked. Paginated "
    "with `limit` and `offset`. Organizers see everything; others see no hidden column, no "
    "other participant's name on an anonymous leaderboard, a 404 for a hidden leaderboard "
    "and a 403 with the date before its release."
)


@extend_schema_view(
    leaderboard=extend_schema(
        summary="Read a phase's leaderboard",
        description=PHASE_LEADERBOARD,
        parameters=[
            OpenApiParameter("limit", int, description="Rows per page (50 by default)."),
            OpenApiParameter("offset", int, description="Rows to skip."),
        ],
        responses=PhaseLeaderboardSerializer,
        examples=[ex.response(ex.PHASE_LEADERBOARD)],
    ),
    get_leaderboard=extend_schema(
        summary="Get phase leaderboard",
        description="The seed's name for `GET /api/phases/{id}/leaderboard/`, kept for "
        "scripts written for it: the same rows, rules and pages.",
        parameters=[
            OpenApiParameter("limit", int, description="Rows per page (50 by default)."),
            OpenApiParameter("offset", int, description="Rows to skip."),
        ],
        responses=PhaseLeaderboardSerializer,
        examples=[ex.response(ex.PHASE_LEADERBOARD)],
    ),
)
class PhaseLeaderboardViewSet(viewsets.GenericViewSet[Phase]):
    def get_queryset(self) -> QuerySet[Phase]:
        visible = Competition.objects.visible_to(self.request.user)
        return (
            Phase.objects.filter(competition__in=visible)
            .select_related("competition", "leaderboard")
            .prefetch_related(
                Prefetch("phase_tasks", PhaseTask.objects.select_related("task").order_by("index"))
            )
        )

    def _leaderboard(self, request: Request) -> Response:
        phase = self.get_object()
        view, found = services.phase_leaderboard(phase, request.user)
        if view is None or not view.listed:
            raise NotFound("this phase has no leaderboard")
        if found is None:
            raise PermissionDenied(view.reason)
        paginator = Pagination()
        # The entries are a sequence read a slice at a time: the paginator takes its length,
        # then one slice, so only the page's rows are read.
        page = paginator.paginate_queryset(found.ranking.entries, request, view=self) or []
        body = _board_body(
            services.present(found, view, request.user, page),
            count=paginator.count,
            next_link=paginator.get_next_link(),
            previous_link=paginator.get_previous_link(),
        )
        # The rows are plain data already, in RowSerializer's shape (ranking.present makes
        # them so; a test holds it): only the head goes through the serializer, which would
        # cost about as much CPU again as reading the page.
        data = PhaseLeaderboardSerializer({**body, "results": []}).data
        data["results"] = body["results"]
        return Response(data)

    @action(detail=True, methods=["get"], pagination_class=None)
    def leaderboard(self, request: Request, pk: str | None = None) -> Response:
        return self._leaderboard(request)

    @action(detail=True, methods=["get"], pagination_class=None)
    def get_leaderboard(self, request: Request, pk: str | None = None) -> Response:
        return self._leaderboard(request)


class SubmissionEntryViewSet(viewsets.GenericViewSet[Submission]):
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self) -> QuerySet[Submission]:
        return Submission.objects.visible_to(self.request.user).select_related(
            "phase__competition", "phase__leaderboard", "parent"
        )

    @extend_schema(
        methods=["POST"],
        summary="Create submission leaderboard connection",
        description="Puts a finished submission on its phase's leaderboard, as the "
        "leaderboard's submission rule allows: under Add and Add_And_Delete it replaces its "
        "owner's entry, under Add_And_Delete_Multiple it joins their entries. Its owner, "
        "the organizers and platform admins. 409 under an automatic rule (Force_Last, "
        "Force_Latest_Multiple, Force_Best: the server places entries as submissions "
        "finish), for a submission that has not finished, or a phase without leaderboard. "
        "Adding an entry twice changes nothing. A task of a multi-task submission stands "
        "for the whole submission.",
        request=None,
        responses=EntriesSerializer,
        examples=[ex.response(ex.ENTRIES)],
    )
    @extend_schema(
        methods=["DELETE"],
        summary="Delete submission leaderboard connection",
        description="Takes a submission off its phase's leaderboard, as the rule allows: "
        "its owner under Add_And_Delete and Add_And_Delete_Multiple; the organizers and "
        "platform admins under any manual rule (Add too). 409 when the rule does not allow "
        "it. Removing a submission that is not an entry changes nothing.",
        request=None,
        # 200 with the entries, as the view answers (a DELETE would be documented as 204).
        responses={200: EntriesSerializer},
        examples=[
            ex.response({**ex.ENTRIES, "on_leaderboard": False, "entries": []}, summary="Off")
        ],
    )
    @action(detail=True, methods=["post", "delete"])
    def submission_leaderboard_connection(
        self, request: Request, pk: str | None = None
    ) -> Response:
        submission = self.get_object()
        with refusals():
            if request.method == "POST":
                entries = services.add_entry(submission, by=request.user)
            else:
                entries = services.remove_entry(submission, by=request.user)
        top = submission.parent_id or submission.pk
        body = {
            "submission": top,
            "leaderboard": submission.phase.leaderboard_id,
            "on_leaderboard": top in entries,
            "entries": entries,
        }
        return Response(EntriesSerializer(body).data)


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out)
        if isinstance(data, dict) and "phases" in data:
            header, rows = _flatten(data)
            writer.writerow(header)
            writer.writerows(rows)
        else:
            writer.writerow(["detail"])
            writer.writerow([data.get("detail", data) if isinstance(data, dict) else data])
        return out.getvalue().encode()


FIXED = [
    "phase",
    "leaderboard",
    "rank",
    "participant",
    "organization",
    "submission",
    "is_baseline",
    "on_frontier",
    "hardware_note",
]


def _flatten(data: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """One line per row of every phase, its columns' values unrounded; for a multi-task
    phase each task's values too ("task 7: accuracy")."""
    extra: list[str] = []

    def remember(name: str) -> str:
        if name not in extra:
            extra.append(name)
        return name

    lines: list[dict[str, Any]] = []
    for phase in data["phases"]:
        for row in phase["results"]:
            line = {
                "phase": phase["phase"],
                "leaderboard": phase["leaderboard"]["key"],
                "rank": row["rank_label"],
                "participant": row["participant"],
                "organization": row["organization"] or "",
                "submission": row["submission"] or "",
                "is_baseline": row["is_baseline"],
                "on_frontier": "" if row["on_frontier"] is None else row["on_frontier"],
                "hardware_note": row["hardware_note"] or "",
            }
            for key, value in row["scores"].items():
                line[remember(key)] = "" if value is None else value
            for task in row["tasks"]:
                for key, value in task["scores"].items():
                    line[remember(f"task {task['task']}: {key}")] = "" if value is None else value
            for key, value in row["fact_sheet"].items():
                line[remember(f"fact_sheet: {key}")] = value
            lines.append(line)
    header = FIXED + extra
    return header, [[line.get(name, "") for name in header] for line in lines]


class CompetitionResultsViewSet(viewsets.GenericViewSet[Competition]):
    def get_queryset(self) -> QuerySet[Competition]:
        return Competition.objects.visible_to(self.request.user)

    @extend_schema(
        summary="Get competition results",
        description="Every phase's leaderboard the caller may see, all rows, as JSON (the "
        "shape of a phase's leaderboard, per phase) or as CSV (`?format=csv` or `Accept: "
        "text/csv`: one line per row, values unrounded, a column per leaderboard column and, "
        "for multi-task phases, per task). The same visibility as the leaderboards: hidden "
        "and unreleased leaderboards, hidden columns and anonymous names are left out for "
        "anyone but the organizers. `?phase=ID` keeps one phase.",
        parameters=[
            OpenApiParameter("phase", int, description="Only this phase's results."),
            OpenApiParameter(
                "format", str, enum=["json", "csv"], description="The format (or use Accept)."
            ),
        ],
        responses={
            (200, "application/json"): ResultsSerializer,
            (200, "text/csv"): OpenApiTypes.STR,
        },
        examples=[
            ex.response(ex.RESULTS),
            ex.response(ex.RESULTS_CSV, "CSV", media_type="text/csv"),
        ],
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, CSVRenderer])
    def results(self, request: Request, pk: str | None = None) -> Response:
        competition = self.get_object()
        phase_id = query_id(request, "phase")
        shown = services.competition_results(competition, request.user)
        body = {
            "competition": competition.pk,
            "title": competition.title,
            "phases": [
                _board_body(board)
                for board in shown
                if phase_id is None or board.phase_board.phase.pk == phase_id
            ],
        }
        data = ResultsSerializer(body).data
        headers = {}
        if getattr(request, "accepted_renderer", None) is not None and (
            request.accepted_renderer.format == "csv"
        ):
            headers["Content-Disposition"] = (
                f'attachment; filename="competition-{competition.pk}-results.csv"'
            )
        return Response(data, headers=headers)


def register(router: BaseRouter) -> None:
    router.register("leaderboards", LeaderboardViewSet, basename="leaderboard")
    router.register("phases", PhaseLeaderboardViewSet, basename="phase-leaderboard")
    router.register("submissions", SubmissionEntryViewSet, basename="submission-leaderboard")
    router.register("competitions", CompetitionResultsViewSet, basename="competition-results")
