"""Sign-ins throttled per e-mail, whatever address they come from, on SQLite and
PostgreSQL; an unknown e-mail is treated like a user's; every attempt audited."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select

from server.storage import session_scope
from server.storage.models import AuditEntry, SignInThrottle
from server.throttle import ThrottlePolicy
from tests.support.accounts import PASSWORD, seed_accounts

TOKEN = re.compile(r'name="(?:[a-z]+-)?csrf_token" type="hidden" value="([^"]+)"')

FIRST_DELAY = 60
"""Seconds of the first wait in these tests: long enough that no request of a
slow machine outlasts it; the tests move the throttle's clock instead of waiting."""

UNKNOWN = "nobody@acme.example"


@pytest.fixture
def proxied_app(make_app, db_url):
    """The app behind one trusted proxy, which names the client in X-Forwarded-For."""
    return make_app(db_url, TRUSTED_PROXIES=1, LOGIN_FIRST_DELAY=FIRST_DELAY)


class Browser:
    """A browser on the sign-in form, its address given per request by the proxy."""

    def __init__(self, app) -> None:
        self.app = app
        self.client = app.test_client()
        self.token = TOKEN.search(self.client.get("/login").get_data(as_text=True)).group(1)

    def sign_in(self, email: str, password: str, address: str = "198.51.100.1"):
        return self.client.post(
            "/login",
            data={"email": email, "password": password, "csrf_token": self.token},
            headers={"X-Forwarded-For": address},
        )

    def opens(self, path: str, address: str) -> bool:
        """Whether `path` shows (rather than sending to the sign-in form)."""
        return self.client.get(path, headers={"X-Forwarded-For": address}).status_code == 200


def guess_from_twenty_addresses(browser: Browser, email: str) -> list[int]:
    return [
        browser.sign_in(email, f"wrong guess {n}", f"203.0.113.{n}").status_code
        for n in range(1, 21)
    ]


def move_time(app, seconds: int) -> None:
    """Let `seconds` pass for the throttle: its stored times move back."""
    back = timedelta(seconds=seconds)
    with app.app_context(), session_scope() as session:
        for row in session.scalars(select(SignInThrottle)):
            row.last_attempt_at -= back
            if row.blocked_until is not None:
                row.blocked_until -= back


def signed_in(answer) -> bool:
    return answer.status_code == 302 and "/login" not in answer.headers["Location"]


def test_the_delay_grows_after_the_free_failures_up_to_the_cap():
    """5 failures free, then 1 s, doubling, capped at 15 minutes."""
    policy = ThrottlePolicy(5, timedelta(seconds=1), timedelta(minutes=15))
    delays = [policy.delay_after(n).total_seconds() for n in range(1, 18)]
    assert delays == [0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]
    assert policy.delay_after(10_000) == timedelta(minutes=15)


def test_twenty_addresses_cannot_guess_one_account(proxied_app):
    """Past 5 failures, every attempt for the e-mail is refused, from any address,
    the right password included, until the wait is over."""
    world = seed_accounts(proxied_app)
    browser = Browser(proxied_app)
    assert guess_from_twenty_addresses(browser, world.email) == [200] * 5 + [429] * 15

    refused = browser.sign_in(world.email, PASSWORD, "192.0.2.50")
    assert refused.status_code == 429
    assert FIRST_DELAY - 30 < int(refused.headers["Retry-After"]) <= FIRST_DELAY
    assert "Too many attempts for this e-mail address: try again in 1 minute." in (
        refused.get_data(as_text=True)
    )
    assert not browser.opens("/accounts", "192.0.2.50")

    move_time(proxied_app, FIRST_DELAY)
    assert signed_in(browser.sign_in(world.email, PASSWORD, "192.0.2.50"))
    assert browser.opens("/accounts", "192.0.2.50")


def test_each_further_failure_doubles_the_wait(proxied_app):
    world = seed_accounts(proxied_app)
    browser = Browser(proxied_app)
    guess_from_twenty_addresses(browser, world.email)
    move_time(proxied_app, FIRST_DELAY)
    assert browser.sign_in(world.email, "one more guess").status_code == 200
    refused = browser.sign_in(world.email, PASSWORD)
    assert refused.status_code == 429
    assert "try again in 2 minutes." in refused.get_data(as_text=True)
    move_time(proxied_app, 2 * FIRST_DELAY)
    assert signed_in(browser.sign_in(world.email, PASSWORD))


