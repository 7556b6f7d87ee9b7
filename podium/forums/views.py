"""`/forums/<competition>/`: a competition's forum in the browser. The thread list, a
thread with its posts, starting a thread, replying, editing one's post, following, and the
organizers' moderation (pin, lock, delete) and settings.

Who may do what is `rules.access` and the services, as in the forums API: a competition the
viewer may not see, or a forum turned off, is not found; a forum open to participants only
asks anonymous visitors to log in and tells others why they may not read it. Every change is
one service call; a refusal says why with its status (403, 409, 429, 400 for the text) and
changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from podium.accounts.models import User
from podium.competitions.models import Competition
from podium.forums import rules, services
from podium.forums.forms import EditForm, PostForm, SettingsForm, ThreadForm
from podium.forums.models import Post, Thread
from podium.forums.rendering import TooComplex

THREAD_PAGE_SIZE = 25
POST_PAGE_SIZE = 30


class Forum:
    """The competition and the viewer's standing in its forum, once per request."""

    def __init__(self, request: HttpRequest, pk: int) -> None:
        visible = Competition.objects.visible_to(request.user).select_related("forum")
        self.competition: Competition = get_object_or_404(visible, pk=pk)
        self.access = rules.access(request.user, self.competition)
        if not self.access.enabled:
            raise Http404("the forum of this competition is turned off")

    def thread(self, request: HttpRequest, thread_pk: int) -> Thread:
        shown = Thread.objects.shown().annotated(request.user)
        thread: Thread = get_object_or_404(
            shown.filter(forum__competition=self.competition), pk=thread_pk
        )
        thread.forum.competition = self.competition
        return thread

    def post(self, post_pk: int) -> Post:
        found: Post = get_object_or_404(
            Post.objects.select_related("thread__forum").filter(
                thread__forum__competition=self.competition, thread__deleted_at__isnull=True
            ),
            pk=post_pk,
        )
        found.thread.forum.competition = self.competition
        return found


def _context(forum: Forum, **more: Any) -> dict[str, Any]:
    return {"competition": forum.competition, "access": forum.access, **more}


def _unreadable(request: HttpRequest, forum: Forum) -> HttpResponse | None:
    """A page for who may not read this forum: log in, or why not; None for readers."""
    if forum.access.may_read:
        return None
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return _refused(request, forum, forum.access.read_refusal() or "", 403)


def _refused(
    request: HttpRequest, forum: Forum, message: str, status: int, back: str = ""
) -> HttpResponse:
    response = render(
        request,
        "forums/refused.html",
        _context(forum, message=message, back=back or _index_url(forum)),
        status=status,
    )
    return response


def _index_url(forum: Forum) -> str:
    return reverse("forums:index", kwargs={"pk": forum.competition.pk})


def _thread_url(thread: Thread, page: int | str | None = None, anchor: str = "") -> str:
    url = reverse(
        "forums:thread", kwargs={"pk": thread.forum.competition_id, "thread_pk": thread.pk}
    )
    if page is not None:
        url += f"?page={page}"
    return url + (f"#{anchor}" if anchor else "")


