"""The rescoring hook: enrichment asks here for the accounts it changed to be rescored.

The scoring engine registers itself with `on_accounts_touched(app, hook)`;
until one is registered, those accounts are simply not rescored.

Stored events do not come this way: `server.after_store` queues their
rescoring with a plain call. Enrichment cannot: `server.enrichment` is below
the enrichment job that `server.after_store` queues, and `server.scoring`
(which registers the hook) is below `server.after_store` too, so either plain
call would be an import cycle. This module imports neither.
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
