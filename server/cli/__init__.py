"""The `vigie` command (also `python -m server`).

Commands are grouped by what they act on, following SPEC.md's CLI table:
set-up (`init`, `users`, `sites`, `tokens`), running (`serve`, `worker`,
`cron`, `jobs`, `demo`), IP data (`companydb`, `ipdb`), enrichment
(`enrich`), accounts (`export`), lead lists (`leads`), privacy (`erase`, `purge`).
"""

from __future__ import annotations

import click

from server.cli.alerts import alerts
from server.cli.backtest import backtest_command
from server.cli.companydb import companydb
from server.cli.crm import crm
from server.cli.enrich import enrich
from server.cli.export import export
from server.cli.import_logs import import_logs_command
from server.cli.ingest import ingest
from server.cli.ipdb import ipdb
from server.cli.leads import leads
from server.cli.model import model, rescore
from server.cli.privacy import erase, purge
from server.cli.run import cron, demo, jobs, serve, worker
from server.cli.setup import init, sites, tokens, users


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="vigie")
def main() -> None:
    """Vigie: self-hosted B2B visitor identification and account scoring."""


COMMANDS = (
    init, users, sites, tokens, serve, worker, ingest, cron, jobs, demo,
    companydb, ipdb, enrich, model, rescore, backtest_command, alerts, crm, export, erase, purge,
    import_logs_command, leads,
)  # fmt: skip
for command in COMMANDS:
    main.add_command(command)
