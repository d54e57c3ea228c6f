"""The README's run command: `vigie demo` builds a realistic dataset, then serves.

One demo is built (into a temporary instance folder, SQLite) and shared by the
module's tests; the command itself runs as a real process.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import subprocess
import sys
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from server.demo import (
    DEMO_ADMIN,
    DEMO_ORGANISATION,
    DemoSummary,
    build_demo,
    create_demo_app,
    ensure_demo_tenant,
)
from server.demo.build import SITE_URL
from server.demo.companies import SERVED, demo_companies
from server.demo.feedback import FEEDBACK
from server.demo.tenant import DEMO_DOMAIN
from server.demo.traffic import DAYS, simulated_days
from server.jobs import drain, jobs_of
from server.security import password_matches
from server.storage import session_scope, storage
from server.storage.migrate import upgrade
from server.storage.models import (
    Account,
    Base,
    Contact,
    DailySalt,
    Event,
    Outcome,
    ScoreSnapshot,
    Site,
    TrafficCount,
    User,
    Visit,
)
from server.storage.tenancy import SiteSettings, create_organisation, create_site, find_organisation
from server.storage.types import utcnow
from tests.support.cli import cli_for
from tests.support.processes import VIGIE, free_port, serving, vigie
from tests.support.signin import signs_in

LOGIN = re.compile(rf"sign in as {re.escape(DEMO_ADMIN)} with password (\S+)")
"""The line `vigie demo` prints when it sets the admin's password."""


@dataclass
class Demo:
    app: Flask
    summary: DemoSummary
    now: datetime
    logged: list[str]


class _Recorder(logging.Handler):
    """Keeps every log message as emitted, before any redaction."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    folder = tmp_path_factory.mktemp("demo-instance")
    app = create_demo_app(
        {
            "INSTANCE_PATH": str(folder),
            "DATABASE_URL": f"sqlite:///{folder / 'vigie.db'}",
            "REDIS_URL": None,
            "SCORING_MODEL": None,
            "JOBS_RETRY_INTERVALS": [0, 0],
            "TESTING": True,
        }
    )
    upgrade(storage(app).engine)
    now = utcnow().replace(microsecond=0)
    recorder = _Recorder()
    logging.getLogger().addHandler(recorder)
    try:
        summary = build_demo(app, "first-password-1", now=now)
    finally:
        logging.getLogger().removeHandler(recorder)
    yield Demo(app, summary, now, recorder.messages)
    drain(app, timeout=10)
    storage(app).engine.dispose()


def _count(app: Flask, model: type) -> int:
    with app.app_context(), session_scope() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def printed_password(output: str) -> str:
    """The password `vigie demo` printed in `output`."""
    found = LOGIN.search(output)
    assert found, f"no login printed in {output!r}"
    return found.group(1)


def read_until(process: subprocess.Popen, marker: str) -> str:
    """The lines a running process has printed, up to the first holding `marker`."""
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if marker in line:
            return "".join(lines)
    raise AssertionError(f"{marker!r} never printed: {''.join(lines)!r}")


def stored_demo(database_url: str) -> dict[str, object]:
    """What a later command must not change: row counts, the admin's password
    hash and the organisation's settings (which say when the dataset was built)."""
    engine = create_engine(database_url)
    try:
        with Session(engine) as session:
            state: dict[str, object] = {
                model.__name__: session.scalar(select(func.count()).select_from(model))
                for model in (Account, Visit, Event, ScoreSnapshot, TrafficCount, Outcome)
            }
            admin = session.scalars(select(User).where(User.email == DEMO_ADMIN)).one()
            state["password_hash"] = admin.password_hash
            state["settings"] = admin.organisation.settings
    finally:
        engine.dispose()
    return state


def test_about_300_accounts_with_hot_warm_and_cold_ones(demo):
    """The accounts list looks like a real pipeline: a few hot, more warm, most cold."""
    summary = demo.summary
    assert summary.built
    assert 280 <= summary.accounts <= 320
    hot, warm, cold = (summary.tiers[tier] for tier in ("hot", "warm", "cold"))
    assert 5 <= hot < warm < cold
    assert summary.events > 2_000 and summary.visits > 500
    assert summary.days == DAYS


def test_accounts_in_countries_not_served_are_cold_with_the_exclusion(demo):
    with demo.app.app_context(), session_scope() as session:
        abroad = session.scalars(select(Account).where(Account.country.not_in(SERVED))).all()
    assert len(abroad) >= 10
    for account in abroad:
        assert account.tier == "cold"
        assert any(
            (reason["label"], reason["points"]) == ("Country not served", -1000)
            for reason in account.explanation
        )