def test_a_successful_sign_in_resets_the_count(proxied_app):
    world = seed_accounts(proxied_app)
    browser = Browser(proxied_app)
    for n in range(4):
        assert browser.sign_in(world.email, "wrong guess", f"203.0.113.{n}").status_code == 200
    assert signed_in(browser.sign_in(world.email, PASSWORD))
    other = Browser(proxied_app)
    codes = [
        other.sign_in(world.email, "wrong again", f"192.0.2.{n}").status_code for n in range(6)
    ]
    assert codes == [200] * 5 + [429]


def test_the_e_mail_is_matched_in_any_case(proxied_app):
    world = seed_accounts(proxied_app)
    browser = Browser(proxied_app)
    for n in range(5):
        browser.sign_in(world.email.upper() if n % 2 else world.email, "wrong guess")
    assert browser.sign_in(f"  {world.email.title()} ", PASSWORD).status_code == 429


def test_an_unknown_e_mail_is_throttled_like_a_users(proxied_app):
    """Same answers and messages: the form does not tell which e-mails are users'."""
    world = seed_accounts(proxied_app)
    known, unknown = Browser(proxied_app), Browser(proxied_app)
    assert guess_from_twenty_addresses(unknown, UNKNOWN) == guess_from_twenty_addresses(
        known, world.email
    )
    for n, email in enumerate([world.email, UNKNOWN, "nobody3@acme.example"]):
        page = Browser(proxied_app).sign_in(email, "x" * 12, f"192.0.2.{n}").get_data(as_text=True)
        messages = {
            world.email: "Too many attempts for this e-mail address: try again in 1 minute.",
            UNKNOWN: "Too many attempts for this e-mail address: try again in 1 minute.",
        }
        assert flash_of(page) == messages.get(email, "Wrong e-mail or password.")


def flash_of(page: str) -> str:
    found = re.search(r'class="flash flash-error"[^>]*>([^<]*)<', page)
    return found.group(1) if found else ""


def test_the_throttle_keeps_no_e_mail_address(proxied_app):
    """An e-mail that is no user's is not copied into the database."""
    browser = Browser(proxied_app)
    guess_from_twenty_addresses(browser, UNKNOWN)
    with proxied_app.app_context(), session_scope() as session:
        rows = session.scalars(select(SignInThrottle)).all()
    assert len(rows) == 1 and rows[0].failures == 5
    assert "nobody" not in rows[0].key and re.fullmatch(r"[0-9a-f]{64}", rows[0].key)


def test_workers_share_the_count(make_app, db_url):
    """Two apps on one database, as two gunicorn workers: failures add up."""
    first = make_app(db_url, TRUSTED_PROXIES=1, LOGIN_FIRST_DELAY=FIRST_DELAY)
    second = make_app(db_url, TRUSTED_PROXIES=1, LOGIN_FIRST_DELAY=FIRST_DELAY)
    world = seed_accounts(first)
    browsers = [Browser(first), Browser(second)]
    codes = [
        browsers[n % 2].sign_in(world.email, "wrong guess", f"203.0.113.{n}").status_code
        for n in range(8)
    ]
    assert codes == [200] * 5 + [429] * 3


def test_a_burst_from_many_workers_gets_only_the_free_attempts(make_app, db_url):
    """Sixteen guesses at once through two apps: only five passwords are checked."""
    apps = [make_app(db_url, TRUSTED_PROXIES=1, LOGIN_FIRST_DELAY=FIRST_DELAY) for _ in range(2)]
    world = seed_accounts(apps[0])
    browsers = [Browser(apps[n % 2]) for n in range(16)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(
            pool.map(
                lambda n: browsers[n].sign_in(world.email, "guess", f"203.0.113.{n}").status_code,
                range(16),
            )
        )
    assert sorted(codes) == [200] * 5 + [429] * 11


def test_sign_in_attempts_are_audited(proxied_app):
    """Failures, throttled attempts and the success, by the user's e-mail, with no address."""
    world = seed_accounts(proxied_app)
    browser = Browser(proxied_app)
    for n in range(1, 8):
        browser.sign_in(world.email, "wrong guess", f"203.0.113.{n}")
    move_time(proxied_app, FIRST_DELAY)
    assert signed_in(browser.sign_in(world.email, PASSWORD, "203.0.113.9"))
    browser.sign_in(UNKNOWN, "wrong guess", "203.0.113.10")
    with proxied_app.app_context(), session_scope() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [entry.action for entry in entries] == ["sign_in.failed"] * 5 + [
        "sign_in.throttled"
    ] * 2 + ["sign_in.succeeded"]
    assert {(entry.org_id, entry.actor_label) for entry in entries} == {(world.org_id, world.email)}
    assert FIRST_DELAY - 30 < entries[5].detail["retry_after_seconds"] <= FIRST_DELAY
    assert not any("203.0.113" in f"{entry.target} {entry.detail}" for entry in entries)
