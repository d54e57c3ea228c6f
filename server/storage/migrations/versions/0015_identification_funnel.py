"""identification funnel: traffic counts by reason

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 03:00:00.000000

Each traffic count gets a reason (`crawler`, `automation`… for a bot, the
provider for a data centre), part of its key. Counts kept before this have
the reason "" and read as "no reason recorded".
"""

from alembic import op
import sqlalchemy as sa
import server.storage.types


revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("traffic_counts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reason", sa.String(length=32), server_default="", nullable=False)
        )
        batch_op.drop_constraint("pk_traffic_counts", type_="primary")
        batch_op.create_primary_key("pk_traffic_counts", ["site_id", "day", "kind", "reason"])


def downgrade() -> None:
    # Counts of one site, day and kind are added up across their reasons first.
    op.execute(
        "CREATE TABLE traffic_counts_merged AS SELECT site_id, day, kind, SUM(count) AS count"
        " FROM traffic_counts GROUP BY site_id, day, kind"
    )
    op.execute("DELETE FROM traffic_counts")
    with op.batch_alter_table("traffic_counts", schema=None) as batch_op:
        batch_op.drop_constraint("pk_traffic_counts", type_="primary")
        batch_op.create_primary_key("pk_traffic_counts", ["site_id", "day", "kind"])
        batch_op.drop_column("reason")
    op.execute(
        "INSERT INTO traffic_counts (site_id, day, kind, count)"
        " SELECT site_id, day, kind, count FROM traffic_counts_merged"
    )
    op.drop_table("traffic_counts_merged")
