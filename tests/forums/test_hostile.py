"""Hostile posts and titles (HOSTILE.md A7, C25): each input with its verdict next to it.

Posts are stored as written and shown through the project's one sanitizer; what cannot be
stored or shown is refused with a message that names the field and the limit.
"""

from __future__ import annotations

import pytest

from podium.forums import rendering, rules
from podium.forums.models import Post, Thread
from tests.forums.conftest import make_thread

pytestmark = pytest.mark.django_db

REL = 'rel="noopener noreferrer nofollow"'

# (what a participant writes, the HTML every reader gets)
SANITIZED = [
    ("<script>alert(1)</script>Hello", "\n<p>Hello</p>"),
    ("Hello <script src=https://evil.example/x.js></script>", "<p>Hello </p>"),
    ('<iframe src="https://evil.example"></iframe>text', "\n<p>text</p>"),
    ("[click](javascript:alert(1))", f"<p><a {REL}>click</a></p>"),
    ("[click](JaVaScRiPt:alert(1))", f"<p><a {REL}>click</a></p>"),
    ('<a href="javascript:alert(1)">x</a>', f"<p><a {REL}>x</a></p>"),
    ('<a href="&#106;avascript:alert(1)">x</a>', f"<p><a {REL}>x</a></p>"),
    ('<div><a href="vbscript:msgbox(1)">v</a></div>', f"<div><a {REL}>v</a></div>"),
    ('<img src="x" onerror="alert(1)">', '<p><img src="x"></p>'),
    ('<p onclick="alert(1)" style="color:red">hi</p>', "<p>hi</p>"),
    ("![pic](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)", '<p><img alt="pic"></p>'),
    ('<svg onload="alert(1)"><circle/></svg>', "<p></p>"),
    ('<form action="https://evil.example"><input name=a></form>', ""),
    ('<object data="x.swf"></object><embed src="x.swf">', "\n<p></p>"),
    ("<style>body{display:none}</style>styled", "\n<p>styled</p>"),
    ("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", ""),
    ("<!-- <script>alert(1)</script> -->kept", "\n<p>kept</p>"),
    ('<base href="https://evil.example/">', "<p></p>"),
    ('<meta http-equiv="refresh" content="0;url=https://evil.example">', "<p></p>"),
    (
        '<a href="https://example.org" target="_blank">ok</a>',
        f'<p><a href="https://example.org" {REL}>ok</a></p>',
    ),
    (
        "**bold**, `code <b>`\n\n```\n<script>x</script>\n```",
        "<p><strong>bold</strong>, <code>code &lt;b&gt;</code></p>\n"
        "<pre><code>&lt;script&gt;x&lt;/script&gt;\n</code></pre>",
    ),
]


@pytest.mark.parametrize(("content", "shown"), SANITIZED)
def test_a_post_is_kept_as_written_and_shown_sanitized(
    content, shown, api, participant, competition
):
    thread = make_thread(competition=competition, author=participant)

    response = api(participant).post(
        f"/api/forum_threads/{thread.pk}/posts/", {"content": content}, format="json"
    )

    assert response.status_code == 201, response.content
    assert (response.json()["content"], response.json()["html"]) == (content, shown)
    post = Post.objects.get(pk=response.json()["id"])
    assert (post.content, post.html) == (content, shown)


@pytest.mark.parametrize(("content", "shown"), SANITIZED[:6])
def test_an_edit_is_sanitized_like_a_new_post(content, shown, api, participant, competition):
    post = make_thread(competition=competition, author=participant).posts.get()

    response = api(participant).patch(
        f"/api/forum_posts/{post.pk}/", {"content": content}, format="json"
    )

    assert (response.status_code, response.json()["html"]) == (200, shown)


# (title as sent, the title stored) and (title as sent, the error on `title`)
TITLES = [
    ("Line one\nline two", "Line one line two"),
    ("  tabs\tand\r\nreturns  ", "tabs and returns"),
    ("Unicode\u2028line separator", "Unicode line separator"),
    ("<script>alert(1)</script>", "<script>alert(1)</script>"),  # a title is text, never HTML
    ("x" * 200, "x" * 200),
]
BAD_TITLES = [
    ("x" * 201, "the title has 201 characters; at most 200"),
    (" \n\t ", "This field may not be blank."),
    ("bell\x07", "the title holds the control character U+0007"),
    ("null\x00byte", "Null characters are not allowed."),
    ("\x00", "Null characters are not allowed."),
]


