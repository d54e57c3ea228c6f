"""The snippet as served by `GET /v.js`, in a real browser, into the real database."""

from __future__ import annotations

import gzip
import io
import time

import pytest
from sqlalchemy import select

from enrich.companydb import build_company_db, read_networks
from server.storage import session_scope
from server.storage.models import Account, Event, TrafficCount
from tests.support.factories import make_site
from tests.support.wsgi import behind_proxy, served

ACME_IP = "81.2.69.77"
SITE_KEY = "browsersite1"
SNIPPET_BUDGET = 1200
SNIPPET_READY = "typeof window.vigie === 'function' && !window.vigie.q"
"""The snippet has run: the queue stub was replaced by the real function."""

PAGE = """<!doctype html>
<html><head><title>Acme pricing</title>
<script>window.vigie=window.vigie||function(){(vigie.q=vigie.q||[]).push(arguments)};
vigie('event', 'demo_request', {plan: 'pro'});</script>
<script defer data-site="%(site)s" data-allow-local %(extra)s src="%(collector)s/v.js"></script>
</head><body>
<a id="pdf" href="/files/guide.pdf?v=2">Guide</a>
<a id="out" href="https://partner.example.org/offer">Partner</a>
<form id="contact" onsubmit="return false"><button id="send">Send</button></form>
<script>document.addEventListener('click', function (e) { e.preventDefault(); });</script>
</body></html>"""


def page_app(collector: str, extra: str = ""):
    def app(environ, start_response):
        if environ["PATH_INFO"] == "/stats/e":
            return first_party_proxy(environ, start_response, collector)
        body = (PAGE % {"site": SITE_KEY, "collector": collector, "extra": extra}).encode()
        start_response(
            "200 OK", [("Content-Type", "text/html"), ("Content-Length", str(len(body)))]
        )
        return [body]

    return app


