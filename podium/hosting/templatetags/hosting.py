"""Small display helpers of the host pages."""

from __future__ import annotations

import json
from typing import Any

from django import template

register = template.Library()


@register.filter
def details(value: Any) -> list[tuple[str, str]]:
    """An audit entry's details as (key, value) pairs, each value as compact JSON (strings
    bare), for a definition list; autoescaped where shown."""
    if not isinstance(value, dict):
        return [("", json.dumps(value, ensure_ascii=False))]
    return [
        (str(key), item if isinstance(item, str) else json.dumps(item, ensure_ascii=False))
        for key, item in value.items()
    ]


@register.filter
def percent_of(used: int, total: int) -> int:
    """`used` as a whole percentage of `total`, at most 100; 100 for a zero quota in use."""
    if total <= 0:
        return 100 if used > 0 else 0
    return min(100, round(used * 100 / total))
