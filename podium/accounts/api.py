"""The accounts API: one's own account and profile, public profiles, API tokens, and the
token exchange that `podium login` uses.

Sign-up, email verification, password reset, and changing the email address or the
password are allauth's pages under /accounts/; `GET /api/users/me/` links to them.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import logout
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied, Throttled, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter
from rest_framework.throttling import ScopedRateThrottle

from podium.accounts import services
from podium.accounts.models import ApiToken, User
from podium.accounts.serializers import (
    ApiTokenSerializer,
    AvatarUploadSerializer,
    MyAccountSerializer,
    NewApiTokenSerializer,
    PasswordSerializer,
    ProfileSerializer,
    TokenExchangeSerializer,
)
from podium.core import examples as ex
from podium.core.api import InUse, caller
from podium.core.images import ImageRefused


class SignInFailed(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "the username or password is not correct"
    default_code = "sign_in_failed"


def my_account(request: Request, user: User) -> Response:
    return Response(
        MyAccountSerializer(
            services.profile_to_show(user),
            context={"request": request, "email_verified": services.is_verified(user)},
        ).data
    )


# Typed Any: the rows are users, but what is read and written of them is their profile.
class UserViewSet(viewsets.GenericViewSet[Any]):
    lookup_field = "username"
    lookup_value_regex = r"[^/]+"
    serializer_class = ProfileSerializer

    def get_queryset(self) -> QuerySet[User]:
        # A deleted account has no profile to show: not found, like one that never was.
        return User.objects.filter(is_active=True)

    @extend_schema(
        summary="Read a user's public profile",
        description="What the user chose to show: display name, bio, location, links, "
        "affiliations and avatar. Never the email address. Anyone may read it; a deleted "
        "or deactivated account is not found.",
        responses=ProfileSerializer,
        examples=[ex.response(ex.PROFILE)],
    )
    def retrieve(self, request: Request, username: str | None = None) -> Response:
        user = self.get_object()
        return Response(ProfileSerializer(services.profile_to_show(user)).data)

    @extend_schema(
        summary="Read my account",
        description="The caller's profile, email address (and whether it is verified), "
        "when they accepted the platform's terms, and links to the pages that change the "
        "email address and the password, to the mail preferences and to the API tokens.",
        responses=MyAccountSerializer,
        examples=[ex.response(ex.MY_ACCOUNT)],
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="me",
        permission_classes=[permissions.IsAuthenticated],
    )
    def me(self, request: Request) -> Response:
        return my_account(request, caller(request))

    @extend_schema(
        summary="Change my profile",
        description="Sets the public profile's fields that are sent; the others keep their "
        "value. Web links must be http or https addresses. The username and email address "
        "are not changed here (the email address through its verification page).",
        request=ProfileSerializer,
        responses=MyAccountSerializer,
        examples=[ex.request(ex.PROFILE_CHANGES), ex.response(ex.MY_ACCOUNT)],
    )
    @me.mapping.patch
    def change_me(self, request: Request) -> Response:
        user = caller(request)
        serializer = ProfileSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            services.update_profile(user=user, changes=serializer.validated_data)
        except DjangoValidationError as invalid:
            raise ValidationError(invalid.message_dict) from None
        return my_account(request, user)

    @extend_schema(
        summary="Delete my account",
        description='Send the current password in a JSON body: `{"password": "..."}`. '
        "Removes the email addresses, names, profile, avatar, API tokens and sessions, and "
        "signs the caller out; the account becomes inactive under the name "
        "`deleted-<id>`. Submissions, scores and registrations stay, under that name, so "
        "that leaderboards stay true. Refused (409, naming them) while the caller owns "
        "competitions: transfer or delete them first.",
        responses={
            204: OpenApiResponse(description="The account is deleted."),
            400: OpenApiResponse(description="The password is missing or not correct."),
            409: OpenApiResponse(
                description="The caller still owns competitions; the message names them."
            ),
        },
    )
    @me.mapping.delete
    def delete_me(self, request: Request) -> Response:
        user = caller(request)
        serializer = PasswordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            services.delete_account(user=user, password=serializer.validated_data["password"])
        except services.WrongPassword as refused:
            raise ValidationError({"password": [str(refused)]}) from None
        except services.StillOwnsCompetitions as refused:
            raise InUse(str(refused)) from None
        logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Upload my avatar",
        description="A PNG, JPEG or WebP image, within PODIUM_AVATAR_MAX_BYTES and "
        "PODIUM_AVATAR_MAX_PIXELS; decompression bombs are refused. It is stored "
        "re-encoded, at most 512 pixels a side, without its metadata, and replaces the "
        "previous one.",
        request={"multipart/form-data": AvatarUploadSerializer},
        responses={
            200: MyAccountSerializer,
            400: OpenApiResponse(description="The file is not an image allowed."),
        },
        examples=[ex.response(ex.MY_ACCOUNT)],
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="me/avatar",
        permission_classes=[permissions.IsAuthenticated],
        parser_classes=[MultiPartParser],
    )
    def avatar(self, request: Request) -> Response:
        user = caller(request)
        serializer = AvatarUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        try:
            services.set_avatar(user=user, upload=upload)
        except ImageRefused as refused:
            raise ValidationError({"file": [f"{upload.name!r} {refused}"]}) from None
        return my_account(request, user)

    @extend_schema(
        summary="Remove my avatar",
        description="The profile shows no avatar afterwards; the stored image is deleted.",
        request=None,
        responses={204: OpenApiResponse(description="The avatar is removed.")},
    )
    @avatar.mapping.delete
    def remove_avatar(self, request: Request) -> Response:
        services.remove_avatar(user=caller(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(
        summary="List my API tokens",
        description="Each token's name, when it was made and when it was last used "
        "(to the minute). The keys themselves are never shown again.",
        examples=[ex.response(ex.API_TOKEN)],
    ),
    destroy=extend_schema(
        summary="Revoke an API token",
        description="The token stops working at once. Another user's token is not found.",
    ),
)
class ApiTokenViewSet(
    mixins.ListModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[ApiToken],
):
    serializer_class = ApiTokenSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self) -> QuerySet[ApiToken]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return ApiToken.objects.none()
        return ApiToken.objects.filter(user=caller(self.request)).order_by("-created", "-id")

    @extend_schema(
        summary="Create an API token",
        description="A new named token for `Authorization: Token <key>`. The key is in "
        f"this answer only: copy it now. At most {services.MAX_TOKENS} tokens per user. "
        "With `expires_in_days` it stops working that many days from now (an expired "
        "token is answered 401, naming the date).",
        request=ApiTokenSerializer,
        responses={
            201: NewApiTokenSerializer,
            409: OpenApiResponse(description="The caller has too many tokens."),
        },
        examples=[
            ex.request({"name": ex.NEW_API_TOKEN["name"], "expires_in_days": 90}),
            ex.response(ex.NEW_API_TOKEN),
        ],
    )
    def create(self, request: Request) -> Response:
        serializer = ApiTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            token, key = services.create_token(
                user=caller(request),
                name=serializer.validated_data["name"],
                expires_in_days=serializer.validated_data["expires_in_days"],
            )
        except services.TooManyTokens as refused:
            raise InUse(str(refused)) from None
        return Response(new_token(token, key), status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: ApiToken) -> None:
        services.revoke_token(instance)


def new_token(token: ApiToken, key: str) -> dict[str, Any]:
    data = dict(ApiTokenSerializer(token).data)
    return {**data, "token": key}


class TokenExchangeViewSet(viewsets.GenericViewSet[ApiToken]):
    # No authentication: an old token left in a client's header must not stand in the way
    # of getting a new one.
    authentication_classes: list[Any] = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"
    serializer_class = TokenExchangeSerializer

    @extend_schema(
        summary="Exchange a username and password for an API token",
        description="What `podium login` calls: checks the credentials and answers a new "
        "named token (the key shown this once). The account's email address must be "
        "verified. Throttled per client address (PODIUM_LOGIN_ATTEMPTS_PER_MINUTE), and "
        "failed attempts also count per account, as on the sign-in page.",
        request=TokenExchangeSerializer,
        responses={
            201: NewApiTokenSerializer,
            400: OpenApiResponse(description="The username or password is not correct."),
            403: OpenApiResponse(description="The account's email address is not verified yet."),
            429: OpenApiResponse(description="Too many attempts; try again later."),
        },
        examples=[
            ex.request(
                {
                    "username": ex.ALICE,
                    "password": "correct horse battery staple",
                    "name": ex.NEW_API_TOKEN["name"],
                }
            ),
            ex.response(ex.NEW_API_TOKEN),
        ],
    )
    def create(self, request: Request) -> Response:
        serializer = TokenExchangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            token, key = services.exchange_password(
                request=request._request,
                username=serializer.validated_data["username"],
                password=serializer.validated_data["password"],
                name=serializer.validated_data["name"],
                expires_in_days=serializer.validated_data["expires_in_days"],
            )
        except services.SignInRefused as refused:
            raise SignInFailed(str(refused)) from None
        except services.NotVerified as refused:
            raise PermissionDenied(str(refused)) from None
        except services.TooManyAttempts as refused:
            raise Throttled(detail=str(refused)) from None
        except services.TooManyTokens as refused:
            raise InUse(str(refused)) from None
        return Response(new_token(token, key), status=status.HTTP_201_CREATED)


def register(router: BaseRouter) -> None:
    router.register("users/me/tokens", ApiTokenViewSet, basename="api-token")
    router.register("users", UserViewSet, basename="user")
    router.register("auth/token", TokenExchangeViewSet, basename="auth-token")
