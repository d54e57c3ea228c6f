"""site networks

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 07:04:50.249808
"""

from alembic import op
import sqlalchemy as sa
import server.storage.types


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.add_column(sa.Column('extra_networks', sa.JSON(), nullable=False, server_default='[]'))



def downgrade() -> None:
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_column('extra_networks')

