"""Configuration: defaults, then `.env`, then `VIGIE_*` variables, then overrides.

Every setting is named in SPEC.md "Configuration". Values are checked here, once,
so that a mistake is a one-line `ConfigError` naming the variable rather than a
traceback deep inside SQLAlchemy or Redis.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dotenv import load_dotenv
from flask import Flask
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from server.outbound import allowed_entries
from server.storage.engine import DEFAULT_MAX_OVERFLOW, DEFAULT_POOL_SIZE

ENV_PREFIX = "VIGIE"

DEFAULT_RETENTION_DAYS = 395
"""Raw events older than this are purged (13 months, as web analytics tools keep)."""

DEFAULT_LEAD_RETENTION_DAYS = 1095
"""Leads imported longer ago than this are deleted (3 years, the CNIL's guidance
for prospects' data in B2B)."""

DEFAULT_LEAD_UPLOAD_MAX_MB = 20
"""Largest lead file the upload page takes, in MB (about 200,000 leads)."""

SQLITE_FILE_NAME = "vigie.db"
"""Default database file, inside the instance folder."""

SECRET_KEY_FILE_NAME = "secret_key"
"""Where a generated secret key is kept when `VIGIE_SECRET_KEY` is unset."""

INGEST_WRITERS = ("thread", "external")
"""Who drains the embedded inbox: a thread of each serving process, or one other process."""

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": None,
    "DATABASE_POOL_SIZE": DEFAULT_POOL_SIZE,  # PostgreSQL connections each process keeps open
    "DATABASE_MAX_OVERFLOW": DEFAULT_MAX_OVERFLOW,  # more at a busy moment, closed after use
    "REDIS_URL": None,
    "MMDB": "",
    "SECRET_KEY": None,
    "TRUSTED_PROXIES": 0,
    "RETENTION_DAYS": DEFAULT_RETENTION_DAYS,
    "SCORING_MODEL": None,
    "LEAD_RETENTION_DAYS": DEFAULT_LEAD_RETENTION_DAYS,
    "LEAD_UPLOAD_MAX_MB": DEFAULT_LEAD_UPLOAD_MAX_MB,
    "LEAD_WEBSITE_URL": "https://{domain}/",  # the homepage fetched for a lead's company
    "LEAD_WEBSITE_TIMEOUT": 10,  # seconds to connect, between reads, and for the whole page
    "LEAD_WEBSITE_REFRESH_DAYS": 30,  # a company's homepage is fetched again after this
    "PUBLIC_URL": None,  # where users reach the dashboard: links in alerts
    "INBOX_PATH": None,  # the embedded queue file; default: in the instance folder
    "INGEST_WRITER": "thread",  # or "external": another process drains the inbox
    "OUTBOUND_ALLOW": "",  # CIDRs and host names outgoing requests may reach although private
    "CRM_MAX_RETRY_WAIT": 30,  # seconds a CRM push waits at most before a retry (Retry-After)
    "CRM_PUSH_LIMIT": 200,  # accounts one push of a filtered accounts list sends at most
    "SESSION_COOKIE_SECURE": None,  # unset: Secure when PUBLIC_URL is https (server/auth.py)
    "PASSWORD_MIN_LENGTH": 10,
    "PASSWORD_MIN_SCORE": 3,  # zxcvbn's 0-4 guessability score (server/passwords.py)
    "LOGIN_FREE_FAILURES": 5,  # wrong passwords per e-mail before sign-ins wait
    "LOGIN_FIRST_DELAY": 1,  # seconds; doubled at each further failure
    "LOGIN_MAX_DELAY": 900,  # seconds
    "SMTP_HOST": None,  # alert and digest e-mails; unset: no e-mail is sent
    "SMTP_PORT": 587,
    "SMTP_USERNAME": None,
    "SMTP_PASSWORD": None,
    "SMTP_STARTTLS": True,  # upgrade the connection with STARTTLS before signing in
    "SMTP_FROM": "vigie@localhost",
    "WEBHOOK_RETRY_BASE_SECONDS": 30,  # first wait after a failed delivery; doubled each time
    "WEBHOOK_RETRY_HOURS": 24,  # then the delivery is dead-lettered
    # Not environment settings: switches for tests and embedded tools.
    "JOBS_START_CRON": True,
    "JOBS_MERGE_SECONDS": 2.0,  # in-process rescoring waits this long for more accounts
}


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{ENV_PREFIX}_{name}: {reason}")
        self.name = name
        self.reason = reason


def load_config(app: Flask, overrides: dict[str, Any] | None = None) -> None:
    """Fill `app.config` from defaults, `.env`, the environment and `overrides`.

    :raise ConfigError: when a value cannot be used.
    """
    app.config.update(DEFAULTS)
    load_dotenv(Path.cwd() / ".env", override=False)
    app.config.from_prefixed_env(ENV_PREFIX)
    app.config.update(overrides or {})
    _normalise(app)


