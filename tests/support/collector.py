"""Helpers to talk to the collector like a browser would, from a chosen address."""

from __future__ import annotations

import json
import time
from datetime import timedelta

from server.records import CollectedEvent, CompanyFacts
from server.sink.consumer import Consumer, store_and_close
from server.sink.embedded import inbox_of, local_writer
from server.sink.stream import StreamSource
from server.storage.types import utcnow

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
ACME_IP = "81.2.69.77"
ORANGE_IP = "90.12.34.56"
AWS_IP = "52.1.2.3"
SITE_KEY = "acmesitekey1"


def wait_stored(app, timeout=30.0):
    """Wait until the app's inbox is empty: every accepted record stored or buried."""
    inbox = inbox_of(app)
    deadline = time.monotonic() + timeout
    writer = local_writer(app)
    while inbox.waiting():
        if time.monotonic() > deadline:
            return False
        if writer is not None:
            writer.wake()
        time.sleep(0.005)  # polling interval of a wait, not a test delay
    return True


def send(app, body, ip=ACME_IP, user_agent=CHROME, headers=None, raw=None):
    """POST a beacon; return the answer once what it queued is stored (embedded)."""
    data = raw if raw is not None else json.dumps(body)
    response = app.test_client().post(
        "/e",
        data=data,
        content_type="text/plain",
        headers={"User-Agent": user_agent, **(headers or {})},
        environ_base={"REMOTE_ADDR": ip},
    )
    assert wait_stored(app), "the inbox was not drained in time"
    return response


def pageview(**fields):
    return {"site": SITE_KEY, "type": "pageview", "url": "https://shop.example/pricing", **fields}


def consume_stream(app, redis_conn, name="c1", claim_idle_ms=0, batch=100):
    """Run one `vigie ingest` consumer in this process until the stream is drained."""
    source = StreamSource(redis_conn, name, block_ms=50, claim_idle_ms=claim_idle_ms)
    with app.app_context():
        return Consumer(source, store_and_close, batch_size=batch).run(burst=True)


ACME = CompanyFacts(key="acme.fr", name="Acme", domain="acme.fr")


def company_pageview(org_id, site_id, number, **fields):
    """The `number`th stored-ready pageview of Acme's visitors, as the collector
    would hand it to a sink; `fields` override any of its values."""
    values = dict(
        event_id=f"ev{number:06d}",
        site_id=site_id,
        org_id=org_id,
        occurred_at=utcnow() - timedelta(seconds=1000 - number),
        type="pageview",
        path=f"/p{number % 7}",
        visitor_hash=f"v{number % 5}",
        connection_class="business",
        device_class="desktop",
        browser_family="Chrome",
        company=ACME,
    )
    values.update(fields)
    return CollectedEvent(**values)
