"""Every module of `server/`, `enrich/` and `scoring/` imports alone.

An import cycle hides as long as some other module happens to be imported
first (`server/__init__.py`'s order, a test's imports). Here each module is
imported with none of Vigie's modules loaded: a few interpreters per package,
each forgetting every Vigie module before importing the next one (third-party
libraries stay loaded, so a module costs a fraction of a fresh interpreter).
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("scoring", "enrich", "server")

INTERPRETERS = 2
"""Interpreters importing at once (a package's modules shared out among them)."""

LEFT_OUT = {
    "server.__main__": "runs the command line when imported",
}
"""Modules not imported, with why."""

LEFT_OUT_FOLDERS = {
    "server.storage.migrations": "Alembic loads its environment and revisions itself",
}

IMPORT_EACH_ALONE = """
import importlib, json, sys, traceback
OURS = ("scoring", "enrich", "server")
failures = {}
for name in json.loads(sys.argv[1]):
    for loaded in [m for m in sys.modules if m.split(".")[0] in OURS]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except BaseException:
        failures[name] = traceback.format_exc(limit=-3)
print(json.dumps(failures))
"""


def module_names(package: str) -> list[str]:
    """The dotted names of the package's modules, minus those left out."""
    names = []
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if name in LEFT_OUT or any(
            name == folder or name.startswith(folder + ".") for folder in LEFT_OUT_FOLDERS
        ):
            continue
        names.append(name)
    return names


def test_the_module_list_finds_modules_in_subpackages():
    """The walk reaches nested modules, so the test below covers the whole tree."""
    names = module_names("server")
    assert {"server", "server.web.accounts", "server.collect.pipeline"} <= set(names)
    assert "server.__main__" not in names
    assert not any(name.startswith("server.storage.migrations") for name in names)


def import_each_alone(names: list[str]) -> dict[str, str]:
    """The modules of `names` that failed to import alone, with their traceback's end."""
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_EACH_ALONE, json.dumps(names)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,  # generous: the machine may be busy with other runs
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.parametrize("package", PACKAGES)
def test_each_module_imports_alone(package):
    """Each module imports in an interpreter with no other Vigie module loaded;
    a failure names the module and the end of its traceback."""
    names = module_names(package)
    shares = [names[start::INTERPRETERS] for start in range(INTERPRETERS)]
    with ThreadPoolExecutor(INTERPRETERS) as pool:
        failures = {
            name: trace
            for found in pool.map(import_each_alone, shares)
            for name, trace in found.items()
        }
    assert not failures, "\n".join(f"{name}:\n{trace}" for name, trace in failures.items())
