"""scoring models

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 07:26:21.889348
"""

from alembic import op
import sqlalchemy as sa
import server.storage.types


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('scoring_models',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('changed_by', sa.String(length=320), nullable=False),
    sa.Column('created_at', server.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_scoring_models_org_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scoring_models')),
    sa.UniqueConstraint('org_id', 'version', name=op.f('uq_scoring_models_org_id_version'))
    )


def downgrade() -> None:
    op.drop_table('scoring_models')
