from django import template
from django.utils.safestring import SafeString, mark_safe

from podium.core import markup

register = template.Library()


@register.filter
def sanitized(text: str) -> SafeString:
    """Renders organizer-written Markdown/HTML through the allow-list sanitizer."""
    return mark_safe(markup.render(text))  # noqa: S308 - the sanitizer's output is safe
