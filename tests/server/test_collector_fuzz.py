"""Whatever the body, `POST /e` never answers 500 (nor reaches the last-resort handler)."""

from __future__ import annotations

import json
import logging

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.collector import SITE_KEY, send

ALLOWED = {202, 400, 403, 413}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
beacons = st.fixed_dictionaries(
    {
        "site": st.sampled_from([SITE_KEY, "", "x" * 70]) | st.text(max_size=10),
        "type": st.sampled_from(["pageview", "engagement", "event"]) | st.text(max_size=8),
        "url": st.sampled_from(
            ["https://shop.example/p", "https://shop.example/\x00", "http://[::1/"]
        )
        | st.text(max_size=40),
    },
    optional={
        "referrer": json_values,
        "title": json_values,
        "name": json_values,
        "props": json_values,
        "engaged_ms": json_values,
    },
)
FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(body=st.binary(max_size=300))
def test_random_bytes_never_fail(collector_app, body, caplog):
    response = send(collector_app, None, raw=body)
    assert response.status_code in ALLOWED
    assert "collector failure" not in caplog.text


@FUZZ
@given(beacon=beacons)
def test_random_beacons_never_fail(collector_app, beacon, caplog):
    caplog.set_level(logging.ERROR)
    response = send(collector_app, None, raw=json.dumps(beacon))
    assert response.status_code in ALLOWED, (beacon, response.json)
    assert "collector failure" not in caplog.text
