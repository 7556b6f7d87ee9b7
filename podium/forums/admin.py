from django.contrib import admin

from podium.forums.models import Follow, Forum, Post, Revision, Thread


@admin.register(Forum)
class ForumAdmin(admin.ModelAdmin[Forum]):
    list_display = ["competition", "readers", "participants_may_post", "updated_at"]
    list_filter = ["readers", "participants_may_post"]
    raw_id_fields = ["competition"]


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin[Thread]):
    list_display = ["title", "forum", "author", "pinned", "locked", "last_activity_at"]
    list_filter = ["pinned", "locked", "deleted_as"]
    search_fields = ["title", "author__username"]
    raw_id_fields = ["forum", "author", "deleted_by"]


class RevisionInline(admin.TabularInline[Revision, Post]):
    model = Revision
    extra = 0
    readonly_fields = ["content", "replaced_at", "editor"]
    can_delete = False


@admin.register(Post)
class PostAdmin(admin.ModelAdmin[Post]):
    """Where a moderator's or an author's deletion can be reviewed: the text is kept."""

    list_display = ["pk", "thread", "author", "created_at", "edited_at", "deleted_as"]
    list_filter = ["deleted_as"]
    search_fields = ["content", "author__username"]
    raw_id_fields = ["thread", "author", "deleted_by"]
    inlines = [RevisionInline]


admin.site.register(Follow)
