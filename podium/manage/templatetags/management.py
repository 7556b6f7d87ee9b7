"""Template tags of the organizers' pages: the competition's menu, whose links to pages
another part of the app may not have yet are left out rather than broken."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse

from podium.manage import wizard

register = template.Library()


@dataclass(frozen=True)
class Link:
    label: str
    href: str
    current: bool


# (heading, [(URL name, in `manage` unless it names its namespace, label)]): the
# competition's sections. Its settings are the wizard's steps, its overview first.
SECTIONS = (
    (
        "Settings",
        (
            ("competition", "Overview"),
            *((name, title) for name, title in wizard.ORDER if name != "competition"),
            ("collaborators", "Collaborators"),
        ),
    ),
    (
        "Running it",
        (
            ("participants", "Participants"),
            ("submissions", "Submissions"),
            ("emails", "Emails"),
            ("queues", "Queues"),
            ("forums:index", "Forum"),
        ),
    ),
    ("Dumps", (("dumps", "Bundle and results"),)),
)


@register.simple_tag
def optional_url(name: str, *args: Any) -> str:
    """The address of a page by URL name, or '' where no page has that name (yet)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _is_current(section: str, current: str) -> bool:
    """A section is current on its own page and on the pages of one of its items
    (`phases` on `phase-edit`...)."""
    singular = section.removesuffix("s")
    return current in (section, singular) or current.startswith(f"{singular}-")


@register.simple_tag(takes_context=True)
def competition_menu(context: template.Context, competition: Any) -> list[tuple[str, list[Link]]]:
    """The competition's sections that exist, each link marked when it is the page shown."""
    match = getattr(context.get("request"), "resolver_match", None)
    current = match.url_name if match is not None and match.namespace == "manage" else ""
    menu = []
    for heading, sections in SECTIONS:
        links = [
            Link(label, href, _is_current(name, current or ""))
            for name, label in sections
            if (name != "forums:index" or competition.forum_enabled)
            and (href := optional_url(name if ":" in name else f"manage:{name}", competition.pk))
        ]
        if links:
            menu.append((heading, links))
    return menu


@register.filter
def filesize(size: int | None) -> str:
    """Bytes as people read them: 812 B, 3.4 KiB, 12.0 MiB."""
    value = float(size or 0)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"
