from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from podium.accounts.models import ApiToken, Profile, User


class ProfileInline(admin.StackedInline[Profile, User]):
    model = Profile


class ApiTokenInline(admin.TabularInline[ApiToken, User]):
    """Tokens can be seen and revoked here, never read: only their hashes are stored."""

    model = ApiToken
    fields = ["name", "created", "last_used"]
    readonly_fields = ["name", "created", "last_used"]
    extra = 0
    can_delete = True

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(User)
class PodiumUserAdmin(UserAdmin[User]):
    inlines = [ProfileInline, ApiTokenInline]
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("Storage", {"fields": ("quota_bytes",)}),
        ("Terms", {"fields": ("terms_accepted_at",)}),
    )
    readonly_fields = ["terms_accepted_at"]
