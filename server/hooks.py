"""The rescoring hook: enrichment asks here for the accounts it changed to be rescored.

`create_app` registers the rescoring job's queueing with
`on_accounts_touched(app, hook)`; until one is registered, those accounts are
simply not rescored. The enrichment service thus knows nothing of scoring,
and a caller (a test, a tool) may register its own hook to see what changed.

Stored events do not come this way: `server.after_store` queues their
rescoring with a plain call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from flask import Flask, current_app

RESCORE = "vigie.rescore_hook"

RescoreHook = Callable[[Sequence[int]], None]


def on_accounts_touched(app: Flask, hook: RescoreHook) -> None:
    app.extensions[RESCORE] = hook


def accounts_touched(account_ids: Sequence[int]) -> None:
    """Tell the scoring engine which accounts changed (inside their transaction)."""
    hook = current_app.extensions.get(RESCORE)
    if hook is not None and account_ids:
        hook(account_ids)
