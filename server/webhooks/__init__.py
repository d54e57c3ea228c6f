"""Signed webhooks: events sent to the subscriptions of an organisation.

    events.py    the event types, their JSON Schemas (served at /schemas/<event>.json) and payloads
    signing.py   the `Vigie-Signature` header: HMAC-SHA256 over "<timestamp>.<body>"
    delivery.py  `emit` (one delivery per subscription), attempts, backoff, dead letters

Every event is a row of `webhook_deliveries` before it is sent, so a crash or
a failing receiver loses nothing: a periodic job retries what is due.
"""