def _post_url(thread: Thread, post: Post) -> str:
    """The address of `post` on its page of the thread."""
    before = Q(created_at__lt=post.created_at) | Q(created_at=post.created_at, pk__lte=post.pk)
    position = Post.objects.filter(before, thread=thread).count()
    return _thread_url(thread, (max(position, 1) - 1) // POST_PAGE_SIZE + 1, f"post-{post.pk}")


def _author(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _signed_in(request: HttpRequest) -> HttpResponse | None:
    if request.user.is_authenticated:
        return None
    return redirect_to_login(request.get_full_path())


def _refusal_status(exc: Exception) -> int:
    if isinstance(exc, services.ForumClosed):
        raise Http404(str(exc))
    if isinstance(exc, services.TooFast):
        return 429
    if isinstance(exc, services.Conflict):
        return 409
    return 403


def _sentence(reason: object) -> str:
    """A service's reason ("only its author may...") as a sentence of its own."""
    text = str(reason)
    return f"{text[:1].upper()}{text[1:]}."


def _refusal(
    request: HttpRequest, forum: Forum, exc: services.ForumError, back: str = ""
) -> HttpResponse:
    status = _refusal_status(exc)
    response = _refused(request, forum, _sentence(exc), status, back)
    if isinstance(exc, services.TooFast):
        response["Retry-After"] = str(exc.wait)
    return response


def _text_refused(form: forms.Form, exc: rules.TextInvalid | TooComplex, field: str = "") -> None:
    """Why the text was refused, on its field (`field`, else the one the rule names): a
    rule's reason as a sentence, the renderer's as it is."""
    if isinstance(exc, rules.TextInvalid):
        form.add_error(field or exc.field, _sentence(exc))
    else:
        form.add_error("content", str(exc))


def _writer(request: HttpRequest, pk: int) -> Forum | HttpResponse:
    """The forum, for a signed-in reader; else the page that says to log in, or why not."""
    forum = Forum(request, pk)
    return _signed_in(request) or _unreadable(request, forum) or forum


# Reading


def index(request: HttpRequest, pk: int) -> HttpResponse:
    forum = Forum(request, pk)
    unreadable = _unreadable(request, forum)
    if unreadable is not None:
        return unreadable
    threads = Thread.objects.listed(request.user).filter(forum__competition=forum.competition)
    page = Paginator(threads, THREAD_PAGE_SIZE).get_page(request.GET.get("page"))
    settings_form = None
    if forum.access.moderator:
        settings_form = SettingsForm(
            initial={
                "readers": forum.access.forum.readers,
                "participants_may_post": forum.access.forum.participants_may_post,
            }
        )
    return render(
        request,
        "forums/index.html",
        _context(
            forum,
            page=page,
            post_refusal=forum.access.post_refusal(),
            settings_form=settings_form,
        ),
    )


def thread(request: HttpRequest, pk: int, thread_pk: int) -> HttpResponse:
    forum = Forum(request, pk)
    unreadable = _unreadable(request, forum)
    if unreadable is not None:
        return unreadable
    found = forum.thread(request, thread_pk)
    return _thread_page(request, forum, found)


def _thread_page(
    request: HttpRequest,
    forum: Forum,
    found: Thread,
    *,
    form: PostForm | None = None,
    status: int = 200,
) -> HttpResponse:
    posts = found.posts.select_related("author").order_by("created_at", "pk")
    paginator = Paginator(posts, POST_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page") if form is None else paginator.num_pages)
    competition = forum.competition
    organizers = {
        competition.created_by_id,
        *competition.collaborators.values_list("pk", flat=True),
    }
    return render(
        request,
        "forums/thread.html",
        _context(
            forum,
            thread=found,
            page=page,
            organizers=organizers,
            form=form or PostForm(),
            reply_refusal=forum.access.reply_refusal(found),
            viewer=request.user.pk,
        ),
        status=status,
    )


# Writing


def new_thread(request: HttpRequest, pk: int) -> HttpResponse:
    forum = _writer(request, pk)
    if isinstance(forum, HttpResponse):
        return forum
    refusal = forum.access.post_refusal()
    if refusal is not None:
        return _refused(request, forum, _sentence(refusal), 403)
    form = ThreadForm(request.POST or None)
    status = 400 if form.is_bound and not form.is_valid() else 200
    if form.is_bound and form.is_valid():
        try:
            started = services.start_thread(
                competition=forum.competition,
                by=_author(request),
                title=form.cleaned_data["title"],
                content=form.cleaned_data["content"],
            )
        except (rules.TextInvalid, TooComplex) as exc:
            _text_refused(form, exc)
            status = 400
        except services.ForumError as exc:
            return _refusal(request, forum, exc)
        else:
            messages.success(request, "Your thread is started; you follow it.")
            started.forum.competition = forum.competition
            return redirect(_thread_url(started))
    return render(request, "forums/new_thread.html", _context(forum, form=form), status=status)


@require_POST
def reply(request: HttpRequest, pk: int, thread_pk: int) -> HttpResponse:
    found = _thread_action(request, pk, thread_pk)
    if isinstance(found, HttpResponse):
        return found
    forum, thread = found
    form = PostForm(request.POST)
    if not form.is_valid():
        return _thread_page(request, forum, thread, form=form, status=400)
    try:
        post = services.reply(
            thread=thread, by=_author(request), content=form.cleaned_data["content"]
        )
    except (rules.TextInvalid, TooComplex) as exc:
        _text_refused(form, exc)
        return _thread_page(request, forum, thread, form=form, status=400)
    except services.ForumError as exc:
        return _refusal(request, forum, exc, back=_thread_url(thread))
    messages.success(request, "Your reply is posted.")
    return redirect(_post_url(thread, post))


def edit_post(request: HttpRequest, pk: int, post_pk: int) -> HttpResponse:
    found = _post_action(request, pk, post_pk)
    if isinstance(found, HttpResponse):
        return found
    forum, post, back = found
    if post.author_id != request.user.pk:
        return _refused(request, forum, "Only its author may edit a post.", 403, back)
    form = EditForm(request.POST or None, initial={"content": post.content})
    status = 400 if form.is_bound and not form.is_valid() else 200
    if form.is_bound and form.is_valid():
        try:
            services.edit_post(post=post, by=_author(request), content=form.cleaned_data["content"])
        except (rules.TextInvalid, TooComplex) as exc:
            _text_refused(form, exc, "content")
            status = 400
        except services.ForumError as exc:
            return _refusal(request, forum, exc, back=back)
        else:
            messages.success(request, "Your post is saved.")
            return redirect(_post_url(post.thread, post))
    return render(
        request,
        "forums/edit_post.html",
        _context(forum, form=form, post=post, thread=post.thread, back=back),
        status=status,
    )


# Following and moderation: one POST each, then back to the thread


def _thread_action(
    request: HttpRequest, pk: int, thread_pk: int
) -> tuple[Forum, Thread] | HttpResponse:
    forum = _writer(request, pk)
    if isinstance(forum, HttpResponse):
        return forum
    return forum, forum.thread(request, thread_pk)


def _post_action(
    request: HttpRequest, pk: int, post_pk: int
) -> tuple[Forum, Post, str] | HttpResponse:
    """The forum, the post, and the address of its thread to go back to."""
    forum = _writer(request, pk)
    if isinstance(forum, HttpResponse):
        return forum
    post = forum.post(post_pk)
    return forum, post, _thread_url(post.thread)


def _act(
    request: HttpRequest,
    forum: Forum,
    act: Callable[[], object],
    *,
    back: str,
    said: str,
    then: str,
) -> HttpResponse:
    """`act()`, then to `then` saying what was done; a refusal says why, with a link `back`."""
    try:
        act()
    except services.ForumError as exc:
        return _refusal(request, forum, exc, back=back)
    messages.success(request, said)
    return redirect(then)


@require_POST
def follow(request: HttpRequest, pk: int, thread_pk: int) -> HttpResponse:
    found = _thread_action(request, pk, thread_pk)
    if isinstance(found, HttpResponse):
        return found
    forum, target = found
    on = request.POST.get("follow") == "on"
    back = _thread_url(target)
    return _act(
        request,
        forum,
        lambda: (services.follow if on else services.unfollow)(thread=target, by=_author(request)),
        back=back,
        said="You follow this thread: each new post is mailed to you."
        if on
        else "You no longer follow this thread.",
        then=back,
    )


MODERATION = {
    "pin": (services.pin, services.unpin, "Thread pinned to the top.", "Thread unpinned."),
    "lock": (
        services.lock,
        services.unlock,
        "Thread locked: only moderators may post in it.",
        "Thread unlocked.",
    ),
}


@require_POST
def moderate(request: HttpRequest, pk: int, thread_pk: int, change: str) -> HttpResponse:
    found = _thread_action(request, pk, thread_pk)
    if isinstance(found, HttpResponse):
        return found
    forum, target = found
    on, off, said_on, said_off = MODERATION[change]
    turn_on = request.POST.get("set") == "on"
    back = _thread_url(target)
    return _act(
        request,
        forum,
        lambda: (on if turn_on else off)(thread=target, by=_author(request)),
        back=back,
        said=said_on if turn_on else said_off,
        then=back,
    )


@require_POST
def delete_thread(request: HttpRequest, pk: int, thread_pk: int) -> HttpResponse:
    found = _thread_action(request, pk, thread_pk)
    if isinstance(found, HttpResponse):
        return found
    forum, target = found
    return _act(
        request,
        forum,
        lambda: services.delete_thread(thread=target, by=_author(request)),
        back=_thread_url(target),
        said=f"Thread “{target.title}” deleted.",
        then=_index_url(forum),
    )


@require_POST
def delete_post(request: HttpRequest, pk: int, post_pk: int) -> HttpResponse:
    found = _post_action(request, pk, post_pk)
    if isinstance(found, HttpResponse):
        return found
    forum, post, back = found
    return _act(
        request,
        forum,
        lambda: services.delete_post(post=post, by=_author(request)),
        back=back,
        said="Post deleted.",
        then=_post_url(post.thread, post),
    )


@require_POST
def forum_settings(request: HttpRequest, pk: int) -> HttpResponse:
    forum = Forum(request, pk)
    unreadable = _signed_in(request)
    if unreadable is not None:
        return unreadable
    form = SettingsForm(request.POST)
    if not form.is_valid():
        return _refused(request, forum, "Choose who may read the forum.", 400)
    try:
        services.update_settings(
            competition=forum.competition,
            by=_author(request),
            readers=form.cleaned_data["readers"],
            participants_may_post=form.cleaned_data["participants_may_post"],
        )
    except services.ForumError as exc:
        return _refusal(request, forum, exc)
    messages.success(request, "The forum's settings are saved.")
    return redirect(_index_url(forum))