def first_party_proxy(environ, start_response, collector):
    """What a site's own server does for `data-api`: pass the beacon on to Vigie."""
    import urllib.request

    length = int(environ.get("CONTENT_LENGTH") or 0)
    request = urllib.request.Request(
        collector + "/e",
        data=environ["wsgi.input"].read(length),
        method="POST",
        headers={"User-Agent": environ.get("HTTP_USER_AGENT", ""), "Content-Type": "text/plain"},
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        start_response(f"{answer.status} OK", [("Content-Length", "0")])
    return [b""]


@pytest.fixture
def vigie_app(make_app, tmp_path, sqlite_template):
    import shutil

    companies = tmp_path / "companies.mmdb"
    build_company_db(
        read_networks(
            io.StringIO(
                "network,name,domain,industry,employees,country\n81.2.69.0/24,Acme SAS,acme.fr,,,FR\n"
            )
        ),
        companies,
    )
    database = tmp_path / "browser.db"
    shutil.copy(sqlite_template, database)
    app = make_app(f"sqlite:///{database}", MMDB=[str(companies)], TRUSTED_PROXIES=1)
    make_site(app, SITE_KEY, domains=("localhost",))
    return app


def events(app):
    with app.app_context(), session_scope() as session:
        found = session.scalars(select(Event).order_by(Event.id)).all()
        session.expunge_all()
        return found


def wait_for(condition, app, page, timeout=15.0):
    """Poll `condition`, letting Playwright run meanwhile: its loopback-only route
    handler (which lets each beacon through) only runs inside a Playwright call."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        page.wait_for_timeout(50)
    with app.app_context(), session_scope() as session:
        counts = [(c.kind, c.count) for c in session.scalars(select(TrafficCount))]
    stored = [(e.type, e.name, e.path) for e in events(app)]
    raise AssertionError(f"condition not met in time; events {stored}, counts {counts}")


def test_served_snippet_fits_the_budget(vigie_app):
    response = vigie_app.test_client().get("/v.js", headers={"Accept-Encoding": "gzip"})
    size = len(response.data)
    print(f"\nv.js as served: {size} bytes gzipped, {len(gzip.decompress(response.data))} minified")
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["ETag"] and "max-age" in response.headers["Cache-Control"]
    assert size <= SNIPPET_BUDGET
    again = vigie_app.test_client().get(
        "/v.js", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304


def test_a_visit_in_chromium_is_stored_for_its_company(vigie_app, context):
    with served(behind_proxy(vigie_app, ACME_IP)) as collector, served(page_app(collector)) as site:
        page = context.new_page()
        answers = []
        page.on(
            "response",
            lambda r: answers.append((r.url, r.status)) if r.url.endswith("/e") else None,
        )
        page.on("requestfailed", lambda r: answers.append((r.url, r.failure)))
        started = time.monotonic()
        page.goto(site.replace("127.0.0.1", "localhost") + "/")
        wait_for(lambda: any(e.name == "demo_request" for e in events(vigie_app)), vigie_app, page)
        page.evaluate("history.pushState({}, '', '/step-1')")
        page.evaluate("history.pushState({}, '', '/step-1')")  # same URL: no second pageview
        page.evaluate("history.pushState({}, '', '/step-2')")
        page.click("#pdf")
        page.click("#out")
        page.wait_for_timeout(300)  # some visible time to measure
        page.goto("about:blank")  # leaving the page
        elapsed_ms = (time.monotonic() - started) * 1000
        wait_for(lambda: any(e.type == "engagement" for e in events(vigie_app)), vigie_app, page)
    stored = events(vigie_app)
    pageviews = [e.path for e in stored if e.type == "pageview"]
    custom = {(e.name, tuple(sorted(e.props.items()))) for e in stored if e.type == "event"}
    engagement = [e.engaged_ms for e in stored if e.type == "engagement"]
    assert sorted(pageviews) == ["/", "/step-1", "/step-2"], answers  # may arrive out of order
    assert custom == {
        ("demo_request", (("plan", "pro"),)),
        ("download", (("url", site.replace("127.0.0.1", "localhost") + "/files/guide.pdf"),)),
        ("outbound", (("url", "https://partner.example.org/offer"),)),
    }
    assert len(engagement) == 1 and 250 <= engagement[0] <= elapsed_ms
    with vigie_app.app_context(), session_scope() as session:
        [account] = session.scalars(select(Account)).all()
        assert account.name == "Acme SAS"
    assert {e.account_id for e in stored} == {account.id}
    assert len({e.visit_id for e in stored}) == 1


@pytest.mark.parametrize(
    "opt_out",
    [
        "Object.defineProperty(navigator, 'globalPrivacyControl', {get: () => true})",
        "localStorage.setItem('vigie_ignore', 'true')",
    ],
)
def test_opted_out_visitor_sends_nothing(vigie_app, context, opt_out):
    sent = []
    context.add_init_script(opt_out)
    with served(behind_proxy(vigie_app, ACME_IP)) as collector, served(page_app(collector)) as site:
        page = context.new_page()
        page.on(
            "request", lambda request: sent.append(request.url) if "/e" in request.url else None
        )
        page.goto(site.replace("127.0.0.1", "localhost") + "/")
        page.wait_for_function(SNIPPET_READY)
        page.evaluate("history.pushState({}, '', '/next'); vigie('event', 'demo_request')")
        page.click("#pdf")
        page.goto("about:blank")
    assert sent == []
    assert events(vigie_app) == []
    with vigie_app.app_context(), session_scope() as session:
        assert session.scalars(select(TrafficCount)).all() == []


def test_forms_are_tracked_when_asked(vigie_app, context):
    with (
        served(behind_proxy(vigie_app, ACME_IP)) as collector,
        served(page_app(collector, extra="data-forms")) as site,
    ):
        page = context.new_page()
        page.goto(site.replace("127.0.0.1", "localhost") + "/")
        page.wait_for_function(SNIPPET_READY)
        page.evaluate("document.getElementById('contact').requestSubmit()")
        wait_for(lambda: any(e.name == "form_submit" for e in events(vigie_app)), vigie_app, page)
    [form] = [e for e in events(vigie_app) if e.name == "form_submit"]
    assert form.props == {"form": "contact"}


def test_hash_routes_with_data_hash(vigie_app, context):
    with (
        served(behind_proxy(vigie_app, ACME_IP)) as collector,
        served(page_app(collector, extra="data-hash")) as site,
    ):
        page = context.new_page()
        page.goto(site.replace("127.0.0.1", "localhost") + "/#/home")
        page.wait_for_function(SNIPPET_READY)
        page.evaluate("location.hash = '#/pricing'")
        wait_for(
            lambda: len([e for e in events(vigie_app) if e.type == "pageview"]) == 2,
            vigie_app,
            page,
        )
    assert sorted(e.path for e in events(vigie_app) if e.type == "pageview") == [
        "/#/home",
        "/#/pricing",
    ]


def test_fetch_keepalive_when_send_beacon_is_missing(vigie_app, context):
    context.add_init_script("Object.defineProperty(navigator, 'sendBeacon', {value: undefined})")
    with served(behind_proxy(vigie_app, ACME_IP)) as collector, served(page_app(collector)) as site:
        page = context.new_page()
        page.goto(site.replace("127.0.0.1", "localhost") + "/")
        wait_for(lambda: len(events(vigie_app)) == 2, vigie_app, page)
    assert {(e.type, e.name) for e in events(vigie_app)} == {
        ("pageview", None),
        ("event", "demo_request"),
    }


def test_data_api_sends_through_a_first_party_path(vigie_app, context):
    seen = []
    with (
        served(behind_proxy(vigie_app, ACME_IP)) as collector,
        served(page_app(collector, extra='data-api="/stats/e"')) as site,
    ):
        page = context.new_page()
        page.on("request", lambda request: seen.append(request.url))
        page.goto(site.replace("127.0.0.1", "localhost") + "/")
        wait_for(lambda: len(events(vigie_app)) == 2, vigie_app, page)
    beacons = [url for url in seen if url.endswith("/e")]
    assert beacons and all(
        url.startswith("http://localhost") and "/stats/e" in url for url in beacons
    )
