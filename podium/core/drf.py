"""The API's settings-level classes, in a module that does not import DRF's views: DRF
reads them while `rest_framework.views` itself is being imported, so they must not need it
(podium.core.api does, and re-exports them)."""

from __future__ import annotations

from typing import Any

from rest_framework.metadata import BaseMetadata
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request

# The largest id a database column holds (a signed 64-bit integer, on SQLite and PostgreSQL).
MAX_ID = 2**63 - 1


class Pagination(LimitOffsetPagination):
    """DRF's limit and offset pagination with a largest page, and an envelope in the schema whose
    example adds up: drf-spectacular wraps a list's example in the paginator's own example
    values, which DRF gives as 123 results and links to an "accounts" endpoint. Here a page
    holds the one result its example shows, and has no other page.

    A `limit` beyond `max_limit` gives `max_limit` rows: no request makes the database fetch
    more at once (and no number too large for it reaches it)."""

    max_limit = 1000

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        envelope: dict[str, Any] = super().get_paginated_response_schema(schema)
        properties = envelope["properties"]
        properties["count"]["example"] = 1
        properties["next"]["example"] = None
        properties["previous"]["example"] = None
        return envelope


class Metadata(BaseMetadata):
    """What OPTIONS answers: the endpoint's name, description and formats. The fields and
    their rules are in the OpenAPI schema, which this points to, rather than in a second,
    partial description built from serializers."""

    def determine_metadata(self, request: Request, view: Any) -> dict[str, Any]:
        return {
            "name": view.get_view_name(),
            "description": view.get_view_description(),
            "renders": [renderer.media_type for renderer in view.renderer_classes],
            "parses": [parser.media_type for parser in view.parser_classes],
            "schema": "/api/schema/",
        }
