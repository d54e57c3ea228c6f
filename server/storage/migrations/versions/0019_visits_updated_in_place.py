"""visits updated in place

The index that finds a visitor's open visit no longer holds `last_event_at`,
which every stored event moves: PostgreSQL can then write a visit's new
version beside the old one without touching any index (a HOT update), given
room on the page, which a fill factor of 70 keeps. A visitor hash lives one
day (its salt rotates), so site and hash alone find a handful of visits.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 11:30:00.000000
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index("ix_visits_site_visitor_last")
        batch_op.create_index("ix_visits_site_visitor", ["site_id", "visitor_hash"], unique=False)
    if op.get_context().dialect.name == "postgresql":
        op.execute("ALTER TABLE visits SET (fillfactor = 70)")


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("ALTER TABLE visits RESET (fillfactor)")
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index("ix_visits_site_visitor")
        batch_op.create_index(
            "ix_visits_site_visitor_last", ["site_id", "visitor_hash", "last_event_at"], unique=False
        )
