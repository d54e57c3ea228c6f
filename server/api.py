"""The JSON and CSV API for an organisation's accounts.

    GET /api/accounts               filtered, sorted, paginated list
    GET /api/accounts/<id>          one account's detail
    GET /api/accounts.csv           every matching account, streamed CSV
    GET /api/funnel                 the identification funnel, over a period and per day
    GET /api/leads                  leads with their company's web score, paginated
    GET /api/leads.csv              every matching lead, streamed CSV

A bearer token or a signed-in session is needed (`token_or_login_required`);
rows come from the caller's organisation only, another's ids answer 404.
Errors are JSON: a filter that cannot be used answers 400 with the field at
fault. Arguments are read as `/openapi.json` declares them: an argument given
empty, or a value the document does not list (`tier=HOT`), is refused rather
than ignored, so that what a client generated from the document sends is
what the API takes. Times are ISO 8601 in UTC.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request, stream_with_context
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from server.accounts.csv_export import csv_chunks
from server.accounts.filters import parse_filters
from server.accounts.listing import account_detail, list_accounts
from server.accounts.query import find_site_id
from server.auth import current_org_id, token_or_login_required
from server.leads.export import lead_csv_chunks
from server.leads.query import LeadRow, list_leads, parse_lead_filters
from server.openapi import CSV_ARGUMENTS, LIST_ARGUMENTS, check_arguments
from server.openapi_funnel import FUNNEL_ARGUMENTS
from server.openapi_leads import LEAD_CSV_ARGUMENTS, LEAD_LIST_ARGUMENTS
from server.sites.funnel import Period, daily_funnels, period_funnel
from server.storage import get_session
from server.storage.models import Organisation
from server.storage.types import utcnow
from server.validation import InvalidInput

bp = Blueprint("api", __name__, url_prefix="/api")

FILENAME_SLUG_LENGTH = 40
"""Longest organisation part of an export's file name, in characters."""


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.get("/accounts")
@token_or_login_required
def accounts() -> Response:
    filters = parse_filters(request.args)
    check_arguments(request.args, LIST_ARGUMENTS)
    page = list_accounts(get_session(), current_org_id(), filters)
    return jsonify(
        items=[jsonable(asdict(item)) for item in page.items],
        total=page.total,
        page=page.page,
        per_page=page.per_page,
    )


@bp.get("/accounts/<id:account_id>")
@token_or_login_required
def account(account_id: int) -> Response:
    detail = account_detail(get_session(), current_org_id(), account_id)
    if detail is None:
        return error_response(404, "no such account")
    return jsonify(jsonable(detail))


@bp.get("/accounts.csv")
@token_or_login_required
def accounts_csv() -> Response:
    excel = request.args.get("excel", "").strip().lower()
    if excel not in ("", "fr"):
        raise InvalidInput("excel", f"{excel!r} is not a known dialect (use excel=fr)")
    filters = parse_filters(request.args)
    check_arguments(request.args, CSV_ARGUMENTS)
    session = get_session()
    org_id = current_org_id()
    organisation = session.get(Organisation, org_id)
    filename = export_filename(organisation.name if organisation else "", utcnow(), excel == "fr")
    chunks = csv_chunks(session, org_id, filters, excel_fr=excel == "fr")
    return Response(
        # Rows are worded while streaming: in the request's language and time zone.
        stream_with_context(closing_session(chunks, session)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/leads")
@token_or_login_required
def leads() -> Response:
    check_arguments(request.args, LEAD_LIST_ARGUMENTS)
    filters = parse_lead_filters(request.args)
    page = list_leads(get_session(), current_org_id(), filters)
    return jsonify(
        items=[lead_json(item) for item in page.items],
        total=page.total,
        page=page.page,
        per_page=page.per_page,
    )


@bp.get("/leads.csv")
@token_or_login_required
def leads_csv() -> Response:
    check_arguments(request.args, LEAD_CSV_ARGUMENTS)
    excel_fr = request.args.get("excel") == "fr"
    filters = parse_lead_filters(request.args)
    session = get_session()
    org_id = current_org_id()
    organisation = session.get(Organisation, org_id)
    name = filename_slug(organisation.name if organisation else "")
    suffix = "-excel-fr" if excel_fr else ""
    filename = f"vigie-leads-{name}-{utcnow():%Y-%m-%d}{suffix}.csv"
    chunks = lead_csv_chunks(session, org_id, filters, excel_fr=excel_fr)
    return Response(
        stream_with_context(closing_session(chunks, session)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def lead_json(row: LeadRow) -> dict[str, Any]:
    """A lead as the API answers it (`Lead` in /openapi.json)."""
    return jsonable({**asdict(row), "why": row.why})


@bp.get("/funnel")
@token_or_login_required
def funnel() -> Response:
    """Where the beacons went, for the organisation or one site (`site`)."""
    check_arguments(request.args, FUNNEL_ARGUMENTS)
    session = get_session()
    org_id = current_org_id()
    period = Period.parse(request.args.get("since"), request.args.get("until"), utcnow())
    site = request.args.get("site")
    site_id = None if site is None else find_site_id(session, org_id, site)
    days = daily_funnels(session, org_id, period, site_id)
    return jsonify(
        site=site_id,
        since=period.since.isoformat(),
        until=period.until.isoformat(),
        total=period_funnel(session, org_id, period, site_id).as_dict(),
        days=[{"day": day.isoformat(), "funnel": funnel.as_dict()} for day, funnel in days],
    )


def export_filename(organisation: str, day: date, excel_fr: bool = False) -> str:
    """`vigie-accounts-<organisation>-<YYYY-MM-DD>[-excel-fr].csv`, in ASCII
    letters, digits and dashes only, so it needs no escaping in a header."""
    suffix = "-excel-fr" if excel_fr else ""
    return f"vigie-accounts-{filename_slug(organisation)}-{day:%Y-%m-%d}{suffix}.csv"


def filename_slug(name: str) -> str:
    """`"Société Générale"` → `"societe-generale"`; `"organisation"` when no
    ASCII letter or digit is left."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:FILENAME_SLUG_LENGTH].rstrip("-") or "organisation"


def closing_session(chunks: Iterator[str], session: Session) -> Iterator[str]:
    """Stream `chunks`, closing `session` once the last one is read (or when
    the client goes away), before that last piece is sent.

    The request's app context ends when the view returns, closing its session
    before the first row is read; the stream then reads in a new transaction
    of that session that no teardown would end, so it ends here. Reading one
    piece ahead ends it even if the last piece is never taken.
    """
    pending: str | None = None
    try:
        for chunk in chunks:
            if pending is not None:
                yield pending
            pending = chunk
    finally:
        session.close()
    if pending is not None:
        yield pending


@bp.errorhandler(InvalidInput)
def invalid_input(error: InvalidInput) -> Response:
    return error_response(400, str(error), field=error.field)


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    return http_error_response(error)


def http_error_response(error: HTTPException, message: str | None = None) -> Response:
    """`error` as a JSON error (its description, or `message`), keeping the
    headers it carries: `Allow` of a 405, `Retry-After` of a 429…"""
    response = error_response(error.code or 500, message or error.description or error.name)
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def error_response(status: int, message: str, **extra: str) -> Response:
    """A JSON error: `{"error": message, …extra}` with `status`."""
    response = jsonify(error=message, **extra)
    response.status_code = status
    return response


def jsonable(value: Any) -> Any:
    """`value` with datetimes as ISO 8601 UTC (`…Z`) and dates as `YYYY-MM-DD`."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return value
