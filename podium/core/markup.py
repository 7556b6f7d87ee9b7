"""Organizer-written Markdown or HTML, rendered through an allow-list sanitizer.

Pages and terms are stored exactly as written; only their rendering is cleaned, so an
organizer never loses text and no script, event handler, form, iframe or `javascript:`
link ever reaches a browser (HOSTILE.md A7). The Content-Security-Policy is the second
line of defence.
"""

from __future__ import annotations

import markdown
import nh3

TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "details",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align"},
    "abbr": {"title"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def render(text: str) -> str:
    """Safe HTML for `text`, which may be Markdown, HTML, or both."""
    html = markdown.markdown(text, extensions=["tables", "fenced_code", "sane_lists"])
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