def test_every_day_has_snapshots_and_hot_since_matches_the_history(demo):
    """Snapshots cover each of the 90 days and every day of an account since it
    was first seen; "hot since" is the day the history turns hot."""
    with demo.app.app_context(), session_scope() as session:
        days = session.scalars(select(ScoreSnapshot.day).distinct()).all()
        accounts = session.scalars(select(Account)).all()
        history: dict[int, dict] = {}
        for snapshot in session.scalars(select(ScoreSnapshot)):
            history.setdefault(snapshot.account_id, {})[snapshot.day] = snapshot.tier
    today = demo.now.date()
    assert sorted(days) == [today - timedelta(days=n) for n in reversed(range(DAYS))]
    for account in accounts:
        first = account.first_seen.date()
        assert len(history[account.id]) == (today - first).days + 1
    turned_hot = [account for account in accounts if account.hot_since is not None]
    assert any(a.hot_since.date() < today - timedelta(days=7) for a in turned_hot)
    for account in turned_hot:
        tiers = history[account.id]
        day = account.hot_since.date()
        assert tiers[day] == "hot"
        assert tiers.get(day - timedelta(days=1), "cold") != "hot"


def test_traffic_that_is_not_a_company_is_counted_by_kind(demo):
    with demo.app.app_context(), session_scope() as session:
        kinds = set(session.scalars(select(TrafficCount.kind).distinct()))
    assert {"isp", "mobile", "hosting", "bot"} <= kinds
    assert all(demo.summary.counted[kind] > 100 for kind in ("isp", "mobile", "hosting", "bot"))


def test_visits_come_from_search_linkedin_newsletters_and_campaigns(demo):
    with demo.app.app_context(), session_scope() as session:
        sources = Counter(
            session.execute(
                select(Visit.referrer_host, Visit.utm_medium).where(Visit.account_id.is_not(None))
            ).all()
        )
        names = set(session.scalars(select(Event.name).where(Event.type == "event")))
    hosts = {host for host, _ in sources}
    mediums = {medium for _, medium in sources}
    assert {"www.google.com", "www.linkedin.com"} <= hosts
    assert {"email", "cpc", "paid_social"} <= mediums
    assert {"download", "form_submit", "demo_request"} <= names


_IPV4 = re.compile(r"(?<![0-9.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?![0-9])")
_IPV6 = re.compile(r"[0-9A-Fa-f]*:[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")


def addresses_in(text: str) -> set[str]:
    """Every IPv4 or IPv6 address written in `text`, in canonical form."""
    found = set()
    for token in _IPV4.findall(text) + _IPV6.findall(text):
        token = token.rstrip(".")
        if token.endswith(":") and not token.endswith("::"):
            token = token[:-1]
        try:
            found.add(str(ipaddress.ip_address(token)))
        except ValueError:
            continue
    return found


def test_no_simulated_address_is_stored_or_logged(demo):
    """Every address the simulation used is looked for in every table's text and
    in what was logged during the build; none is there."""
    site_key = demo.summary.site_key
    used = {
        str(ipaddress.ip_address(hit.ip))
        for _, hits in simulated_days(site_key, SITE_URL, demo_companies(), demo.now)
        for hit in hits
    }
    assert len(used) > 1_000
    with storage(demo.app).engine.connect() as connection:
        dump = "\n".join(
            " ".join(str(value) for value in row)
            for table in Base.metadata.sorted_tables
            for row in connection.execute(text(f"SELECT * FROM {table.name}"))
        )
    stored = addresses_in(dump)
    assert stored and not used & stored, "a simulated address was stored"
    assert not used & addresses_in("\n".join(demo.logged)), "a simulated address was logged"
    # The only addresses in the database at all start companies' networks (/24, /48).
    assert all(address.endswith((".0", "::")) for address in stored)
    assert not jobs_of(demo.app).local.failures


def test_only_todays_and_yesterdays_salts_remain(demo):
    with demo.app.app_context(), session_scope() as session:
        days = sorted(session.scalars(select(DailySalt.day)))
    today = demo.now.date()
    assert days == [today - timedelta(days=1), today]


