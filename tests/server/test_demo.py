"""The README's run command: `vigie demo` on a fresh machine, nothing but Python."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.support.processes import VIGIE, free_port, stop, vigie, wait_for_http


def test_demo_brings_vigie_up_on_sqlite_with_no_service(tmp_path):
    port = free_port()
    env = {**os.environ, "VIGIE_INSTANCE_PATH": str(tmp_path / "instance")}
    process = subprocess.Popen(
        [*VIGIE, "demo", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_for_http(f"http://127.0.0.1:{port}/readyz", process) == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as response:
            ready = json.load(response)
    finally:
        stdout, _ = stop(process)
    assert ready == {"status": "ok", "database": "ok", "redis": "not configured"}
    assert (tmp_path / "instance" / "vigie.db").is_file()
    assert "sign in as demo@vigie.example with password " in stdout
    assert 'data-site="' in stdout


def test_demo_setup_is_repeatable(tmp_path):
    """A second demo run reuses the data and prints a login that works again."""
    env = {"VIGIE_INSTANCE_PATH": str(tmp_path / "instance")}
    for _ in range(2):
        port = free_port()
        process = subprocess.Popen(
            [*VIGIE, "demo", "--port", str(port)],
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert wait_for_http(f"http://127.0.0.1:{port}/healthz", process) == 200
        finally:
            stop(process)
    listing = vigie("sites", "list", "--org", "Demo", env=env)
    assert listing.returncode == 0
    assert len(listing.stdout.splitlines()) == 1


def test_console_script_is_installed():
    script = Path(sys.executable).parent / "vigie"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for command in ("init", "users", "sites", "serve", "worker", "demo"):
        assert command in result.stdout
