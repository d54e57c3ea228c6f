"""account network

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 05:53:11.982344
"""

from alembic import op
import sqlalchemy as sa
import server.storage.types


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('network', sa.String(length=43), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('network')

