from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from podium.accounts.models import Profile, User


class ProfileInline(admin.StackedInline[Profile, User]):
    model = Profile


@admin.register(User)
class PodiumUserAdmin(UserAdmin[User]):
    inlines = [ProfileInline]
    fieldsets = (*(UserAdmin.fieldsets or ()), ("Storage", {"fields": ("quota_bytes",)}))
