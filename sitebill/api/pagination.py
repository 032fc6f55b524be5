"""Page-number pagination: `{"count", "next", "previous", "results"}`.

A page that does not exist (`?page=0`, `?page=abc`, past the end) is bad input: 400 naming
`page`, documented on every paginated operation by `document_page_errors` (a drf-spectacular
postprocessing hook).
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination

from sitebill.core.exceptions import ValidationFailed


class Pagination(PageNumberPagination):
    """`page_size` up to 2,000 (a whole SOV)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 2000

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound:
            raise ValidationFailed(
                "That page does not exist.",
                code="invalid_page",
                fields={"page": ["Give a page number from 1 to the last page."]},
            ) from None


def document_page_errors(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Every operation with a `page` parameter documents the 400 an invalid page gets."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            if not isinstance(operation, dict):
                continue
            names = {p.get("name") for p in operation.get("parameters", []) if isinstance(p, dict)}
            if "page" in names:
                operation.setdefault("responses", {}).setdefault(
                    "400",
                    {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                        "description": "Bad input: a page that does not exist, or a bad filter.",
                    },
                )
    return result
