"""What the OpenAPI document's API operations share: who may call them, their
query arguments, their error answers, and the answers of a paginated list and
of a CSV export.
"""

from __future__ import annotations

from typing import Any

from server.openapi_arguments import Argument

SECURITY: list[dict[str, list[str]]] = [{"token": []}, {"session": []}]
"""An API token, or the dashboard's session."""


def operation(
    summary: str,
    parameters: list[dict[str, Any]],
    answer: dict[str, Any],
    errors: dict[str, Any],
    description: str = "",
) -> dict[str, Any]:
    """An API operation answering `answer` (200) or one of `errors`."""
    described = {"description": description} if description else {}
    return {
        "summary": summary,
        **described,
        "security": SECURITY,
        "parameters": parameters,
        "responses": {"200": answer, **errors},
    }


def page_operation(
    summary: str,
    what: str,
    item: dict[str, Any],
    arguments: tuple[Argument, ...],
    max_page: int,
    max_per_page: int,
) -> dict[str, Any]:
    """A paginated list of `what`: a page of `item`s and how many match."""
    page = {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": item, "maxItems": max_per_page},
            "total": {"type": "integer", "minimum": 0},
            "page": {"type": "integer", "minimum": 1, "maximum": max_page},
            "per_page": {"type": "integer", "minimum": 1, "maximum": max_per_page},
        },
        "required": ["items", "total", "page", "per_page"],
    }
    answer = json_answer(f"One page of {what} and the number matching the filters.", page)
    return operation(summary, query(arguments), answer, api_errors())


def csv_operation(
    summary: str, arguments: tuple[Argument, ...], description: str = ""
) -> dict[str, Any]:
    """A CSV export of what matches `arguments`."""
    answer = {
        "description": "CSV; cells starting with = + - @ are neutralised.",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
    return operation(summary, query(arguments), answer, api_errors(), description)


def query(arguments: tuple[Argument, ...]) -> list[dict[str, Any]]:
    """`arguments` as an operation's optional query parameters."""
    return [{**argument, "in": "query", "required": False} for argument in arguments]


def json_answer(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def api_errors(bad_request: bool = True) -> dict[str, Any]:
    """The error answers of every API operation (and 400 when it takes arguments)."""
    errors = {
        "401": error("No valid token or session."),
        "403": error("The caller may not use this."),
    }
    if bad_request:
        errors["400"] = error("An argument that cannot be used; `field` names it.")
    return errors


def error(description: str) -> dict[str, Any]:
    """An error answer, in the document's `Error` shape."""
    return json_answer(description, {"$ref": "#/components/schemas/Error"})
