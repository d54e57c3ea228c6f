"""lead website facts

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 03:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

import server.storage.types

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lead_websites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=True),
        sa.Column("html_lang", sa.String(length=35), nullable=True),
        sa.Column("detected_language", sa.String(length=8), nullable=True),
        sa.Column("truncated", sa.Boolean(), nullable=False),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.Column("fetched_at", server.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_lead_websites_org_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_websites")),
        sa.UniqueConstraint("org_id", "domain", name=op.f("uq_lead_websites_org_id_domain")),
    )


def downgrade() -> None:
    op.drop_table("lead_websites")
