"""The beacon: what `POST /e` accepts, checked field by field (SPEC.md "Collector HTTP").

`parse_beacon(body)` turns raw bytes into a `Beacon` or raises
`BeaconError(field, reason)`, which the view answers as `400 {"error": "field: reason"}`.
Types and limits are declared on the msgspec struct; what msgspec cannot say
(an absolute http(s) URL, control characters, prop values) is checked after.

Control characters: no stored field is multi-line or binary text, so every
field refuses C0 (tab and newline included: a browser collapses them out of a
title, and in a stored path they would only break exports and log lines), DEL,
C1 and lone surrogates, which PostgreSQL's UTF-8 cannot hold. `check_text` is
the one rule; `server.collect.anonymise` applies it again to what only
percent-decoding reveals (the page path, UTM values, the referrer's path).

URLs (`url`, `referrer`) are read as a browser reads them: one with a user
name or password, a backslash before its path, or a host that browsers read
otherwise than Python is refused (`server.collect.urls`).

A referrer whose host is longer than a DNS name can be (253 characters) is
refused (`referrer: host too long`) rather than dropped: no browser sends one,
so the beacon is forged and not worth keeping.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Literal

import msgspec

from server.collect.urls import ReadUrl, UrlError, read_url
from server.validation import FieldError

MAX_BODY_BYTES = 8 * 1024
"""Largest beacon body accepted; more answers 413."""

MAX_URL_LENGTH = 2_048
MAX_TITLE_LENGTH = 300
MAX_PROPS = 20
MAX_PROP_LENGTH = 256
MAX_PROP_KEY_LENGTH = 64
MAX_ENGAGED_MS = 86_400_000
"""A day: longer engagement on one page is not believed."""
MAX_HOST_LENGTH = 253
"""The longest DNS name."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
"""C0 (tab and newline included), DEL, C1 and lone surrogates."""

EventType = Literal["pageview", "engagement", "event"]
PropValue = Annotated[str, msgspec.Meta(max_length=MAX_PROP_LENGTH)] | int | float | bool
EngagedMs = (
    Annotated[int, msgspec.Meta(ge=0, le=MAX_ENGAGED_MS)]
    | Annotated[float, msgspec.Meta(ge=0, le=MAX_ENGAGED_MS)]
)
"""Milliseconds, a whole number; JSON may spell it `1.0` (a timer's difference
divided by one), so an integral float is taken and made an int, `1.5` refused."""

_NAME = r"^[a-z0-9_ -]{1,64}$"
_ERROR_PATH = re.compile(r"^(?P<reason>.*?)(?: - at `\$(?P<path>[^`]*)`)?$")
_LEADING_FIELD = re.compile(r"\.?(\w*)")


class BeaconError(FieldError):
    """A beacon field is missing or wrong."""


class Beacon(msgspec.Struct, frozen=True, kw_only=True):
    site: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    type: EventType
    url: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_URL_LENGTH)]
    referrer: Annotated[str, msgspec.Meta(max_length=MAX_URL_LENGTH)] | None = None
    title: Annotated[str, msgspec.Meta(max_length=MAX_TITLE_LENGTH)] | None = None
    name: Annotated[str, msgspec.Meta(pattern=_NAME)] | None = None
    props: Annotated[dict[str, PropValue], msgspec.Meta(max_length=MAX_PROPS)] | None = None
    engaged_ms: EngagedMs | None = None

    def __post_init__(self) -> None:
        # Every later step sees an int; a fraction stays for `check_semantics` to refuse.
        if isinstance(self.engaged_ms, float) and self.engaged_ms.is_integer():
            msgspec.structs.force_setattr(self, "engaged_ms", int(self.engaged_ms))


_decoder = msgspec.json.Decoder(Beacon)


