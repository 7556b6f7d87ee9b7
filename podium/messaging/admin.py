from django.contrib import admin

from podium.messaging.models import Message, Preferences, Unsubscription


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin[Message]):
    list_display = ["created", "category", "to", "subject", "status", "attempts"]
    list_filter = ["status", "category"]
    search_fields = ["to", "subject"]
    readonly_fields = [field.name for field in Message._meta.fields]


admin.site.register(Preferences)
admin.site.register(Unsubscription)
