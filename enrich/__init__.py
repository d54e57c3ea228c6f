"""IP → company resolution, connection classes, firmographic providers and
lead facts.

A plain library: no Flask, no SQLAlchemy, no `server` import, no environment
reads. Files, readers and HTTP sessions are passed in; values come out as small
frozen dataclasses. The collector calls it on the hot path, jobs call its
providers in the background.
"""