def _normalise(app: Flask) -> None:
    config = app.config
    config["DATABASE_URL"] = database_url(config["DATABASE_URL"], app.instance_path)
    config["REDIS_URL"] = redis_url(config["REDIS_URL"])
    if config["INGEST_WRITER"] not in INGEST_WRITERS:
        raise ConfigError("INGEST_WRITER", f"one of {', '.join(INGEST_WRITERS)}")
    config["MMDB"] = mmdb_paths(config["MMDB"])
    config["TRUSTED_PROXIES"] = non_negative_int("TRUSTED_PROXIES", config["TRUSTED_PROXIES"])
    config["DATABASE_POOL_SIZE"] = positive_int("DATABASE_POOL_SIZE", config["DATABASE_POOL_SIZE"])
    config["DATABASE_MAX_OVERFLOW"] = non_negative_int(
        "DATABASE_MAX_OVERFLOW", config["DATABASE_MAX_OVERFLOW"]
    )
    config["RETENTION_DAYS"] = positive_int("RETENTION_DAYS", config["RETENTION_DAYS"])
    config["LEAD_WEBSITE_URL"] = lead_website_url(config["LEAD_WEBSITE_URL"])
    for name in (
        "LEAD_RETENTION_DAYS",
        "LEAD_UPLOAD_MAX_MB",
        "LEAD_WEBSITE_TIMEOUT",
        "LEAD_WEBSITE_REFRESH_DAYS",
    ):
        config[name] = positive_int(name, config[name])
    config["SCORING_MODEL"] = optional_file("SCORING_MODEL", config["SCORING_MODEL"])
    config["PUBLIC_URL"] = public_url(config["PUBLIC_URL"])
    config["OUTBOUND_ALLOW"] = outbound_allow(config["OUTBOUND_ALLOW"])
    config["CRM_MAX_RETRY_WAIT"] = non_negative_int(
        "CRM_MAX_RETRY_WAIT", config["CRM_MAX_RETRY_WAIT"]
    )
    config["CRM_PUSH_LIMIT"] = positive_int("CRM_PUSH_LIMIT", config["CRM_PUSH_LIMIT"])
    config["SESSION_COOKIE_SECURE"] = optional_bool(
        "SESSION_COOKIE_SECURE", config["SESSION_COOKIE_SECURE"]
    )
    config["PASSWORD_MIN_LENGTH"] = positive_int(
        "PASSWORD_MIN_LENGTH", config["PASSWORD_MIN_LENGTH"]
    )
    config["PASSWORD_MIN_SCORE"] = int_between(
        "PASSWORD_MIN_SCORE", config["PASSWORD_MIN_SCORE"], 0, 4
    )
    for name in ("LOGIN_FREE_FAILURES", "LOGIN_FIRST_DELAY", "LOGIN_MAX_DELAY"):
        config[name] = non_negative_int(name, config[name])
    config["SMTP_PORT"] = positive_int("SMTP_PORT", config["SMTP_PORT"])
    config["SMTP_STARTTLS"] = bool(optional_bool("SMTP_STARTTLS", config["SMTP_STARTTLS"]))
    config["WEBHOOK_RETRY_BASE_SECONDS"] = non_negative_int(
        "WEBHOOK_RETRY_BASE_SECONDS", config["WEBHOOK_RETRY_BASE_SECONDS"]
    )
    config["WEBHOOK_RETRY_HOURS"] = positive_int(
        "WEBHOOK_RETRY_HOURS", config["WEBHOOK_RETRY_HOURS"]
    )
    config["SECRET_KEY"] = secret_key(config["SECRET_KEY"], config["REDIS_URL"], app.instance_path)


