"""crm connectors

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 03:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import server.storage.types

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crm_connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("crm", sa.String(length=16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("push_warm", sa.Boolean(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("secret", sa.LargeBinary(), nullable=True),
        sa.Column("secret_hint", sa.String(length=8), nullable=True),
        sa.Column("last_check", sa.String(length=300), nullable=True),
        sa.Column("last_check_ok", sa.Boolean(), nullable=True),
        sa.Column("last_check_at", server.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", server.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", server.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_crm_connections_org_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_connections")),
        sa.UniqueConstraint("org_id", "crm", name=op.f("uq_crm_connections_org_id_crm")),
    )
    op.create_table(
        "crm_syncs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("crm", sa.String(length=16), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("change", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("crm_id", sa.String(length=64), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.Column("at", server.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_crm_syncs_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_crm_syncs_org_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_syncs")),
    )
    with op.batch_alter_table("crm_syncs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_crm_syncs_account_crm_at", ["account_id", "crm", "at"], unique=False
        )
        batch_op.create_index("ix_crm_syncs_org_at", ["org_id", "at"], unique=False)

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("crm_lifecycle", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("crm_customer", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("crm_open_opportunity", sa.Boolean(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "crm_checked_at", server.storage.types.UTCDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("crm_checked_at")
        batch_op.drop_column("crm_open_opportunity")
        batch_op.drop_column("crm_customer")
        batch_op.drop_column("crm_lifecycle")

    with op.batch_alter_table("crm_syncs", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_syncs_org_at")
        batch_op.drop_index("ix_crm_syncs_account_crm_at")

    op.drop_table("crm_syncs")
    op.drop_table("crm_connections")
