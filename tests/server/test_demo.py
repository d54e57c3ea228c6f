"""The README's run command: `vigie demo` on a fresh machine, nothing but Python."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.support.processes import VIGIE, free_port, serving, vigie


def test_demo_brings_vigie_up_on_sqlite_with_no_service(tmp_path):
    port = free_port()
    env = {"VIGIE_INSTANCE_PATH": str(tmp_path / "instance")}
    with serving([*VIGIE, "demo", "--port", str(port)], port, env, ready="/readyz") as served:
        ready = json.load(urllib.request.urlopen(served.url + "/readyz", timeout=5))
    assert served.status == 200
    assert ready == {"status": "ok", "database": "ok", "redis": "not configured"}
    assert (tmp_path / "instance" / "vigie.db").is_file()
    assert "sign in as demo@vigie.example with password " in served.stdout
    assert 'data-site="' in served.stdout


def test_demo_setup_is_repeatable(tmp_path):
    """A second demo run reuses the data and prints a login that works again."""
    env = {"VIGIE_INSTANCE_PATH": str(tmp_path / "instance")}
    for _ in range(2):
        port = free_port()
        with serving([*VIGIE, "demo", "--port", str(port)], port, env) as served:
            assert served.status == 200
    listing = vigie("sites", "list", "--org", "Demo", env=env)
    assert listing.returncode == 0
    assert len(listing.stdout.splitlines()) == 1


def test_console_script_is_installed():
    script = Path(sys.executable).parent / "vigie"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for command in ("init", "users", "sites", "serve", "worker", "demo"):
        assert command in result.stdout
