"""`vigie demo`: the embedded default with a realistic dataset.

    tenant → IP databases → 90 days of traffic through the collector → scores
    and daily snapshots → sales feedback

`build_demo(app)` builds (or reuses) the dataset without serving;
`create_demo_app()` is the app that `vigie demo` serves, resolving addresses
with the demo's own databases. Modules: `tenant` (organisation, admin, site),
`names` and `companies` (the invented businesses), `networks` (the `.mmdb`
files), `pages`, `sources`, `schedule` and `traffic` (what visitors do),
`history` (the day-by-day replay), `feedback` (outcomes and contacts), `build`.
"""

from server.demo.app import create_demo_app
from server.demo.build import DemoSummary, Progress, build_demo
from server.demo.tenant import DEMO_ADMIN, DEMO_ORGANISATION, ensure_demo_tenant, new_password

__all__ = [
    "DEMO_ADMIN",
    "DEMO_ORGANISATION",
    "DemoSummary",
    "Progress",
    "build_demo",
    "create_demo_app",
    "ensure_demo_tenant",
    "new_password",
]