def parse_beacon(body: bytes) -> Beacon:
    """Decode and check a beacon body.

    :raise BeaconError: naming the first field at fault (`body` for the JSON itself).
    """
    if len(body) > MAX_BODY_BYTES:
        raise BeaconError("body", f"larger than {MAX_BODY_BYTES} bytes")
    try:
        beacon = _decoder.decode(body)
    except msgspec.ValidationError as error:
        raise _field_error(str(error)) from None
    except msgspec.DecodeError:
        raise BeaconError("body", "not a JSON object") from None
    check_semantics(beacon)
    return beacon


def beacon_from_fields(fields: Mapping[str, object]) -> Beacon:
    """A beacon from already-decoded fields (the `<noscript>` pixel's query).

    :raise BeaconError: as `parse_beacon`.
    """
    try:
        beacon = msgspec.convert(fields, Beacon)
    except msgspec.ValidationError as error:
        raise _field_error(str(error)) from None
    check_semantics(beacon)
    return beacon


def _field_error(message: str) -> BeaconError:
    match = _ERROR_PATH.match(message)
    reason = match.group("reason") if match else message
    path = (match.group("path") or "") if match else ""
    if not path:
        missing = re.search(r"missing required field `(\w+)`", reason)
        if missing:
            return BeaconError(missing.group(1), "required")
        return BeaconError("body", _plain(reason) or "not a JSON object")
    leading = _LEADING_FIELD.match(path)
    field = (leading.group(1) if leading else "") or "body"
    return BeaconError(field, _plain(reason))


def _plain(reason: str) -> str:
    """msgspec's message without its backticks, in lower case first."""
    text = reason.replace("`", "")
    return text[:1].lower() + text[1:]


def check_semantics(beacon: Beacon) -> None:
    """What the types cannot say. :raise BeaconError: naming the field."""
    _check_url("url", beacon.url)
    if beacon.referrer:
        _check_url("referrer", beacon.referrer)
    check_text("site", beacon.site)
    check_text("title", beacon.title)
    check_text("name", beacon.name)
    if beacon.type == "event" and beacon.name is None:
        raise BeaconError("name", "required for type event")
    if isinstance(beacon.engaged_ms, float):
        raise BeaconError("engaged_ms", "must be a whole number of milliseconds")
    if beacon.type == "engagement" and beacon.engaged_ms is None:
        raise BeaconError("engaged_ms", "required for type engagement")
    for key, value in (beacon.props or {}).items():
        _check_prop(key, value)


def check_text(field: str, value: str | None) -> None:
    """:raise BeaconError: if `value` holds a character no stored text may hold."""
    reason = control_problem(value)
    if reason:
        raise BeaconError(field, reason)


def control_problem(value: str | None) -> str | None:
    """What is wrong with `value` if it holds a control character, else None."""
    if not value or not _CONTROL.search(value):
        return None
    return "contains a NUL character" if "\x00" in value else "contains a control character"


def _check_prop(key: str, value: object) -> None:
    if not key or len(key) > MAX_PROP_KEY_LENGTH:
        raise BeaconError("props", f"key {key[:MAX_PROP_KEY_LENGTH]!r} must be 1 to 64 characters")
    key_problem = control_problem(key)
    if key_problem:
        raise BeaconError("props", f"key {key_problem}")
    if isinstance(value, str):
        check_text(f"props.{key}", value)
    if isinstance(value, float) and value != value:  # NaN cannot come from JSON, but inf can
        raise BeaconError(f"props.{key}", "not a finite number")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
        raise BeaconError(f"props.{key}", "number too large")


def _check_url(field: str, value: str) -> None:
    check_text(field, value)
    check_host(field, read_checked_url(field, value).host)


def read_checked_url(field: str, value: str) -> ReadUrl:
    """`value` read as a browser would (`server.collect.urls`).

    :raise BeaconError: naming `field`, for a URL `read_url` refuses.
    """
    try:
        return read_url(value)
    except UrlError as problem:
        raise BeaconError(field, problem.reason) from None


def check_host(field: str, host: str | None) -> None:
    """:raise BeaconError: for a host longer than any DNS name."""
    if host and len(host) > MAX_HOST_LENGTH:
        raise BeaconError(field, "host too long")