@pytest.mark.parametrize(("title", "stored"), TITLES)
def test_a_title_is_one_line_of_text(title, stored, api, participant, competition):
    response = api(participant).post(
        "/api/forum_threads/",
        {"competition": competition.pk, "title": title, "content": "Body."},
        format="json",
    )

    assert (response.status_code, response.json()["title"]) == (201, stored)
    assert Thread.objects.get().title == stored


@pytest.mark.parametrize(("title", "error"), BAD_TITLES)
def test_a_bad_title_is_refused_naming_the_problem(title, error, api, participant, competition):
    response = api(participant).post(
        "/api/forum_threads/",
        {"competition": competition.pk, "title": title, "content": "Body."},
        format="json",
    )

    assert (response.status_code, response.json()) == (400, {"title": [error]})
    assert (Thread.objects.count(), Post.objects.count()) == (0, 0)


BAD_POSTS = [
    ("x" * 20_001, "the post has 20,001 characters; at most 20,000"),
    ("x" * 2_000_000, "the post has 2,000,000 characters; at most 20,000"),
    ("   \n\n  ", "the post is empty"),
    ("escape \x1b[31mred", "the post holds the control character U+001B"),
    ("nul \x00", "Null characters are not allowed."),
]


@pytest.mark.parametrize(("content", "error"), BAD_POSTS, ids=lambda value: str(value)[:20])
def test_a_bad_post_is_refused_naming_the_limit(content, error, api, participant, competition):
    thread = make_thread(competition=competition, author=participant)

    response = api(participant).post(
        f"/api/forum_threads/{thread.pk}/posts/", {"content": content}, format="json"
    )

    assert (response.status_code, response.json()) == (400, {"content": [error]})
    assert Post.objects.count() == 1


def test_a_request_body_over_djangos_limit_is_a_bad_request(api, participant, competition):
    thread = make_thread(competition=competition, author=participant)

    response = api(participant).post(
        f"/api/forum_threads/{thread.pk}/posts/", {"content": "x" * 3_000_000}, format="json"
    )

    assert response.status_code == 400
    assert Post.objects.count() == 1


def test_indentation_is_markdown_and_kept(api, participant, competition):
    thread = make_thread(competition=competition, author=participant)

    response = api(participant).post(
        f"/api/forum_threads/{thread.pk}/posts/", {"content": "    x = 1\n"}, format="json"
    )

    assert response.json()["html"] == "<pre><code>x = 1\n</code></pre>"


def test_a_post_of_exactly_the_limit_is_accepted(api, participant, competition):
    thread = make_thread(competition=competition, author=participant)

    response = api(participant).post(
        f"/api/forum_threads/{thread.pk}/posts/", {"content": "y" * 20_000}, format="json"
    )

    assert response.status_code == 201
    assert len(Post.objects.get(pk=response.json()["id"]).content) == 20_000


def test_a_lone_surrogate_is_refused_not_stored(participant, competition):
    with pytest.raises(rules.TextInvalid, match=r"the post holds the control character U\+D800"):
        rules.clean_content("broken \ud800 text")
    with pytest.raises(rules.TextInvalid, match=r"the title holds the control character U\+DFFF"):
        rules.clean_title("broken \udfff title")


# Markdown that Python-Markdown renders in minutes (issues 798 and 1130): refused at the
# time limit, the child that rendered it killed, and nothing saved.
SLOW = [
    "[" * 20_000,
    "```" + " " * 19_990,
    "[" * 1_000 + "a" * 19_000,
]


@pytest.mark.parametrize("content", SLOW, ids=["brackets", "fence and spaces", "brackets, text"])
def test_markdown_too_slow_to_render_is_refused_at_the_time_limit(
    content, api, participant, competition, monkeypatch
):
    monkeypatch.setattr(rendering, "RENDER_SECONDS", 0.5)
    thread = make_thread(competition=competition, author=participant)

    response = api(participant).post(
        f"/api/forum_threads/{thread.pk}/posts/", {"content": content}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "content": [
            "this post is too complex to render within 0.5 seconds: simplify its Markdown "
            "(unclosed brackets, long runs of spaces)"
        ]
    }
    assert Post.objects.count() == 1


def test_the_renderer_works_on_after_a_child_was_killed():
    assert rendering.render("fine *text*") == "<p>fine <em>text</em></p>"
    with pytest.raises(rendering.TooComplex, match=r"too complex to render within 0\.01 seconds"):
        rendering.render("[" * 20_000, seconds=0.01)
    assert rendering.render("still **fine**") == "<p>still <strong>fine</strong></p>"
