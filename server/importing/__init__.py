"""Backfilling from web server access logs (`vigie import-logs`).

    file lines → formats (parse) → filters (page views, downloads) → reader
    (line ids, time order) → run (the collector's `Collector.process`, then
    `store_events`) → history (daily score snapshots) → final rescore

Every kept line goes through the collector's own pipeline, with the line's
address, user agent and time; the address lives only in memory while the line
is processed. Lines are recognised again by a keyed hash, never stored.
"""
