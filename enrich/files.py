"""Writing files safely: a temporary file beside the target, then an atomic rename."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def temporary_beside(directory: Path, suffix: str = "") -> Iterator[Path]:
    """A temporary path in `directory` (same file system, so `os.replace` is atomic),
    removed at the end if it was not renamed."""
    handle, name = tempfile.mkstemp(dir=directory, prefix=".vigie-", suffix=suffix)
    os.close(handle)
    path = Path(name)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)
