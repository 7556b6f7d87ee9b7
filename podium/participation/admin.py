from django.contrib import admin

from podium.participation.models import (
    AllowedEmail,
    ApplicantsKey,
    Application,
    ContactRequest,
    OrganizerEmail,
    Participant,
    Question,
)


class ApplicationInline(admin.TabularInline[Application, Participant]):
    model = Application
    extra = 0
    fields = ("number", "submitted_at", "status", "reason", "terms_accepted_at", "answers")
    readonly_fields = fields
    can_delete = False


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin[Participant]):
    list_display = ["user", "competition", "status", "created_at", "decided_at"]
    list_filter = ["status"]
    search_fields = ["user__username", "competition__title"]
    raw_id_fields = ["user", "competition", "organization", "decided_by"]
    inlines = [ApplicationInline]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin[Question]):
    list_display = ["competition", "index", "key", "kind", "required"]
    raw_id_fields = ["competition"]


@admin.register(AllowedEmail)
class AllowedEmailAdmin(admin.ModelAdmin[AllowedEmail]):
    list_display = ["competition", "value", "created_at"]
    search_fields = ["value"]
    raw_id_fields = ["competition", "created_by"]


@admin.register(ApplicantsKey)
class ApplicantsKeyAdmin(admin.ModelAdmin[ApplicantsKey]):
    list_display = ["competition", "name", "prefix", "created_at", "revoked_at", "last_used_at"]
    readonly_fields = ["digest", "prefix"]
    raw_id_fields = ["competition", "created_by", "revoked_by"]


@admin.register(OrganizerEmail)
class OrganizerEmailAdmin(admin.ModelAdmin[OrganizerEmail]):
    list_display = ["competition", "subject", "sender", "recipients", "created_at"]
    raw_id_fields = ["competition", "sender"]


@admin.register(ContactRequest)
class ContactRequestAdmin(admin.ModelAdmin[ContactRequest]):
    list_display = ["sender_name", "competition", "subject", "created_at"]
    search_fields = ["sender_name", "sender_email", "subject"]
    raw_id_fields = ["sender", "competition"]
