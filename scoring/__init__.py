"""Account and lead scoring: the TOML model, its rules, the engine, the backtest
and the lead scorer.

A plain library: no Flask, no SQLAlchemy, no `server` or `enrich` import, no
clock, environment, network or database reads. `now` is always a parameter, so
a score is deterministic and decay can be tested.
"""
