"""Start Vigie's own commands as real processes and wait for them, without sleeps."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

VIGIE = [sys.executable, "-m", "server"]
"""The `vigie` command of the interpreter running the tests."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def vigie(*args: str, env: dict[str, str], stdin: str = "", cwd: Path | None = None):
    """Run `vigie ARGS` to completion; return the CompletedProcess (text)."""
    return subprocess.run(
        [*VIGIE, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
        cwd=cwd,
    )


def wait_for_http(url: str, process: subprocess.Popen, timeout: float = 30.0) -> int:
    """Poll `url` until it answers; return its status. Fails if the process dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            _, stderr = process.communicate()
            raise AssertionError(f"process exited with {process.returncode}: {stderr[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            time.sleep(0.05)  # polling interval of a readiness loop, not a test delay
    raise AssertionError(f"{url} did not answer within {timeout}s")


def stop(process: subprocess.Popen) -> tuple[str, str]:
    """Terminate `process` and return its (stdout, stderr)."""
    process.terminate()
    try:
        return process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.communicate()


@dataclass
class Served:
    """A server process under test: its base URL, readiness status, and output once stopped."""

    process: subprocess.Popen
    url: str
    status: int = 0
    stdout: str = ""
    stderr: str = ""


@contextmanager
def serving(
    command: list[str], port: int, env: dict[str, str], ready: str = "/healthz"
) -> Iterator[Served]:
    """Start `command` (listening on `port`), wait until `ready` answers, stop it after."""
    process = subprocess.Popen(
        command,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    served = Served(process, f"http://127.0.0.1:{port}")
    try:
        served.status = wait_for_http(served.url + ready, process)
        yield served
    finally:
        served.stdout, served.stderr = stop(process)
