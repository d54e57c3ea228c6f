"""Sites beyond their settings: where their traffic came from, and deleting one.

`traffic` reads the per-site and organisation-wide traffic mix (stored events
by connection class, counted beacons by kind); `removal` deletes a site with
its events, visits and counts, then brings the accounts it touched up to date.
"""
