"""Accounts are rescored as events arrive, with the model in force."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.config import ConfigError
from server.jobs import drain
from server.storage import session_scope
from server.storage.models import Account, Event, Outcome
from tests.support.cli import cli_for
from tests.support.collector import pageview, send


def account_row(app):
    with app.app_context(), session_scope() as session:
        account = session.scalar(select(Account))
        session.expunge_all()
        return account


def test_touched_account_is_scored_with_its_explanation(collector_app):
    send(collector_app, pageview(url="https://shop.example/pricing"))
    send(collector_app, pageview(url="https://shop.example/careers"))
    assert drain(collector_app, timeout=20)
    account = account_row(collector_app)
    labels = {item["label"]: item["points"] for item in account.explanation}
    assert labels["Pricing page"] == 10 and labels["Careers page (job seeker?)"] == -15
    assert account.scored_at is not None
    assert account.score == round(account.fit + account.engagement)
    # Acme (Software, 120 employees, FR) fits the default persona fully: 30.
    # One visit: 2 + frequency 3 + pricing 10 - careers 15 = 0 engagement.
    assert account.fit == 30 and round(account.engagement) == 0
    assert (account.score, account.tier) == (30, "warm")


def test_crossing_into_hot_sets_hot_since(make_app, db_url, mmdb, tmp_path):
    from tests.support.collector import SITE_KEY
    from tests.support.factories import make_site

    model = tmp_path / "model.toml"
    model.write_text('[tiers]\nwarm = 5\nhot = 10\n[[page]]\nmatch = "/pricing*"\npoints = 10\n')
    app = make_app(db_url, MMDB=mmdb, SCORING_MODEL=str(model))
    make_site(app, SITE_KEY)
    send(app, pageview(url="https://shop.example/"))
    assert drain(app, timeout=20)
    assert account_row(app).tier == "cold" and account_row(app).hot_since is None
    send(app, pageview(url="https://shop.example/pricing"))
    assert drain(app, timeout=20)
    account = account_row(app)
    assert (account.tier, account.score) == ("hot", 10)
    with app.app_context(), session_scope() as session:
        pricing_seen_at = session.scalar(select(Event.occurred_at).where(Event.path == "/pricing"))
    assert account.hot_since == pricing_seen_at  # the page view's time, not the rescore's


def test_a_broken_model_file_stops_the_start(make_app, db_url, tmp_path):
    model = tmp_path / "model.toml"
    model.write_text('[tiers]\nwarm = 30\nhot = 60\n[[page]]\nmatch = "/x"\npoints = "ten"\n')
    with pytest.raises(
        ConfigError, match=r"VIGIE_SCORING_MODEL: .*line 6: page\[1\]\.points: must be a number"
    ):
        make_app(db_url, SCORING_MODEL=str(model))


def test_vigie_rescore_rescores_everything(collector_app, tmp_path):
    """Every account's stored score, tier and explanation are computed again."""
    send(collector_app, pageview(url="https://shop.example/pricing"))
    send(collector_app, pageview(url="https://shop.example/"), ip="2a01:e0a:100::7")
    assert drain(collector_app, timeout=20)
    scored = scores_by_name(collector_app)
    assert set(scored) == {"Acme SAS", "Beta GmbH"}
    assert scored["Acme SAS"][0] == 45  # persona 30 + visit 2 + frequency 3 + pricing 10
    with collector_app.app_context(), session_scope() as session:
        for account in session.scalars(select(Account)):  # as if the model had changed
            account.score, account.tier, account.explanation = 999, "hot", []
    vigie = cli_for(collector_app, tmp_path)
    result = vigie("rescore")
    assert result.exit_code == 0 and "2 account(s) rescored." in result.output
    assert scores_by_name(collector_app) == scored


def scores_by_name(app):
    with app.app_context(), session_scope() as session:
        return {
            account.name: (account.score, account.tier, account.explanation)
            for account in session.scalars(select(Account))
        }


