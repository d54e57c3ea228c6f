"""What templates use to show values: dates, labels, links from outside sources,
and small inline SVG charts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flask import Flask
from flask_babel import format_date, format_decimal
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from enrich.links import web_url
from server.accounts.reasons import describe, signed
from server.collect.anonymise import REFERRER_IP_HOST
from server.i18n import datetime_with_zone

KIND_LABELS = {
    "business": _l("Companies"),
    "isp": _l("Home internet"),
    "mobile": _l("Mobile"),
    "hosting": _l("Data centres"),
    "education": _l("Education"),
    "government": _l("Government"),
    "unknown": _l("Unknown"),
    "bot": _l("Bots"),
}
TIER_NAMES = {"hot": _l("hot"), "warm": _l("warm"), "cold": _l("cold")}
ENRICHMENT_STATES = {
    "pending": _l("pending"),
    "ok": _l("found"),
    "not_found": _l("not found"),
    "error": _l("error"),
}
OUTCOME_LABELS = {
    "accepted": _l("Accepted"),
    "rejected": _l("Rejected"),
    "won": _l("Won"),
    "lost": _l("Lost"),
}


def init_app(app: Flask) -> None:
    app.jinja_env.filters["datetime_short"] = datetime_short
    app.jinja_env.filters["date_short"] = lambda value: (
        format_date(value, "short") if value else "—"
    )
    app.jinja_env.filters["number"] = lambda value: "—" if value is None else format_decimal(value)
    app.jinja_env.filters["outside_link"] = outside_link
    app.jinja_env.filters["referrer_host"] = referrer_host
    app.jinja_env.globals["describe_reason"] = describe
    app.jinja_env.globals["signed_points"] = signed
    app.jinja_env.globals["enrichment_state"] = lambda s: ENRICHMENT_STATES.get(s, s)
    app.jinja_env.globals["kind_label"] = lambda kind: KIND_LABELS.get(kind, kind)
    app.jinja_env.globals["outcome_label"] = lambda outcome: OUTCOME_LABELS.get(outcome, outcome)
    app.jinja_env.globals["tier_name"] = lambda tier: TIER_NAMES.get(tier, tier)
    app.jinja_env.globals["sparkline"] = sparkline
    app.jinja_env.globals["line_chart"] = line_chart


def referrer_host(host: str) -> str:
    """A stored referrer host as shown: the placeholder of an IP address in words."""
    return str(_l("an IP address")) if host == REFERRER_IP_HOST else host


def datetime_short(value: datetime | None) -> str:
    return datetime_with_zone(value) if value else "—"


def outside_link(url: str | None, label: str | None = None) -> Markup:
    """A URL from an outside source (a provider, a contact, a beacon) as a link
    showing `label` (else the URL), only when it is an http(s) URL with a host;
    anything else (`javascript:`, `data:`, markup) is shown as plain text."""
    href = web_url(url)
    if href is None:
        return escape(url or "")
    return Markup('<a href="{}" rel="noopener noreferrer">{}</a>').format(href, label or href)


def sparkline(values: Sequence[float], width: int = 90, height: int = 22) -> Markup:
    """A score trend as an inline SVG polyline (no points: an empty, labelled box)."""
    if len(values) < 2:
        return Markup(
            f'<svg class="spark" width="{width}" height="{height}" role="img" aria-label="no history"></svg>'
        )
    low, high = min(values), max(values)
    span = (high - low) or 1
    step = width / (len(values) - 1)
    points = " ".join(
        f"{i * step:.1f},{height - 2 - (v - low) / span * (height - 4):.1f}"
        for i, v in enumerate(values)
    )
    rising = values[-1] >= values[0]
    colour = "#d8412f" if rising else "#5b6b84"
    return Markup(
        f'<svg class="spark" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(f"{values[0]:g} → {values[-1]:g}")}">'
        f'<polyline fill="none" stroke="{colour}" stroke-width="1.6" points="{points}"/></svg>'
    )


def line_chart(
    days: Sequence[str],
    values: Sequence[float],
    marks: Sequence[tuple[float, str]] = (),
    width: int = 640,
    height: int = 180,
) -> Markup:
    """A score history: a line over the days, with dashed lines at `marks`
    (value, label), e.g. the warm and hot thresholds."""
    if not values:
        return Markup("")
    pad_left, pad_bottom, pad_top = 34, 20, 8
    low = min(0.0, *values)
    high = max([*values, *(value for value, _ in marks), 1.0])
    span = high - low
    inner_w, inner_h = width - pad_left - 6, height - pad_bottom - pad_top

    def y(value: float) -> float:
        return pad_top + inner_h - (value - low) / span * inner_h

    step = inner_w / max(1, len(values) - 1)
    points = " ".join(f"{pad_left + i * step:.1f},{y(v):.1f}" for i, v in enumerate(values))
    parts = [
        f'<svg class="history" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="score history">'
    ]
    for value, label in marks:
        parts.append(
            f'<line x1="{pad_left}" x2="{width - 6}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            f'stroke="#c9cfdb" stroke-dasharray="4 4"/>'
            f'<text x="{width - 8}" y="{y(value) - 3:.1f}" text-anchor="end" font-size="10" '
            f'fill="#6b7385">{escape(label)} {value:g}</text>'
        )
    for value in (low, high):
        parts.append(
            f'<text x="{pad_left - 6}" y="{y(value) + 3:.1f}" text-anchor="end" font-size="10" '
            f'fill="#6b7385">{value:g}</text>'
        )
    parts.append(
        f'<polyline fill="none" stroke="#3451d1" stroke-width="2" points="{points}"/>'
        f'<text x="{pad_left}" y="{height - 4}" font-size="10" fill="#6b7385">{escape(days[0])}</text>'
        f'<text x="{width - 6}" y="{height - 4}" font-size="10" fill="#6b7385" text-anchor="end">'
        f"{escape(days[-1])}</text></svg>"
    )
    return Markup("".join(parts))
