"""imported log lines

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 12:39:20.978261
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('imported_lines',
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.String(length=32), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_imported_lines_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('site_id', 'line_id', name=op.f('pk_imported_lines'))
    )
    with op.batch_alter_table('imported_lines', schema=None) as batch_op:
        batch_op.create_index('ix_imported_lines_day', ['day'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('imported_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_imported_lines_day')

    op.drop_table('imported_lines')