def test_the_daily_pass_decays_scores_and_snapshots_them(make_app, db_url, tmp_path):
    from datetime import timedelta

    from server.jobs.maintenance import record_daily_scores
    from server.records import CollectedEvent, CompanyFacts
    from server.storage.ingest import ingest
    from server.storage.models import ScoreSnapshot
    from server.storage.types import utcnow
    from tests.support.factories import make_site

    model = tmp_path / "model.toml"
    model.write_text(
        "[tiers]\nwarm = 5\nhot = 10\n[engagement]\nhalf_life_days = 10\n"
        '[[page]]\nmatch = "/pricing*"\npoints = 40\n'
    )
    app = make_app(db_url, SCORING_MODEL=str(model))
    org_id, site_id = make_site(app)
    seen = utcnow() - timedelta(days=20)
    with app.app_context(), session_scope() as session:
        ingest(
            session,
            [
                CollectedEvent(
                    event_id="e1",
                    site_id=site_id,
                    org_id=org_id,
                    occurred_at=seen,
                    type="pageview",
                    path="/pricing",
                    visitor_hash="v",
                    connection_class="business",
                    device_class="desktop",
                    browser_family="Chrome",
                    company=CompanyFacts(key="acme.fr", name="Acme"),
                )
            ],
            utcnow(),
        )
    with app.app_context():
        assert record_daily_scores() == 1
    account = account_row(app)
    assert account.score == 10 and account.tier == "hot"  # 40 halved twice in 20 days
    with app.app_context(), session_scope() as session:
        snapshot = session.scalar(select(ScoreSnapshot))
        assert (snapshot.score, snapshot.tier) == (10, "hot")


def _hot_model(tmp_path):
    model = tmp_path / "model.toml"
    model.write_text('[tiers]\nwarm = 5\nhot = 10\n[[page]]\nmatch = "/pricing*"\npoints = 10\n')
    return str(model)


def test_crossing_into_hot_posts_one_alert_in_process(make_app, db_url, mmdb, tmp_path):
    from tests.support.collector import SITE_KEY
    from tests.support.factories import make_site
    from tests.support.httpserver import Answer, ScriptedServer

    with ScriptedServer() as hook:
        hook.on("/hook", Answer(500), Answer(200, body={"ok": True}))
        app = make_app(
            db_url,
            MMDB=mmdb,
            SCORING_MODEL=_hot_model(tmp_path),
            PUBLIC_URL="https://vigie.acme.example/",
            OUTBOUND_ALLOW="127.0.0.1",
        )
        make_site(app, SITE_KEY, settings={"webhook_url": hook.url + "/hook"})
        for path in ("/pricing", "/pricing", "/"):
            send(app, pageview(url=f"https://shop.example{path}"))
        assert drain(app, timeout=30)
        posted = [h for p, h in hook.requests if p == "/hook"]
        body = hook.bodies[-1]
    assert len(posted) == 2  # one crossing: a failed attempt, then its retry
    assert account_row(app).tier == "hot"
    import json

    alert = json.loads(body)
    assert alert["text"].startswith("🔥 Acme SAS (acme.fr): became hot, score 10. Why: ")
    assert alert["account"]["tier"] == "hot"
    page = f"https://vigie.acme.example/accounts/{account_row(app).id}"
    assert alert["url"] == page and alert["text"].endswith(f"<{page}|Open in Vigie>")


def test_crossing_into_hot_alerts_once_on_rq(
    make_app, db_url, mmdb, redis_url, rq_worker, tmp_path
):
    from tests.support.collector import SITE_KEY, consume_stream
    from tests.support.factories import make_site
    from tests.support.httpserver import Answer, ScriptedServer

    with ScriptedServer() as hook:
        hook.on("/hook", Answer(200, body={"ok": True}))
        app = make_app(
            db_url,
            MMDB=mmdb,
            SCORING_MODEL=_hot_model(tmp_path),
            REDIS_URL=redis_url,
            SECRET_KEY="s",
            OUTBOUND_ALLOW="127.0.0.1",
        )
        make_site(app, SITE_KEY, settings={"webhook_url": hook.url + "/hook"})
        from redis import Redis

        for round_number in range(2):
            send(app, pageview(url="https://shop.example/pricing"))
            consume_stream(app, Redis.from_url(redis_url), f"c{round_number}")
            rq_worker(app)
        texts = [p for p, _ in hook.requests if p == "/hook"]
    assert len(texts) == 1


def test_two_rescorings_that_read_the_account_below_hot_alert_once(
    make_app, db_url, mmdb, tmp_path
):
    """Scores are read apart from their write: of two rescorings that both saw
    the account below hot, only the first write crosses it and alerts."""
    from sqlalchemy import update

    from server.rescoring import _score_batch, write_scores
    from server.storage.types import utcnow
    from tests.support.collector import SITE_KEY
    from tests.support.factories import make_site
    from tests.support.httpserver import Answer, ScriptedServer

    with ScriptedServer() as hook:
        hook.on("/hook", Answer(200, body={"ok": True}))
        app = make_app(
            db_url, MMDB=mmdb, SCORING_MODEL=_hot_model(tmp_path), OUTBOUND_ALLOW="127.0.0.1"
        )
        make_site(app, SITE_KEY, settings={"webhook_url": hook.url + "/hook"})
        for path in ("/pricing", "/pricing", "/"):
            send(app, pageview(url=f"https://shop.example{path}"))
        assert drain(app, timeout=30)
        account_id = account_row(app).id
        with app.app_context(), session_scope() as session:  # as before it crossed
            session.execute(update(Account).values(tier="warm", hot_since=None))
        alerts_before = sum(1 for p, _ in hook.requests if p == "/hook")
        now = utcnow()
        with app.app_context(), session_scope() as session:
            first = _score_batch(session, [account_id], now)
            second = _score_batch(session, [account_id], now)
            write_scores(session, first, now)
            write_scores(session, second, now)
        assert drain(app, timeout=30)
        alerts = sum(1 for p, _ in hook.requests if p == "/hook") - alerts_before
    assert account_row(app).tier == "hot"
    assert alerts == 1


