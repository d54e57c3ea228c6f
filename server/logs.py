"""Logging that can never print a client IP address (SPEC.md privacy rule 1).

`AddressRedactingFilter` rewrites every record that reaches a Vigie handler:
anything that parses as an IPv4 or IPv6 address, in the message, its arguments,
the exception text or the stack, becomes `[ip]`. It sits on the handlers, not
on loggers, because a logger's filters do not see records propagated from its
children (werkzeug, gunicorn, rq, sqlalchemy…).

Werkzeug colours its request lines whatever the output; `PlainWhenPiped`
removes those ANSI codes unless the stream is a terminal and `NO_COLOR` is
unset (https://no-color.org), so files, pipes and journald get plain text.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import sys
from typing import IO

REDACTED = "[ip]"
"""What an address is replaced with."""

_IPV4 = re.compile(r"(?<![0-9.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?![0-9])")
"""Dotted quads, wherever they stand (also glued to letters, as in `ip=`)."""

_IPV6 = re.compile(r"[0-9A-Fa-f]*:[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?:%[0-9A-Za-z]+)?")
"""Runs of hex digits, colons and dots with two colons at least: IPv6 candidates."""

_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
"""Control sequences (colours, bold, cursor moves) that only a terminal reads."""

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_NOISY_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error", "rq.worker", "rq.cron")

_QUIET_LOGGERS = ("alembic",)
"""Libraries whose INFO lines say nothing a Vigie user needs."""


def redact_addresses(text: str) -> str:
    """Return `text` with every IPv4/IPv6 address (also IPv4-mapped) replaced."""
    return _IPV4.sub(_redact_match, _IPV6.sub(_redact_match, text))


def _redact_match(match: re.Match[str]) -> str:
    token = match.group(0)
    core = token.split("%", 1)[0]
    if core.endswith(".") or (core.endswith(":") and not core.endswith("::")):
        core = core[:-1]
    try:
        address = ipaddress.ip_address(core)
    except ValueError:
        return token
    if address.is_loopback or address.is_unspecified:
        return token  # this machine itself ("Running on 127.0.0.1:8000"): nobody's address
    return token.replace(core, REDACTED)


class AddressRedactingFilter(logging.Filter):
    """Replace IP addresses in a record before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact_addresses(record.getMessage())
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_addresses(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_addresses(record.stack_info)
        return True


def strip_ansi(text: str) -> str:
    """`text` without ANSI escape sequences."""
    return _ANSI_ESCAPE.sub("", text)


def colour_allowed(stream: IO[str]) -> bool:
    """Whether `stream` is a terminal and the user did not ask for `NO_COLOR`."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class PlainWhenPiped(logging.StreamHandler[IO[str]]):
    """A stream handler that keeps colours for a terminal only."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return text if colour_allowed(self.stream) else strip_ansi(text)


def configure_logging(level: int | str = logging.INFO) -> logging.Handler:
    """Install one redacting stderr handler on the root logger (idempotent).

    Handlers already attached to the root or to known noisy loggers get the
    filter too, so a library cannot bypass it by logging on its own handler.
    """
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "_vigie", False)), None)
    if handler is None:
        handler = PlainWhenPiped(sys.stderr)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        handler._vigie = True  # type: ignore[attr-defined]  # a mark on the handler, read with getattr
        root.addHandler(handler)
    root.setLevel(level)
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    protect_handlers()
    return handler


def protect_handlers() -> None:
    """Put the redacting filter on every handler of the root and noisy loggers."""
    loggers = [logging.getLogger()] + [logging.getLogger(name) for name in _NOISY_LOGGERS]
    for logger in loggers:
        for handler in logger.handlers:
            if not any(isinstance(f, AddressRedactingFilter) for f in handler.filters):
                handler.addFilter(AddressRedactingFilter())