def public_url(value: Any) -> str | None:
    """The dashboard's address as users reach it (`https://vigie.acme.com`), or None."""
    if value in (None, ""):
        return None
    parts = urlsplit(str(value).strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError("PUBLIC_URL", f"not an http(s) URL: {_shown(value)}")
    return str(value).strip().rstrip("/")


def lead_website_url(value: Any) -> str:
    """The homepage address of a company, `{domain}` standing for its domain."""
    text = str(value or "").strip()
    parts = urlsplit(text.replace("{domain}", "example.com"))
    if "{domain}" not in text or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError("LEAD_WEBSITE_URL", f"an http(s) URL with {{domain}}: {_shown(value)}")
    return text


def outbound_allow(value: Any) -> list[str]:
    """The operator's exceptions to the outbound rules (`server/outbound.py`)."""
    try:
        return allowed_entries(value)
    except ValueError as error:
        raise ConfigError("OUTBOUND_ALLOW", str(error)) from None


def database_url(value: Any, instance_path: str) -> str:
    """Return a SQLAlchemy URL; SQLite in the instance folder when unset.

    `postgresql://` and `postgres://` URLs are pointed at psycopg 3, the only
    PostgreSQL driver Vigie ships with.
    """
    if value in (None, ""):
        value = f"sqlite:///{Path(instance_path) / SQLITE_FILE_NAME}"
    try:
        url: URL = make_url(str(value))
    except ArgumentError:
        raise ConfigError("DATABASE_URL", f"not a database URL: {_shown(value)}") from None
    backend = url.get_backend_name()
    if backend in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+psycopg")
    elif backend != "sqlite":
        raise ConfigError(
            "DATABASE_URL", f"unsupported database {backend!r}; use sqlite:/// or postgresql://"
        )
    elif url.database and url.database != ":memory:":
        _ensure_folder(Path(url.database).parent)
    return url.render_as_string(hide_password=False)


def _ensure_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError("DATABASE_URL", f"cannot create {folder}: {error.strerror}") from None


def redis_url(value: Any) -> str | None:
    """Return the Redis URL, or None for the embedded mode."""
    if value in (None, ""):
        return None
    parts = urlsplit(str(value))
    if parts.scheme not in ("redis", "rediss", "unix") or not (parts.hostname or parts.path):
        raise ConfigError("REDIS_URL", f"not a redis:// URL: {_shown(value)}")
    return str(value)


def mmdb_paths(value: Any) -> list[str]:
    """Split the comma-separated list of `.mmdb` files; each must exist."""
    if isinstance(value, list | tuple):
        items = [str(item) for item in value]
    else:
        items = str(value or "").split(",")
    paths = [item.strip() for item in items if item.strip()]
    for path in paths:
        if not Path(path).is_file():
            raise ConfigError("MMDB", f"no such file: {path}")
    return paths


def optional_file(name: str, value: Any) -> str | None:
    """Return the path of an optional file setting; it must exist when given."""
    if value in (None, ""):
        return None
    if not Path(str(value)).is_file():
        raise ConfigError(name, f"no such file: {value}")
    return str(value)


TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


def optional_bool(name: str, value: Any) -> bool | None:
    """Return a yes/no setting as a bool (`true`/`false`, `1`/`0`, `yes`/`no`,
    `on`/`off`), or None when it is unset."""
    if value is None or isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word == "":
        return None
    if word in TRUE_WORDS or word in FALSE_WORDS:
        return word in TRUE_WORDS
    raise ConfigError(name, f"must be true or false, got {_shown(value)}")


def non_negative_int(name: str, value: Any) -> int:
    """Return `value` as an int ≥ 0."""
    number = _int(name, value)
    if number < 0:
        raise ConfigError(name, f"must be 0 or more, got {number}")
    return number


def positive_int(name: str, value: Any) -> int:
    """Return `value` as an int ≥ 1."""
    number = _int(name, value)
    if number < 1:
        raise ConfigError(name, f"must be 1 or more, got {number}")
    return number


def int_between(name: str, value: Any, low: int, high: int) -> int:
    """Return `value` as an int from `low` to `high`."""
    number = _int(name, value)
    if not low <= number <= high:
        raise ConfigError(name, f"must be from {low} to {high}, got {number}")
    return number


def _int(name: str, value: Any) -> int:
    if isinstance(value, bool):
        raise ConfigError(name, f"must be a whole number, got {value!r}")
    try:
        return int(str(value).strip())
    except ValueError:
        raise ConfigError(name, f"must be a whole number, got {_shown(value)}") from None


def secret_key(value: Any, redis: str | None, instance_path: str) -> str:
    """Return the secret key, generating and keeping one for a single machine.

    In scale mode several collectors and dashboards must share the key, so it
    has to be given.
    """
    if value not in (None, ""):
        return str(value)
    if redis:
        raise ConfigError("SECRET_KEY", "required when VIGIE_REDIS_URL is set (all nodes share it)")
    key_file = Path(instance_path) / SECRET_KEY_FILE_NAME
    if key_file.is_file():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(48)
    try:
        key_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key + "\n")
    except OSError as error:
        raise ConfigError(
            "INSTANCE_PATH", f"cannot keep a secret key in {key_file}: {error.strerror}"
        ) from None
    return key


def _shown(value: Any) -> str:
    """Quote a bad value for a message, hiding a password it may carry."""
    text = str(value)
    parts = urlsplit(text)
    if parts.password:
        text = text.replace(f":{parts.password}@", ":***@")
    return repr(text[:200])