def test_webhook_is_set_and_tested_from_the_cli(collector_app, tmp_path, monkeypatch):
    from tests.support.httpserver import Answer, ScriptedServer

    monkeypatch.setenv("VIGIE_OUTBOUND_ALLOW", "127.0.0.1")  # the fake webhook is on loopback
    vigie = cli_for(collector_app, tmp_path)
    with ScriptedServer() as hook:
        hook.on("/hook", Answer(200, body={}))
        result = vigie("alerts", "webhook", "--org", "Org", "--test", hook.url + "/hook")
        assert result.exit_code == 0, result.output
        assert "Test message delivered." in result.output and len(hook.bodies) == 1
    bad = vigie("alerts", "webhook", "--org", "Org", "ftp://x")
    assert bad.exit_code == 2 and "url: 'ftp://x' is not an http(s) URL" in bad.output


def test_model_set_keeps_history_and_rescores(collector_app, tmp_path):
    send(collector_app, pageview(url="https://shop.example/pricing"))
    assert drain(collector_app, timeout=20)
    vigie = cli_for(collector_app, tmp_path)
    good = tmp_path / "good.toml"
    good.write_text('[tiers]\nwarm = 5\nhot = 10\n[[page]]\nmatch = "/pricing*"\npoints = 77\n')
    result = vigie("model", "set", "--org", "Org", "--by", "ann@org.fr", str(good))
    assert result.exit_code == 0, result.output
    assert 'Model version 1 of "Org" in force; 1 account(s) rescored.' in result.output
    assert account_row(collector_app).score == 77
    bad = tmp_path / "bad.toml"
    bad.write_text('[tiers]\nwarm = 5\nhot = 10\n[[page]]\nmatch = "/pricing*"\npoints = "lots"\n')
    refused = vigie("model", "set", "--org", "Org", str(bad))
    assert refused.exit_code == 2
    assert f"{bad}:6: page[1].points: must be a number" in refused.output
    assert vigie("model", "show", "--org", "Org").output == good.read_text()
    listing = vigie("model", "history", "--org", "Org").output
    assert listing.startswith("v1\t") and "ann@org.fr" in listing
    send(collector_app, pageview(url="https://shop.example/pricing/enterprise"))
    assert drain(collector_app, timeout=20)
    assert account_row(collector_app).score == 77  # new events use the stored model too


def test_backtest_command(collector_app, tmp_path):
    send(collector_app, pageview(url="https://shop.example/pricing"))
    assert drain(collector_app, timeout=20)
    outcomes = tmp_path / "outcomes.csv"
    outcomes.write_text("domain,outcome\nacme.fr,won\nghost.io,lost\n")
    vigie = cli_for(collector_app, tmp_path)
    result = vigie("backtest", "--outcomes", str(outcomes))
    assert result.exit_code == 0, result.output
    assert "Accounts: 1 won, 0 lost. AUC of the score: n/a" in result.output
    assert "Pricing page" in result.output and "Unknown domains (1): ghost.io" in result.output
    outcomes.write_text("domain,outcome\nacme.fr,maybe\n")
    bad = vigie("backtest", "--outcomes", str(outcomes))
    assert bad.exit_code == 2 and "line 2: outcome: 'maybe' is not won or lost" in bad.output


def test_backtest_uses_the_outcomes_sales_recorded(collector_app, tmp_path):
    send(collector_app, pageview(url="https://shop.example/pricing"))
    assert drain(collector_app, timeout=20)
    vigie = cli_for(collector_app, tmp_path)
    nothing = vigie("backtest")
    assert nothing.exit_code == 2 and "no account is marked won or lost yet" in nothing.output
    account = account_row(collector_app)
    with collector_app.app_context(), session_scope() as session:
        session.add(Outcome(org_id=account.org_id, account_id=account.id, outcome="lost"))
        session.flush()
        session.add(Outcome(org_id=account.org_id, account_id=account.id, outcome="won"))
    result = vigie("backtest")
    assert result.exit_code == 0, result.output
    assert "Accounts: 1 won, 0 lost." in result.output
