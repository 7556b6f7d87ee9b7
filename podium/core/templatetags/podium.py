import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from podium.core import markup

register = template.Library()


@register.filter
def sanitized(text: str) -> SafeString:
    """Renders organizer-written Markdown/HTML through the allow-list sanitizer."""
    return mark_safe(markup.render(text))  # noqa: S308 - the sanitizer's output is safe


HEADING = re.compile(r"<(/?)h([1-6])>")


@register.filter
def sanitized_under(text: str, level: int) -> SafeString:
    """Sanitized like `sanitized`, its headings moved below a heading of `level`: an
    organizer's "# Title" inside a page section is not a second title of the whole page.
    The sanitizer leaves no attribute on headings, so each is exactly <hN> and </hN>."""

    def lower(match: re.Match[str]) -> str:
        return f"<{match[1]}h{min(int(match[2]) + int(level), 6)}>"

    return mark_safe(HEADING.sub(lower, markup.render(text)))  # noqa: S308 - sanitized


@register.simple_tag
def account_url(name: str, fallback: str) -> str:
    """The address of an accounts page by its URL name, or `fallback` where the accounts
    app does not name it (the pages do not depend on how accounts are set up)."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return fallback


@register.simple_tag
def moment(value: datetime | None, empty: str = "") -> SafeString:
    """A moment in UTC, said so; podium.js shows it in the viewer's time zone and keeps the
    UTC time in its tooltip."""
    if value is None:
        return format_html("{}", empty)
    utc = value.astimezone(UTC)
    return format_html(
        '<time datetime="{}" data-local title="{} UTC">{} UTC</time>',
        utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        utc.strftime("%Y-%m-%d %H:%M"),
        utc.strftime("%Y-%m-%d %H:%M"),
    )


@register.filter
def figure_cells(cells: Iterable[Any]) -> SafeString:
    """Table cells of figures, each its `text` with its `exact` value as a tooltip. One
    filter for what a loop of template nodes would do per cell: a leaderboard page holds
    hundreds of them."""
    return format_html_join(
        "", '<td class="num" title="{}">{}</td>', ((cell.exact, cell.text) for cell in cells)
    )