def test_sales_feedback_and_decision_makers_are_there(demo):
    with demo.app.app_context(), session_scope() as session:
        outcomes = session.execute(select(Outcome.outcome, Outcome.reason)).all()
        contacts = session.scalars(select(Contact)).all()
        contact_tiers = {session.get(Account, c.account_id).tier for c in contacts}
    assert {"accepted", "rejected", "won", "lost"} <= {outcome for outcome, _ in outcomes}
    assert all(reason for outcome, reason in outcomes if outcome == "rejected")
    assert contacts and contact_tiers == {"hot"}


def test_a_second_build_reuses_the_data_and_only_resets_the_password(demo):
    tables = (Account, Visit, Event, ScoreSnapshot, TrafficCount, Outcome, Contact, DailySalt)
    before = {model.__name__: _count(demo.app, model) for model in tables}
    again = build_demo(demo.app, "second-password-2", now=demo.now + timedelta(minutes=5))
    after = {model.__name__: _count(demo.app, model) for model in tables}
    assert not again.built
    assert after == before
    assert (again.accounts, again.events, again.tiers) == (
        demo.summary.accounts,
        demo.summary.events,
        demo.summary.tiers,
    )
    with demo.app.app_context(), session_scope() as session:
        admin = session.scalar(select(User).where(User.email == DEMO_ADMIN))
        assert password_matches(admin.password_hash, "second-password-2")


def test_a_build_without_a_password_leaves_the_admins_one(demo):
    """Only a new admin or a reset gets a new password; a reuse keeps the login."""
    with demo.app.app_context(), session_scope() as session:
        before = session.scalars(select(User).where(User.email == DEMO_ADMIN)).one().password_hash
    again = build_demo(demo.app, now=demo.now + timedelta(minutes=10))
    assert not again.built and again.password is None
    with demo.app.app_context(), session_scope() as session:
        after = session.scalars(select(User).where(User.email == DEMO_ADMIN)).one().password_hash
    assert after == before


def test_the_demo_has_a_site_of_its_own_found_again_by_its_key(app):
    """A "Demo" organisation whose only site is someone else's gets a demo site;
    renamed, and with another site sorting first, it is still the demo's."""
    with app.app_context(), session_scope() as session:
        organisation = create_organisation(session, DEMO_ORGANISATION)
        create_site(session, organisation, SiteSettings("AAA site", ["aaa.example"]))
    with app.app_context(), session_scope() as session:
        first = ensure_demo_tenant(session)
        assert (first.site.name, first.site.domains) == ("Demo site", [DEMO_DOMAIN])
        assert first.password  # a new admin gets a new password
        key = first.site.public_key
        first.site.name, first.site.domains = "Our demo", ["demo.example"]
    with app.app_context(), session_scope() as session:
        organisation = find_organisation(session, DEMO_ORGANISATION)
        create_site(session, organisation, SiteSettings("AAB site", ["aab.example"]))
        again = ensure_demo_tenant(session)
        assert again.site.public_key == key and again.password is None
        assert len(organisation.sites) == 3


@pytest.mark.slow
def test_reset_rebuilds_on_the_demos_own_site_when_another_sorts_first(demo, tmp_path):
    """With "AAA site" added to the demo organisation, `vigie demo --reset` puts
    every event on the demo's own site, prints that site's snippet and a new
    login, and leaves the other site's traffic alone."""
    added = cli_for(demo.app, tmp_path)(
        "sites", "add", "--org", "Demo", "--name", "AAA site", "--domain", "aaa.example"
    )
    assert added.exit_code == 0, added.output
    other_key = re.search(r"site key: (\S+)", added.output).group(1)
    with demo.app.app_context(), session_scope() as session:
        other = session.scalars(select(Site).where(Site.public_key == other_key)).one()
        other_id = other.id
        session.add(TrafficCount(site_id=other_id, day=demo.now.date(), kind="isp", count=7))
    env = {
        "VIGIE_DATABASE_URL": demo.app.config["DATABASE_URL"],
        "VIGIE_INSTANCE_PATH": demo.app.instance_path,
    }
    port = free_port()
    command = [*VIGIE, "demo", "--reset", "--port", str(port)]
    with serving(command, port, env, ready="/readyz") as served:
        printed = read_until(served.process, "demo site snippet")
        assert signs_in(served.url, DEMO_ADMIN, printed_password(printed))
    assert "Demo dataset built in " in printed
    assert f'data-site="{demo.summary.site_key}"' in printed
    assert other_key not in printed
    with demo.app.app_context(), session_scope() as session:
        events = dict(
            session.execute(
                select(Site.public_key, func.count(Event.id)).join(Event).group_by(Site.id)
            ).all()
        )
        kept = session.execute(
            select(TrafficCount.kind, TrafficCount.count).where(TrafficCount.site_id == other_id)
        ).all()
    assert list(events) == [demo.summary.site_key] and events[demo.summary.site_key] > 2_000
    assert [tuple(row) for row in kept] == [("isp", 7)]


