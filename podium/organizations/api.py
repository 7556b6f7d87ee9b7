"""The organizations API, at the seed's paths (SEED-API.md, "User Management").

Organizations are public (their names show on leaderboards), so a refused change is 403,
never 404. Members are named by membership id or username; DELETE calls take them in the
query string or, for clients that send bodies with DELETE, in a JSON body.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import CharField, Count, OuterRef, Prefetch, QuerySet, Subquery, Value
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from podium.accounts.models import User
from podium.core import api
from podium.core import examples as ex
from podium.core.api import caller
from podium.organizations import services
from podium.organizations.models import Invite, Membership, Organization
from podium.organizations.serializers import (
    InviteAnswerSerializer,
    InviteSerializer,
    InviteUsersSerializer,
    MemberChoiceSerializer,
    MemberGroupSerializer,
    MemberSerializer,
    OrganizationFilterSerializer,
    OrganizationSerializer,
    OrganizationWriteSerializer,
)

refusals = api.refusals(
    {
        services.NotAllowed: PermissionDenied,
        services.NotFound: NotFound,
        services.Conflict: api.Conflict,
        services.InviteExpired: api.Gone,
        services.NameTaken: lambda refused: ValidationError({"name": [str(refused)]}),
        services.OrganizationError: api.Refused,
    }
)


NEW_ORGANIZATION = {
    **ex.ORGANIZATION,
    "member_count": 1,
    "members": ex.MEMBERS[:1],
    "invites": [],
}
DESCRIBED = {"description": "Two botanists and a statistician, from Lyon."}

MEMBER_PARAMETERS = [
    OpenApiParameter(
        "member", OpenApiTypes.INT, description="The membership's id, as in `members[].id`."
    ),
    OpenApiParameter("username", OpenApiTypes.STR, description="The member's username."),
]


@extend_schema_view(
    list=extend_schema(
        summary="List organizations",
        description="Every organization by name, with its public fields. The caller's own "
        "organizations also show their contact email and members (and, to owners and "
        "managers, their open invitations); `mine=true` lists only those.",
        parameters=[OrganizationFilterSerializer],
        examples=[ex.response(ex.ORGANIZATION)],
    ),
    retrieve=extend_schema(
        summary="Read an organization",
        description="One organization: its public fields for everyone; its contact email and "
        "members for its members; its open invitations for its owners and managers.",
        examples=[ex.response(ex.ORGANIZATION)],
    ),
    create=extend_schema(
        summary="Create an organization",
        description="Creates an organization with the caller as its owner. Its name is "
        "unique, ignoring case (400 naming the field when taken).",
        request=OrganizationWriteSerializer,
        responses={201: OrganizationSerializer},
        examples=[ex.request(ex.ORGANIZATION_SETTINGS), ex.response(NEW_ORGANIZATION)],
    ),
    update=extend_schema(
        summary="Update an organization",
        description="Replaces the organization's details: name (required), description, "
        "website, contact email. Its owners and managers (403 for anyone else).",
        request=OrganizationWriteSerializer,
        responses=OrganizationSerializer,
        examples=[
            ex.request({**ex.ORGANIZATION_SETTINGS, **DESCRIBED}),
            ex.response({**ex.ORGANIZATION, **DESCRIBED}),
        ],
    ),
    partial_update=extend_schema(
        summary="Partially update an organization",
        description="Changes the given details among name, description, website and contact "
        "email. Its owners and managers (403 for anyone else).",
        request=OrganizationWriteSerializer,
        responses=OrganizationSerializer,
        examples=[ex.request(DESCRIBED), ex.response({**ex.ORGANIZATION, **DESCRIBED})],
    ),
)
class OrganizationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Organization],
):
    serializer_class = OrganizationSerializer

    def get_queryset(self) -> QuerySet[Organization]:
        user = self.request.user
        caller_group: Subquery | Value = Value(None, output_field=CharField())
        if user.is_authenticated:
            mine = Membership.objects.filter(organization=OuterRef("pk"), user=user)
            caller_group = Subquery(mine.values("group")[:1])
        queryset = Organization.objects.annotate(
            member_count=Count("memberships", distinct=True), caller_group=caller_group
        )
        if self.action == "list" and api.query_filters(
            self.request, OrganizationFilterSerializer
        ).get("mine"):
            queryset = queryset.filter(pk__in=Organization.objects.of(user).values("pk"))
        return queryset.prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("user").order_by("pk"),
                to_attr="member_rows",
            ),
            Prefetch(
                "invites",
                queryset=Invite.objects.filter(accepted_at__isnull=True, declined_at__isnull=True)
                .select_related("organization", "invited_by")
                .order_by("pk"),
                to_attr="open_invites",
            ),
        ).order_by("name", "pk")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        fields = OrganizationWriteSerializer(data=request.data)
        fields.is_valid(raise_exception=True)
        with refusals():
            organization = services.create_organization(
                user=caller(request), fields=fields.validated_data
            )
        return api.rendered(self, organization, status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        organization = self.get_object()
        partial = self.action == "partial_update"
        changes = OrganizationWriteSerializer(data=request.data, partial=partial)
        changes.is_valid(raise_exception=True)
        with refusals():
            services.update_organization(
                organization, by=caller(request), changes=changes.validated_data
            )
        return api.rendered(self, organization)

    @extend_schema(
        summary="Validate organization invite",
        description="Answers an invitation with the token from its email: accepts it (the "
        "caller joins in the invited group) or, with `decline: true`, declines it. The "
        "caller's email address must be the invited one. 404 for an unknown token, 403 for "
        "another address's invitation, 409 once answered or when already a member, 410 past "
        "its expiry, 400 when joining would exceed the team size of a competition the "
        "organization takes part in.",
        request=InviteAnswerSerializer,
        responses={
            200: InviteSerializer,
            400: OpenApiResponse(description="Joining would exceed a competition's team size."),
            403: OpenApiResponse(description="The invitation was sent to another address."),
            404: OpenApiResponse(description="No invitation has this token."),
            409: OpenApiResponse(
                description="Already answered, or the caller is already a member."
            ),
            410: OpenApiResponse(description="The invitation has expired."),
        },
        examples=[
            ex.request({"token": "Q2hVc3R0b2tlbi1mb3ItY2Fyb2w", "decline": False}),
            ex.response(
                {**ex.INVITE, "status": "accepted", "accepted_at": "2025-02-11T08:00:00Z"},
                summary="Carol joined",
            ),
        ],
    )
    @action(detail=False, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def validate_invite(self, request: Request) -> Response:
        answer = InviteAnswerSerializer(data=request.data)
        answer.is_valid(raise_exception=True)
        with refusals():
            invite = services.answer_invite(
                token=answer.validated_data["token"],
                user=caller(request),
                accept=not answer.validated_data["decline"],
            )
        return Response(InviteSerializer(invite).data)

    @extend_schema(
        summary="Invite users to an organization",
        description="Invites email addresses to join in a group (member by default) and "
        "emails each a link carrying the invitation's token. Inviting an address again "
        "refreshes its open invitation (same link, new group and expiry, another email) "
        "rather than adding one. Invitations expire after PODIUM_ORGANIZATION_INVITE_DAYS "
        "days. Owners and managers; only owners invite owners. 400, with nothing sent, when "
        "an address is already a member's or when the new members would exceed the team "
        "size of a competition the organization takes part in.",
        request=InviteUsersSerializer,
        responses={200: InviteSerializer(many=True)},
        examples=[
            ex.request({"emails": [ex.INVITE["email"]], "group": "participant"}),
            ex.response(ex.INVITE),
        ],
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def invite_users(self, request: Request, pk: str | None = None) -> Response:
        organization = self.get_object()
        body = InviteUsersSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with refusals():
            invites = services.invite(
                organization=organization,
                by=caller(request),
                emails=body.validated_data["emails"],
                group=body.validated_data["group"],
            )
        return Response(InviteSerializer(invites, many=True).data)

    @extend_schema(
        summary="Update organization member group",
        description="Moves a member, named by `member` (membership id) or `username`, to a "
        "group: owner, manager, participant or member. Owners and managers; only owners make "
        "owners or change an owner's group. 409 for the last owner, who stays an owner.",
        request=MemberGroupSerializer,
        responses={200: MemberSerializer},
        examples=[
            ex.request({"username": ex.BRUNO, "group": "manager"}),
            ex.response({**ex.MEMBERS[1], "group": "manager"}),
        ],
    )
    @action(detail=True, methods=["post"])
    def update_member_group(self, request: Request, pk: str | None = None) -> Response:
        organization = self.get_object()
        body = MemberGroupSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        by = caller(request)
        with refusals():
            member = _member(organization, by, body.validated_data)
            changed = services.change_group(
                organization=organization, by=by, member=member, group=body.validated_data["group"]
            )
        return Response(MemberSerializer(changed).data)

    @extend_schema(
        summary="Delete organization member",
        description="Removes a member, named by `member` (membership id) or `username` in the "
        "query string; a JSON body with the same fields is accepted too, for clients that "
        "send bodies with DELETE. Any member may remove themselves (leave); owners and "
        "managers remove others, and only owners remove owners. 409 for the last owner, who "
        "can neither leave nor be removed (make another member an owner, or delete the "
        "organization).",
        parameters=MEMBER_PARAMETERS,
        request=None,
        responses={204: None},
    )
    @action(detail=True, methods=["delete"])
    def delete_member(self, request: Request, pk: str | None = None) -> Response:
        organization = self.get_object()
        names = ("member", "username")
        data = request.data if isinstance(request.data, Mapping) else {}
        source = data if any(name in data for name in names) else request.query_params
        body = MemberChoiceSerializer(data={name: source[name] for name in names if name in source})
        body.is_valid(raise_exception=True)
        by = caller(request)
        with refusals():
            member = _member(organization, by, body.validated_data)
            services.remove_member(organization=organization, by=by, member=member)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Delete an organization",
        description="Deletes the organization with its memberships and invitations. Its "
        "owners only. 409 while any of its submissions is an entry on a leaderboard, naming "
        "the competitions: the results would lose the team's name (remove those entries or "
        "delete those submissions first). Its other submissions stay, as their owners' own.",
        request=None,
        responses={204: None},
    )
    @action(detail=True, methods=["delete"])
    def delete_organization(self, request: Request, pk: str | None = None) -> Response:
        organization = self.get_object()
        with refusals():
            services.delete_organization(organization=organization, by=caller(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _member(organization: Organization, by: User, chosen: Mapping[str, Any]) -> Membership:
    """The member `chosen` names, by membership id or username."""
    return services.find_member(
        organization, by=by, member=chosen.get("member"), username=chosen.get("username")
    )


def register(router: BaseRouter) -> None:
    router.register("organizations", OrganizationViewSet, basename="organization")
