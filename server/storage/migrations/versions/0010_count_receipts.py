"""count receipts

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 10:00:00.000000
"""

from alembic import op
import sqlalchemy as sa
import server.storage.types


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('count_receipts',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('received_at', server.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_count_receipts'))
    )
    with op.batch_alter_table('count_receipts', schema=None) as batch_op:
        batch_op.create_index('ix_count_receipts_received_at', ['received_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('count_receipts', schema=None) as batch_op:
        batch_op.drop_index('ix_count_receipts_received_at')

    op.drop_table('count_receipts')