def test_reset_wipes_the_dataset_and_builds_the_same_one_again(demo):
    """Runs last: `--reset` rebuilds in place, with the same shape for the same time."""
    rebuilt = build_demo(demo.app, "third-password-3", now=demo.now, reset=True)
    assert rebuilt.built
    assert rebuilt.site_key == demo.summary.site_key
    assert (rebuilt.accounts, rebuilt.tiers, rebuilt.visits, rebuilt.events) == (
        demo.summary.accounts,
        demo.summary.tiers,
        demo.summary.visits,
        demo.summary.events,
    )
    assert _count(demo.app, Outcome) == len(FEEDBACK)


@pytest.mark.slow
def test_demo_command_builds_then_serves_and_reuses_on_the_next_run(tmp_path):
    """`vigie demo` prints the dashboard URL and the login and answers /readyz;
    a second run reuses the dataset and keeps one demo site."""
    env = {"VIGIE_INSTANCE_PATH": str(tmp_path / "instance")}
    port = free_port()
    with serving([*VIGIE, "demo", "--port", str(port)], port, env, ready="/readyz") as served:
        ready = json.load(urllib.request.urlopen(served.url + "/readyz", timeout=5))
    assert served.status == 200
    assert ready == {"status": "ok", "database": "ok", "redis": "not configured"}
    assert (tmp_path / "instance" / "vigie.db").is_file()
    assert (tmp_path / "instance" / "demo-companies.mmdb").is_file()
    assert "Demo dataset built in " in served.stdout
    assert f"Vigie demo on http://127.0.0.1:{port}/" in served.stdout
    assert f"sign in as {DEMO_ADMIN} with password " in served.stdout
    assert 'data-site="' in served.stdout
    output = served.stdout + served.stderr
    assert "Booting worker" in output and "development server" not in output  # gunicorn
    password = printed_password(served.stdout)
    port = free_port()
    with serving([*VIGIE, "demo", "--port", str(port)], port, env, ready="/readyz") as again:
        assert again.status == 200
        assert signs_in(again.url, DEMO_ADMIN, password)
    assert "Demo dataset reused: " in again.stdout
    assert "with password " not in again.stdout
    assert "unchanged; `vigie demo --new-password` sets a new one" in again.stdout
    listing = vigie("sites", "list", "--org", "Demo", env=env)
    assert listing.returncode == 0
    assert len(listing.stdout.splitlines()) == 1
    port = free_port()
    command = [*VIGIE, "demo", "--new-password", "--port", str(port)]
    with serving(command, port, env, ready="/readyz") as renewed:
        printed = read_until(renewed.process, "sign in as")
        assert signs_in(renewed.url, DEMO_ADMIN, printed_password(printed))
        assert not signs_in(renewed.url, DEMO_ADMIN, password)
    assert "Demo dataset reused: " in printed


@pytest.mark.slow
def test_a_second_demo_on_a_busy_port_stops_before_changing_anything(tmp_path):
    """`vigie demo`, with or without `--reset`, on the port a running demo holds
    exits naming the address and `--port`; the running demo's login and dataset
    stay as they were."""
    env = {"VIGIE_INSTANCE_PATH": str(tmp_path / "instance")}
    database_url = f"sqlite:///{tmp_path / 'instance' / 'vigie.db'}"
    port = free_port()
    with serving([*VIGIE, "demo", "--port", str(port)], port, env, ready="/readyz") as first:
        password = printed_password(read_until(first.process, "sign in as"))
        before = stored_demo(database_url)
        for options in ([], ["--reset"]):
            busy = vigie("demo", "--port", str(port), *options, env=env)
            assert busy.returncode != 0
            assert f"127.0.0.1:{port} is already in use" in busy.stderr
            assert "choose another with --port" in busy.stderr
            assert "Traceback" not in busy.stderr and busy.stdout == ""
        assert stored_demo(database_url) == before
        assert signs_in(first.url, DEMO_ADMIN, password)
        assert not signs_in(first.url, DEMO_ADMIN, password + "x")


def test_console_script_is_installed():
    script = Path(sys.executable).parent / "vigie"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for command in ("init", "users", "sites", "serve", "worker", "demo"):
        assert command in result.stdout
