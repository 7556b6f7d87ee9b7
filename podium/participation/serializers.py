"""What the participation API reads and writes."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from podium.competitions.models import Competition
from podium.competitions.serializers import VisibleRelatedField
from podium.core.drf import MAX_ID
from podium.participation.models import (
    ApplicantsKey,
    Application,
    ContactRequest,
    OrganizerEmail,
    Participant,
)
from podium.participation.rules import KINDS

ANSWERS_HELP = (
    "The registration form's answers keyed by question key: text for text questions, one "
    "of the choices for a single choice, a list of choices for a multiple choice, true or "
    "false for a checkbox."
)
TERMS_HELP = "true to accept the competition's terms; required when it has terms."
TERMS_SHA256_HELP = (
    "The SHA-256 of the terms read (GET .../registration_form/ gives it): refused when the "
    "terms changed since. Optional."
)


class ApplicationSerializer(serializers.ModelSerializer[Application]):
    decided_by = serializers.CharField(
        source="decided_by.username", read_only=True, allow_null=True, default=None
    )
    questions = serializers.ListField(
        child=serializers.DictField(), read_only=True, help_text="The form as it was asked."
    )
    answers = serializers.DictField(read_only=True, help_text="Answers by question key.")

    class Meta:
        model = Application
        fields = [
            "number",
            "submitted_at",
            "updated_at",
            "status",
            "reason",
            "decided_by",
            "decided_at",
            "approved_by_rule",
            "terms_sha256",
            "terms_accepted_at",
            "questions",
            "answers",
        ]
        read_only_fields = fields


class ParticipantSerializer(serializers.ModelSerializer[Participant]):
    user = serializers.CharField(source="user.username", read_only=True)
    email = serializers.CharField(source="user.email", read_only=True)
    decided_by = serializers.CharField(
        source="decided_by.username", read_only=True, allow_null=True, default=None
    )
    answers = serializers.SerializerMethodField(
        help_text="The latest application's answers, by question key (empty without one)."
    )
    terms_accepted_at = serializers.SerializerMethodField(
        help_text="When the latest application accepted the terms (null without one)."
    )
    terms_sha256 = serializers.SerializerMethodField(
        help_text="SHA-256 of the terms the latest application accepted."
    )
    applications = ApplicationSerializer(
        many=True, read_only=True, help_text="Every application, the first one first."
    )

    class Meta:
        model = Participant
        fields = [
            "id",
            "user",
            "email",
            "competition",
            "status",
            "reason",
            "organization",
            "decided_by",
            "decided_at",
            "created_at",
            "answers",
            "terms_accepted_at",
            "terms_sha256",
            "applications",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_answers(self, participant: Participant) -> dict[str, Any]:
        latest = participant.latest_application()
        return dict(latest.answers) if latest is not None else {}

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_terms_accepted_at(self, participant: Participant) -> Any:
        latest = participant.latest_application()
        if latest is None or latest.terms_accepted_at is None:
            return None
        return serializers.DateTimeField().to_representation(latest.terms_accepted_at)

    def get_terms_sha256(self, participant: Participant) -> str:
        latest = participant.latest_application()
        return latest.terms_sha256 if latest is not None else ""


class ParticipantFilterSerializer(serializers.Serializer[Any]):
    competition = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text="Only the registrations of this competition.",
    )
    status = serializers.ChoiceField(
        choices=Participant.Status.choices,
        required=False,
        help_text="Only the registrations with this status.",
    )
    mine = serializers.BooleanField(
        required=False, default=False, help_text="Only the caller's own registrations."
    )


class ReasonSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(
        max_length=2000, help_text="Why; the participant reads it. Required."
    )


@extend_schema_field(OpenApiTypes.INT)
class CompetitionField(VisibleRelatedField):
    """A competition by id, among those the caller may see."""


class ParticipantCreateSerializer(serializers.Serializer[Any]):
    competition = CompetitionField(model=Competition, help_text="The competition's id.")
    user = serializers.CharField(
        required=False,
        max_length=254,
        help_text="Organizers: the username or email address of the user to add. Leave it "
        "out to register yourself.",
    )
    accept_terms = serializers.BooleanField(default=False, help_text=TERMS_HELP)
    terms_sha256 = serializers.CharField(required=False, max_length=64, help_text=TERMS_SHA256_HELP)
    answers = serializers.DictField(required=False, help_text=ANSWERS_HELP)


DECISIONS = [Participant.Status.APPROVED, Participant.Status.DENIED, Participant.Status.REVOKED]


class ParticipantUpdateSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(
        choices=DECISIONS,
        required=False,
        help_text="Organizers: the decision. denied and revoked need a reason.",
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Organizers: why (denied, revoked); the participant reads it.",
    )
    answers = serializers.DictField(
        required=False, help_text="The participant: corrected answers. " + ANSWERS_HELP
    )
    accept_terms = serializers.BooleanField(default=False, help_text=TERMS_HELP)
    terms_sha256 = serializers.CharField(required=False, max_length=64, help_text=TERMS_SHA256_HELP)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "status" in attrs and "answers" in attrs:
            raise serializers.ValidationError(
                "Send either a status (organizers) or answers (the participant), not both."
            )
        if "status" not in attrs and "answers" not in attrs:
            raise serializers.ValidationError(
                "Nothing to change: send a status (organizers) or answers (the participant)."
            )
        if "reason" in attrs and "status" not in attrs:
            raise serializers.ValidationError({"reason": "A reason goes with a status."})
        return attrs


class EmailSerializer(serializers.Serializer[Any]):
    subject = serializers.CharField(max_length=200, help_text="One line.")
    body = serializers.CharField(max_length=100_000, help_text="Plain text.")


class GroupEmailSerializer(EmailSerializer):
    status = serializers.ChoiceField(
        choices=[*Participant.Status.values, "any"],
        default=Participant.Status.APPROVED,
        help_text="Who: the registrations with this status (approved by default), or any.",
    )
    phase = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Only those who made a submission in this phase of the competition.",
    )


class OrganizerEmailSerializer(serializers.ModelSerializer[OrganizerEmail]):
    sender = serializers.CharField(
        source="sender.username", read_only=True, allow_null=True, default=None
    )
    audience = serializers.DictField(
        read_only=True,
        help_text='Who it was for: {"participant": id, "user": name} or '
        '{"status": "approved", "phase": id}.',
    )
    queued = serializers.SerializerMethodField(help_text="Messages not sent yet.")
    sent = serializers.SerializerMethodField(help_text="Messages sent.")
    skipped = serializers.SerializerMethodField(
        help_text="Recipients not mailed: they turned these emails off or have no address."
    )
    failed = serializers.SerializerMethodField(help_text="Messages the mail server refused.")

    class Meta:
        model = OrganizerEmail
        fields = [
            "id",
            "subject",
            "body",
            "sender",
            "audience",
            "created_at",
            "recipients",
            "queued",
            "sent",
            "skipped",
            "failed",
        ]
        read_only_fields = fields

    def _count(self, email: OrganizerEmail, what: str) -> int:
        delivery = self.context.get("deliveries", {}).get(email.batch)
        return int(getattr(delivery, what)) if delivery is not None else 0

    def get_queued(self, email: OrganizerEmail) -> int:
        return self._count(email, "queued")

    def get_sent(self, email: OrganizerEmail) -> int:
        return self._count(email, "sent")

    def get_skipped(self, email: OrganizerEmail) -> int:
        return self._count(email, "skipped")

    def get_failed(self, email: OrganizerEmail) -> int:
        return self._count(email, "failed")


class QuestionSerializer(serializers.Serializer[Any]):
    # Declared in get_fields: "label", "required" and "help_text" name attributes of every
    # field, a serializer included.
    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        return {
            "key": serializers.CharField(
                max_length=50,
                help_text="How answers name it: lowercase letters, digits, underscores.",
            ),
            "label": serializers.CharField(max_length=500, help_text="The question as shown."),
            "kind": serializers.ChoiceField(choices=list(KINDS), help_text="How it is answered."),
            "required": serializers.BooleanField(
                default=False, help_text="Whether it must be answered."
            ),
            "choices": serializers.ListField(
                child=serializers.CharField(max_length=200, allow_blank=True),
                default=list,
                help_text="The choices of a single or multiple choice question, in order.",
            ),
            "help_text": serializers.CharField(
                max_length=2000,
                allow_blank=True,
                default="",
                help_text="Shown under the question.",
            ),
        }


class RegistrationFormSerializer(serializers.Serializer[Any]):
    terms_sha256 = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="SHA-256 of the competition's terms as they are now; null without terms.",
    )
    auto_approve = serializers.BooleanField(
        read_only=True, help_text="Whether every registration is approved at once."
    )
    questions = QuestionSerializer(many=True, help_text="The questions, in order.")


class AllowListSerializer(serializers.Serializer[Any]):
    entries = serializers.ListField(
        child=serializers.CharField(max_length=254),
        max_length=1000,
        help_text="Addresses (ada@example.org) and domains (example.org, which also lets in "
        "its subdomains) whose users are approved at once.",
    )


class ApplicantsKeySerializer(serializers.ModelSerializer[ApplicantsKey]):
    created_by = serializers.CharField(
        source="created_by.username", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = ApplicantsKey
        fields = ["id", "name", "prefix", "created_by", "created_at", "revoked_at", "last_used_at"]
        read_only_fields = [
            "id",
            "prefix",
            "created_by",
            "created_at",
            "revoked_at",
            "last_used_at",
        ]


class CreatedKeySerializer(ApplicantsKeySerializer):
    key = serializers.CharField(
        read_only=True, help_text="The key itself: shown this once, never again."
    )

    class Meta(ApplicantsKeySerializer.Meta):
        fields = [*ApplicantsKeySerializer.Meta.fields, "key"]


class ContactFormSerializer(serializers.Serializer[Any]):
    subject = serializers.CharField(max_length=200, help_text="One line.")
    body = serializers.CharField(max_length=10_000, help_text="Your message, plain text.")


class ContactRequestSerializer(serializers.ModelSerializer[ContactRequest]):
    class Meta:
        model = ContactRequest
        fields = ["id", "competition", "subject", "body", "created_at"]
        read_only_fields = fields
