"""traffic counts

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 06:11:22.978380
"""

from alembic import op
import sqlalchemy as sa
import server.storage.types


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('traffic_counts',
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('count', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_traffic_counts_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('site_id', 'day', 'kind', name=op.f('pk_traffic_counts'))
    )


def downgrade() -> None:
    op.drop_table('traffic_counts')
