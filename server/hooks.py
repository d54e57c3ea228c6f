"""Hooks other parts plug into: rescoring of the accounts that ingestion touched.

The scoring engine registers itself with `on_accounts_touched(app, hook)`;
until one is registered, touched accounts are simply not rescored.
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
