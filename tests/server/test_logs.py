"""No client IP address in any log line (SPEC.md privacy rule 1)."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from server.logs import (
    AddressRedactingFilter,
    PlainWhenPiped,
    configure_logging,
    redact_addresses,
)
from tests.support.processes import VIGIE, free_port, serving

CLIENT_V4 = "203.0.113.77"
CLIENT_V6 = "2001:db8:85a3::8a2e:370:7334"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"GET from {CLIENT_V4} ok", "GET from [ip] ok"),
        (f"ip={CLIENT_V4},", "ip=[ip],"),
        (f"[{CLIENT_V6}]:443", "[[ip]]:443"),
        ("::ffff:198.51.100.4 via proxy", "[ip] via proxy"),
        ("fe80::1%eth0 link", "[ip]%eth0 link"),
        (f"{CLIENT_V4}:8080", "[ip]:8080"),
        ("at 12:30:45, version 1.2.3", "at 12:30:45, version 1.2.3"),
        ("listening on 127.0.0.1:8000", "listening on 127.0.0.1:8000"),
    ],
)
def test_addresses_are_redacted(text, expected):
    assert redact_addresses(text) == expected


def test_filter_redacts_arguments_and_exceptions():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(AddressRedactingFilter())
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    try:
        logger.warning("client %s and %s", CLIENT_V4, CLIENT_V6)
        try:
            raise ValueError(f"bad address {CLIENT_V4}")
        except ValueError:
            logger.exception("failed for %s", CLIENT_V6)
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert CLIENT_V4 not in output and CLIENT_V6 not in output
    assert "client [ip] and [ip]" in output
    assert "ValueError: bad address [ip]" in output


def test_vigie_handler_protects_library_loggers():
    """A record from werkzeug or rq reaches the Vigie handler already redacted."""
    handler = configure_logging()
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        logging.getLogger("werkzeug").warning('%s - - "GET / HTTP/1.1" 200', CLIENT_V4)
        logging.getLogger("rq.worker").warning("job from %s", CLIENT_V6)
    finally:
        handler.setStream(previous)
    assert CLIENT_V4 not in stream.getvalue() and CLIENT_V6 not in stream.getvalue()
    assert stream.getvalue().count("[ip]") == 2


def vigie_serve(app, tmp_path, *options):
    """`vigie serve` on a free port over `app`'s database, output captured (not a terminal)."""
    port = free_port()
    env = {
        "VIGIE_DATABASE_URL": app.config["DATABASE_URL"],
        "VIGIE_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    return serving([*VIGIE, "serve", "--port", str(port), *options], port, env)


def _access_line(log: str) -> str:
    return next(line for line in log.splitlines() if "/healthz" in line)


@pytest.mark.slow
def test_serve_access_log_has_no_client_address(sqlite_app, tmp_path):
    """`vigie serve` (gunicorn) logs requests with `-` where the client address would be."""
    with vigie_serve(sqlite_app, tmp_path) as served:
        assert served.status == 200
    log = served.stdout + served.stderr
    line = _access_line(log)
    assert "127.0.0.1" not in line
    assert '"GET /healthz HTTP/1.1" 200' in line
    assert "development server" not in log and "Booting worker" in log


def test_serve_dev_access_log_has_no_client_address(sqlite_app, tmp_path):
    """`vigie serve --dev` (Werkzeug) too."""
    with vigie_serve(sqlite_app, tmp_path, "--dev") as served:
        assert served.status == 200
    line = _access_line(served.stderr)
    assert "127.0.0.1" not in line
    assert '"GET /healthz HTTP/1.1" 200' in line


def test_gunicorn_access_log_has_no_client_address(sqlite_app, tmp_path):
    port = free_port()
    env = {
        "VIGIE_DATABASE_URL": sqlite_app.config["DATABASE_URL"],
        "VIGIE_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "python:server.gunicorn_conf",
        "--access-logfile",
        "-",
        "-b",
        f"127.0.0.1:{port}",
        "server:create_app()",
    ]
    with serving(command, port, env) as served:
        request = urllib.request.Request(
            served.url + "/healthz?email=a@b.c", headers={"X-Forwarded-For": CLIENT_V4}
        )
        urllib.request.urlopen(request, timeout=5).read()
    log = served.stdout + served.stderr
    assert "GET /healthz" in log
    assert "127.0.0.1 " not in _access_line(log)
    assert CLIENT_V4 not in log and "a@b.c" not in log


class FakeTerminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


COLOURED = "\x1b[33m\x1b[1mGET /nope HTTP/1.1\x1b[0m 404"
"""A request line as Werkzeug colours it, whatever the output."""


def _formatted(stream: io.StringIO) -> str:
    handler = PlainWhenPiped(stream)
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, COLOURED, (), None)
    handler.handle(record)
    return stream.getvalue()


def test_colours_reach_a_terminal_only(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert _formatted(FakeTerminal()) == COLOURED + "\n"
    assert _formatted(io.StringIO()) == "GET /nope HTTP/1.1 404\n"


def test_no_color_is_respected_on_a_terminal(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in _formatted(FakeTerminal())
    monkeypatch.setenv("NO_COLOR", "")  # set but empty: colours stay (no-color.org)
    assert _formatted(FakeTerminal()) == COLOURED + "\n"


def test_serve_log_in_a_pipe_has_no_escape_codes(sqlite_app, tmp_path):
    """`vigie serve --dev` with its output captured: Werkzeug's coloured lines arrive plain."""
    with vigie_serve(sqlite_app, tmp_path, "--dev") as served:
        for path in ("/no/such/page", "/login", "/"):  # 404 yellow, 200 plain, 302 green
            try:
                urllib.request.urlopen(served.url + path, timeout=5).read()
            except urllib.error.HTTPError as answer:
                assert answer.code == 404
    log = served.stdout + served.stderr
    assert '"GET /no/such/page HTTP/1.1" 404' in log
    assert "Running on" in log
    assert "\x1b[" not in log


@pytest.mark.slow
def test_a_cli_command_redirected_to_a_file_is_plain(sqlite_app, tmp_path):
    """`vigie model check` and `vigie export` write no escape codes to files."""
    env = {
        **os.environ,
        "VIGIE_DATABASE_URL": sqlite_app.config["DATABASE_URL"],
        "VIGIE_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    model = tmp_path / "model.toml"
    model.write_text("[tiers]\nwarm = 1\nhot = 'x'\n", "utf-8")
    for index, args in enumerate((["model", "check", str(model)], ["export", "--org", "None"])):
        output = tmp_path / f"output-{index}.txt"
        with output.open("wb") as sink:
            subprocess.run([*VIGIE, *args], stdout=sink, stderr=sink, env=env, timeout=120)
        text = output.read_text("utf-8")
        assert text.strip() and "\x1b[" not in text, args
