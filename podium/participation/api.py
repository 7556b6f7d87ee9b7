"""The participation API: registrations, the organizers' decisions, their emails, each
competition's registration settings, and the contact forms.

A registration is visible to its participant and to the organizers of its competition
(`Participant.objects.visible_to`); one the caller may not see is 404 whatever the method.
Under `/api/competitions/{id}/`, a viewset of this app adds the registration form, the
allow-list, the keys of external systems, the applicants they read, organizer emails and
the contact form; a competition the caller may not see is 404 there too.

External systems read `GET /api/competitions/{id}/applicants/` with the header
`Authorization: Key <key>`, a key an organizer created for that competition: a competition
has one registration form, so the competition's id is the form's id. An unknown or
revoked key is 401; a key of another competition is 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter
from rest_framework.settings import api_settings

from podium.competitions.models import Competition
from podium.core import api
from podium.core import examples as ex
from podium.core.api import Refused, caller
from podium.participation import outreach, rules, services
from podium.participation.authentication import ApplicantsKeyAuthentication
from podium.participation.models import ApplicantsKey, OrganizerEmail, Participant
from podium.participation.serializers import (
    AllowListSerializer,
    ApplicantsKeySerializer,
    ContactFormSerializer,
    ContactRequestSerializer,
    CreatedKeySerializer,
    EmailSerializer,
    GroupEmailSerializer,
    OrganizerEmailSerializer,
    ParticipantCreateSerializer,
    ParticipantFilterSerializer,
    ParticipantSerializer,
    ParticipantUpdateSerializer,
    ReasonSerializer,
    RegistrationFormSerializer,
)

DECIDED = ex.request({"status": "approved"}, "Decide", summary="An organizer approves")
CORRECTED = ex.request(
    {"answers": ex.ANSWERS, "accept_terms": True, "terms_sha256": ex.TERMS_SHA256},
    "Correct",
    summary="The participant corrects their answers",
)
DENIAL = "Please give your university's full name rather than its initials."
REVOCATION = "Two accounts sent the same predictions."
ALLOWED = ["ada@example.org", "example.edu", "lab.example.org"]
MESSAGE = {
    "subject": "The Final phase opens on April 1",
    "body": ex.ORGANIZER_EMAIL["body"],
}


class TooManyRequests(exceptions.Throttled):
    """A 429 whose message says when to try again, and whose Retry-After header too (DRF's
    own would add "Expected available in N seconds" to the message)."""

    def __init__(self, detail: str, *, wait: int) -> None:
        super().__init__(detail=detail)
        self.wait = wait


# Each refusal with the field it is about, when it has one.
refusals = api.refusals(
    {
        services.FormInvalid: lambda refused: exceptions.ValidationError(
            {"answers": refused.errors}
        ),
        services.TermsNotAccepted: lambda refused: exceptions.ValidationError(
            {"accept_terms": [str(refused)]}
        ),
        services.UnknownUser: lambda refused: exceptions.ValidationError({"user": [str(refused)]}),
        services.NotAllowed: exceptions.PermissionDenied,
        services.RegistrationError: Refused,
        outreach.OutreachError: Refused,
        outreach.TooManyRequests: lambda refused: TooManyRequests(str(refused), wait=refused.wait),
    }
)


def organizes(request: Request, competition_id: int) -> bool:
    return Competition.objects.organized_by(request.user).filter(pk=competition_id).exists()


PARTICIPANT_UPDATE = (
    "Organizers of the competition send `status` (approved, denied, revoked) with a "
    "`reason` for denied and revoked, which the participant reads: the same decisions as "
    "approve, deny and revoke. The participant sends corrected `answers` (with "
    "`accept_terms` when the competition has terms): while pending, they replace the "
    "pending application's; once denied, they are a new application, pending again. Every "
    "change emails the participant. PUT is taken as PATCH: who calls decides which fields "
    "may change."
)


@extend_schema_view(
    list=extend_schema(
        summary="List registrations",
        description="The caller's own registrations, and every registration of the "
        "competitions they organize (all of them for platform admins), each with its "
        "latest answers and its applications.",
        parameters=[ParticipantFilterSerializer],
        examples=[ex.response(ex.PARTICIPANT)],
    ),
    retrieve=extend_schema(
        summary="Read a registration",
        description="One registration: its user, status, the organizers' reason, the latest "
        "answers and terms accepted, and every application (the history of a participant "
        "who applied again after a denial).",
        examples=[ex.response(ex.PARTICIPANT)],
    ),
    create=extend_schema(
        summary="Register, or add a participant",
        description="Without `user`: the caller registers for `competition`, accepting its "
        "terms (`accept_terms`, required when it has terms) and answering its registration "
        "form (`answers`). Approved at once when the competition auto-approves or the "
        "caller's verified address is on its allow-list; pending otherwise, and the "
        "organizers get it in their next digest. A pending or approved registration is "
        "returned unchanged (200); a denied one applies again; a revoked one is refused. "
        "With `user` (a username or an email address): an organizer of the competition "
        "adds that user as an approved participant (403 for anyone else); one who already "
        "applied is approved. 201 when the registration is new. Either way the participant "
        "is emailed.",
        request=ParticipantCreateSerializer,
        responses={200: ParticipantSerializer, 201: ParticipantSerializer},
        examples=[
            ex.request(ex.REGISTRATION_REQUEST, "Register", summary="The caller registers"),
            ex.request(
                {"competition": 1, "user": "bruno@example.org"},
                "Add",
                summary="An organizer adds a participant",
            ),
            ex.response(ex.PENDING_PARTICIPANT, "Registered", status=201),
            ex.response(ex.PARTICIPANT, "Already registered", status=200),
        ],
    ),
    update=extend_schema(
        summary="Update a registration",
        description=PARTICIPANT_UPDATE,
        request=ParticipantUpdateSerializer,
        responses=ParticipantSerializer,
        examples=[DECIDED, CORRECTED, ex.response(ex.PARTICIPANT)],
    ),
    partial_update=extend_schema(
        summary="Partially update a registration",
        description=PARTICIPANT_UPDATE,
        request=ParticipantUpdateSerializer,
        responses=ParticipantSerializer,
        examples=[DECIDED, CORRECTED, ex.response(ex.PARTICIPANT)],
    ),
    destroy=extend_schema(
        summary="Remove a registration",
        description="An organizer of the competition removes the registration, or its "
        "participant withdraws it (a revoked participant may not: organizers only). The "
        "participant's submissions are kept, without a registration; they may register "
        "again. The participant is emailed; the removal is audited.",
    ),
)
class ParticipantViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Participant],
):
    serializer_class = ParticipantSerializer

    def get_queryset(self) -> QuerySet[Participant]:
        queryset = Participant.objects.visible_to(self.request.user)
        if self.action == "list":
            chosen = api.query_filters(self.request, ParticipantFilterSerializer)
            queryset = api.filter_by(
                queryset, chosen, {"competition": "competition_id", "status": "status"}
            )
            if chosen["mine"]:
                me = self.request.user.pk
                queryset = queryset.none() if me is None else queryset.filter(user_id=me)
        return (
            queryset.select_related("user", "decided_by", "competition")
            .prefetch_related("applications__decided_by")
            .order_by("pk")
        )

    def _fresh(self, participant: Participant) -> dict[str, Any]:
        row = self.get_queryset().filter(pk=participant.pk).first() or participant
        return dict(ParticipantSerializer(row).data)

    def _organized(self, participant: Participant, message: str) -> None:
        if not organizes(self.request, participant.competition_id):
            self.permission_denied(self.request, message=message)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = ParticipantCreateSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        competition: Competition = data["competition"]
        by = caller(request)
        with refusals():
            if "user" in data:
                if not organizes(request, competition.pk):
                    self.permission_denied(
                        request, message="only the organizers of this competition add participants"
                    )
                participant, created = services.add(
                    competition=competition, by=by, who=data["user"]
                )
            else:
                participant, created = services.apply(
                    user=by,
                    competition=competition,
                    accept_terms=data["accept_terms"],
                    answers=data.get("answers"),
                    terms_sha256=data.get("terms_sha256"),
                )
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(self._fresh(participant), status=code)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        participant = self.get_object()
        body = ParticipantUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        by = caller(request)
        with refusals():
            if "status" in data:
                self._organized(
                    participant, "only the organizers of this competition decide registrations"
                )
                changed = services.decide(
                    participant, by=by, status=data["status"], reason=data.get("reason", "")
                )
            else:
                changed = services.change_answers(
                    participant,
                    by=by,
                    answers=data["answers"],
                    accept_terms=data["accept_terms"],
                    terms_sha256=data.get("terms_sha256"),
                )
        return Response(self._fresh(changed))

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, **kwargs)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        participant = self.get_object()
        with refusals():
            services.remove(participant, by=caller(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _decide(self, status_: str, *, with_reason: bool) -> Response:
        participant = self.get_object()  # 404 when unseen, 403 for anyone but organizers
        self._organized(participant, "only the organizers of this competition decide registrations")
        reason = ""
        if with_reason:
            body = ReasonSerializer(data=self.request.data)
            body.is_valid(raise_exception=True)
            reason = body.validated_data["reason"]
        with refusals():
            decided = services.decide(
                participant, by=caller(self.request), status=status_, reason=reason
            )
        return Response(self._fresh(decided))

    @extend_schema(
        summary="Approve a registration",
        description="Approves a pending or denied registration; the participant may then "
        "submit, and is emailed. Organizers of the competition only.",
        request=None,
        responses=ParticipantSerializer,
        examples=[ex.response(ex.PARTICIPANT)],
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(Participant.Status.APPROVED, with_reason=False)

    @extend_schema(
        summary="Deny a registration",
        description="Denies a pending registration with a reason the participant reads "
        "(required) in the email that tells them; they may correct their answers and apply "
        "again. An approved participant is revoked instead. Organizers of the competition "
        "only.",
        request=ReasonSerializer,
        responses=ParticipantSerializer,
        examples=[
            ex.request({"reason": DENIAL}),
            ex.response(ex.participant_now("denied", reason=DENIAL)),
        ],
    )
    @action(detail=True, methods=["post"])
    def deny(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(Participant.Status.DENIED, with_reason=True)

    @extend_schema(
        summary="Revoke a participant",
        description="Revokes an approved participant with a reason the participant reads "
        "(required): they can no longer submit, nor register again, and are emailed. "
        "Organizers of the competition only.",
        request=ReasonSerializer,
        responses=ParticipantSerializer,
        examples=[
            ex.request({"reason": REVOCATION}),
            ex.response(ex.participant_now("revoked", reason=REVOCATION)),
        ],
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(Participant.Status.REVOKED, with_reason=True)

    @extend_schema(
        summary="Send email to a participant",
        description="An organizer of the competition writes to this participant. The "
        "email is queued and sent in the background, with the competition's title in the "
        "subject, reply-to the competition's contact address, and a link to stop such "
        "emails; a participant who stopped them is skipped. Returns the record that "
        "`GET /api/competitions/{id}/emails/` lists.",
        request=EmailSerializer,
        responses={201: OrganizerEmailSerializer},
        examples=[
            ex.request(
                {
                    "subject": "Your submission 3",
                    "body": "Your scoring log shows a warning about missing rows; "
                    "please check predictions.csv.",
                }
            ),
            ex.response(
                {
                    **ex.ORGANIZER_EMAIL,
                    "id": 2,
                    "subject": "Your submission 3",
                    "body": "Your scoring log shows a warning about missing rows; "
                    "please check predictions.csv.",
                    "audience": {"participant": 1, "user": ex.ALICE},
                    "created_at": "2025-02-10T11:40:00Z",
                    "recipients": 1,
                    "queued": 1,
                    "sent": 0,
                }
            ),
        ],
    )
    @action(detail=True, methods=["post"])
    def send_email(self, request: Request, pk: str | None = None) -> Response:
        participant = self.get_object()
        self._organized(participant, "only the organizers of this competition email participants")
        body = EmailSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with refusals():
            record = outreach.email_participant(
                participant,
                by=caller(request),
                subject=body.validated_data["subject"],
                body=body.validated_data["body"],
            )
        return Response(email_record(record), status=status.HTTP_201_CREATED)


def email_record(record: OrganizerEmail) -> dict[str, Any]:
    deliveries = outreach.deliveries([record])
    return dict(OrganizerEmailSerializer(record, context={"deliveries": deliveries}).data)


def email_records(page: list[OrganizerEmail]) -> Any:
    context = {"deliveries": outreach.deliveries(page)}
    return OrganizerEmailSerializer(page, many=True, context=context).data


KEY_ID = OpenApiParameter("key_id", int, OpenApiParameter.PATH, description="The key's id.")
APPLICANT_STATUS = OpenApiParameter(
    "status",
    str,
    enum=Participant.Status.values,
    description="Only the applicants with this status.",
)


class CompetitionParticipationViewSet(viewsets.GenericViewSet[Competition]):
    """Routes under `/api/competitions/{id}/` that belong to participation."""

    serializer_class = RegistrationFormSerializer

    def get_queryset(self) -> QuerySet[Competition]:
        return Competition.objects.visible_to(self.request.user)

    def _organized_competition(self) -> Competition:
        competition = self.get_object()  # 404 for a competition the caller may not see
        if not organizes(self.request, competition.pk):
            self.permission_denied(
                self.request, message="only the organizers of this competition may do this"
            )
        return competition

    def _form(self, competition: Competition) -> Response:
        terms = competition.terms
        body = {
            "terms_sha256": rules.terms_sha256(terms) if terms.strip() else None,
            "auto_approve": competition.registration_auto_approve,
            "questions": [question.as_json() for question in services.questions_of(competition)],
        }
        return Response(RegistrationFormSerializer(body).data)

    @extend_schema(
        methods=["GET"],
        summary="Read a competition's registration form",
        description="The questions a registration answers, in order, and the SHA-256 of the "
        "competition's terms as they are now (what a registration accepts). Whoever may see "
        "the competition.",
        responses=RegistrationFormSerializer,
        examples=[ex.response(ex.REGISTRATION_FORM)],
    )
    @extend_schema(
        methods=["PUT"],
        summary="Replace a competition's registration form",
        description="Replaces every question. Kinds: text, long_text, single_choice, "
        "multiple_choice (with choices), checkbox; each may be required. Earlier "
        "applications keep the form they answered. 400 names each invalid question by its "
        "position. Organizers of the competition only.",
        request=RegistrationFormSerializer,
        responses=RegistrationFormSerializer,
        examples=[
            ex.request({"questions": ex.QUESTIONS}),
            ex.response(ex.REGISTRATION_FORM),
        ],
    )
    @action(detail=True, methods=["get", "put"])
    def registration_form(self, request: Request, pk: str | None = None) -> Response:
        if request.method == "GET":
            return self._form(self.get_object())
        competition = self._organized_competition()
        body = RegistrationFormSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        questions = [
            rules.Question(
                key=row["key"],
                label=row["label"],
                kind=row["kind"],
                required=row["required"],
                choices=tuple(row["choices"]),
                help_text=row["help_text"],
            )
            for row in body.validated_data["questions"]
        ]
        try:
            services.set_questions(competition, questions=questions)
        except services.SettingsInvalid as exc:
            problems = [exc.errors.get(index, {}) for index in range(max(exc.errors) + 1)]
            raise exceptions.ValidationError({"questions": problems}) from None
        return self._form(competition)

    @extend_schema(
        methods=["GET"],
        summary="Read a competition's email allow-list",
        description="The addresses and domains whose users are approved as soon as they "
        "register, matched without regard to case on the user's verified address. "
        "Organizers of the competition only.",
        responses=AllowListSerializer,
        examples=[ex.response({"entries": ALLOWED})],
    )
    @extend_schema(
        methods=["PUT"],
        summary="Replace a competition's email allow-list",
        description="Replaces every entry: an address (ada@example.org) lets that address "
        "in, a domain (example.org or @example.org) lets in its addresses and its "
        "subdomains'. Stored lowercase, each once. Registrations already made are not "
        "changed. Audited. Organizers of the competition only.",
        request=AllowListSerializer,
        responses=AllowListSerializer,
        examples=[
            ex.request({"entries": ["lab.example.org", "@example.edu", "Ada@example.org"]}),
            ex.response({"entries": ALLOWED}),
        ],
    )
    @action(detail=True, methods=["get", "put"])
    def allow_list(self, request: Request, pk: str | None = None) -> Response:
        competition = self._organized_competition()
        if request.method == "PUT":
            body = AllowListSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            try:
                services.set_allow_list(
                    competition, by=caller(request), entries=body.validated_data["entries"]
                )
            except services.SettingsInvalid as exc:
                errors = {str(index): problems for index, problems in exc.errors.items()}
                raise exceptions.ValidationError({"entries": errors}) from None
        entries = competition.registration_allow_list.order_by("value").values_list(
            "value", flat=True
        )
        return Response(AllowListSerializer({"entries": list(entries)}).data)

    @extend_schema(
        methods=["GET"],
        summary="List a competition's applicants keys",
        description="The keys external systems use to read the competition's applicants, "
        "revoked ones included, newest first; never the keys themselves. Organizers of the "
        "competition only.",
        responses=ApplicantsKeySerializer(many=True),
        examples=[ex.response(ex.APPLICANTS_KEY)],
    )
    @extend_schema(
        methods=["POST"],
        summary="Create an applicants key",
        description="A new key that reads this competition's applicants and their answers "
        "(`GET /api/competitions/{id}/applicants/` with `Authorization: Key <key>`) and "
        "nothing else. The key is in this answer only: it is stored hashed. Audited. "
        "Organizers of the competition only.",
        request=ApplicantsKeySerializer,
        responses={201: CreatedKeySerializer},
        examples=[
            ex.request({"name": "Registration dashboard"}),
            ex.response(
                {
                    **ex.APPLICANTS_KEY,
                    "id": 2,
                    "name": "Registration dashboard",
                    "prefix": "pdk_Ag6iRV6C",
                    "created_at": "2025-02-10T12:00:00Z",
                    "last_used_at": None,
                    "key": "pdk_Ag6iRV6CGNdozPYk7xAq8FYAJ76Uphoy0kT3mWqZs9E",
                }
            ),
        ],
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def applicants_keys(self, request: Request, pk: str | None = None) -> Response:
        competition = self._organized_competition()
        if request.method == "GET":
            keys = competition.applicants_keys.select_related("created_by").order_by(
                "-created_at", "-pk"
            )
            return Response(ApplicantsKeySerializer(keys, many=True).data)
        body = ApplicantsKeySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        key, secret = services.create_key(
            competition=competition, by=caller(request), name=body.validated_data["name"]
        )
        created = {**ApplicantsKeySerializer(key).data, "key": secret}
        return Response(created, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Revoke an applicants key",
        description="From now on the key reads nothing (401). The key stays listed, with "
        "when it was revoked. Audited. Organizers of the competition only.",
        parameters=[KEY_ID],
        request=None,
        responses={204: None},
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"applicants_keys/(?P<key_id>[0-9]+)",
        url_name="applicants-key",
    )
    def revoke_applicants_key(
        self, request: Request, pk: str | None = None, key_id: str | None = None
    ) -> Response:
        competition = self._organized_competition()
        key = competition.applicants_keys.filter(pk=int(key_id or 0)).first()
        if key is None:
            raise exceptions.NotFound("this competition has no such key")
        services.revoke_key(key, by=caller(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="List a competition's applicants",
        description="Every registration of the competition, oldest first, with the user's "
        "name and address, the status and reason, the terms accepted, the latest answers and "
        "every application: what an external system (the seed's custom API with a key and a "
        "form id: the competition's id) reads with `Authorization: Key <key>`. Organizers "
        "may read it signed in. 401 for an unknown or revoked key; 404 for a key of another "
        "competition. Paginated with `limit` and `offset`.",
        parameters=[APPLICANT_STATUS],
        responses=ParticipantSerializer(many=True),
        examples=[ex.response(ex.PARTICIPANT)],
    )
    @action(
        detail=True,
        methods=["get"],
        authentication_classes=[
            ApplicantsKeyAuthentication,
            *api_settings.DEFAULT_AUTHENTICATION_CLASSES,
        ],
    )
    def applicants(self, request: Request, pk: str | None = None) -> Response:
        if isinstance(request.auth, ApplicantsKey):
            if str(request.auth.competition_id) != str(pk):
                raise exceptions.NotFound("this key reads another competition's applicants")
            competition = Competition.objects.get(pk=request.auth.competition_id)
        else:
            competition = self._organized_competition()
        chosen = api.query_filters(request, ParticipantFilterSerializer)
        rows = services.applicants(competition, status=chosen.get("status"))
        return api.paginated(self, rows, lambda page: ParticipantSerializer(page, many=True).data)

    @extend_schema(
        summary="Send email to all the participants",
        description="An organizer writes to a group of the competition's registrations: "
        "the approved ones by default, or those with `status` (pending, denied, revoked, or "
        "any), and with `phase`, only those who made a submission in that phase. One email "
        "per person, queued and sent in the background, with a link to stop such emails; "
        "those who stopped them are skipped and counted. Returns the record that "
        "`GET /api/competitions/{id}/emails/` lists. Audited. Organizers only.",
        request=GroupEmailSerializer,
        responses={201: OrganizerEmailSerializer},
        examples=[
            ex.request({**MESSAGE, "status": "approved"}),
            ex.response({**ex.ORGANIZER_EMAIL, "queued": 2, "sent": 0}),
        ],
    )
    @action(detail=True, methods=["post"])
    def email_all_participants(self, request: Request, pk: str | None = None) -> Response:
        competition = self._organized_competition()
        body = GroupEmailSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            record = outreach.email_participants(
                competition,
                by=caller(request),
                subject=data["subject"],
                body=data["body"],
                status=None if data["status"] == "any" else data["status"],
                phase=data.get("phase"),
            )
        except outreach.NotAPhase as exc:
            raise exceptions.ValidationError({"phase": [str(exc)]}) from None
        except outreach.OutreachError as exc:
            raise Refused(str(exc)) from None
        return Response(email_record(record), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="List the emails organizers sent",
        description="The emails the competition's organizers wrote to participants, newest "
        "first: subject, body, audience, when, who wrote it, and how many messages were "
        "sent, skipped (the recipient stopped them, or has no address), failed or are "
        "still queued. Paginated. Organizers of the competition only.",
        responses=OrganizerEmailSerializer(many=True),
        examples=[ex.response(ex.ORGANIZER_EMAIL)],
    )
    @action(detail=True, methods=["get"])
    def emails(self, request: Request, pk: str | None = None) -> Response:
        competition = self._organized_competition()
        rows = competition.organizer_emails.select_related("sender").order_by("-created_at", "-pk")
        return api.paginated(self, rows, email_records)

    @extend_schema(
        summary="Contact the organizers",
        description="Emails the competition's contact address, or else its organizers, with "
        "reply-to the caller's address, and records the request. Signed-in users who may "
        f"see the competition; at most {outreach.CONTACT_LIMIT} contact requests an hour "
        "per user (429 says when to try again).",
        request=ContactFormSerializer,
        responses={201: ContactRequestSerializer},
        examples=[
            ex.request(
                {"subject": ex.CONTACT_REQUEST["subject"], "body": ex.CONTACT_REQUEST["body"]}
            ),
            ex.response(ex.CONTACT_REQUEST),
        ],
    )
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def contact(self, request: Request, pk: str | None = None) -> Response:
        competition = self.get_object()
        return _contact(request, competition)


def _contact(request: Request, competition: Competition | None) -> Response:
    body = ContactFormSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    with refusals():
        record = outreach.contact(
            sender=caller(request),
            competition=competition,
            subject=body.validated_data["subject"],
            body=body.validated_data["body"],
        )
    return Response(ContactRequestSerializer(record).data, status=status.HTTP_201_CREATED)


PLATFORM_CONTACT = {
    "subject": "Hosting a benchmark on Podium",
    "body": "Hello, our lab would like to run a benchmark here next autumn; whom should we ask?",
}


class ContactViewSet(viewsets.GenericViewSet[Any]):
    permission_classes = [permissions.IsAuthenticated]
    serializer_class = ContactFormSerializer

    @extend_schema(
        summary="Contact the platform",
        description="Emails the platform's hosts (the PODIUM_PLATFORM_CONTACT_EMAIL address, "
        "or else the platform admins) with reply-to the caller's address, and records the "
        f"request. Signed-in users; at most {outreach.CONTACT_LIMIT} contact requests an "
        "hour per user (429 says when to try again).",
        request=ContactFormSerializer,
        responses={201: ContactRequestSerializer},
        examples=[
            ex.request(PLATFORM_CONTACT),
            ex.response({**ex.CONTACT_REQUEST, "id": 2, "competition": None, **PLATFORM_CONTACT}),
        ],
    )
    def create(self, request: Request) -> Response:
        return _contact(request, None)


def register(router: BaseRouter) -> None:
    router.register("participants", ParticipantViewSet, basename="participant")
    router.register(
        "competitions", CompetitionParticipationViewSet, basename="competition-participation"
    )
    router.register("contact", ContactViewSet, basename="contact")
