"""lead lists

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 03:00:00.000000
"""

from alembic import op
import sqlalchemy as sa
import server.storage.types


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lead_lists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.Column('phone_region', sa.String(length=2), nullable=True),
    sa.Column('created_at', server.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_lead_lists_org_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_lists')),
    sa.UniqueConstraint('org_id', 'name', name=op.f('uq_lead_lists_org_id_name'))
    )
    op.create_table('leads',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('columns', sa.JSON(), nullable=False),
    sa.Column('phone', sa.String(length=64), nullable=True),
    sa.Column('email_class', sa.String(length=16), nullable=True),
    sa.Column('phone_class', sa.String(length=16), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('country_source', sa.String(length=16), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.Column('company_domain', sa.String(length=255), nullable=True),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('tier', sa.String(length=8), nullable=False),
    sa.Column('explanation', sa.JSON(), nullable=False),
    sa.Column('scored_at', server.storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('imported_at', server.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_leads_account_id_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['list_id'], ['lead_lists.id'], name=op.f('fk_leads_list_id_lead_lists'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_leads_org_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leads')),
    sa.UniqueConstraint('list_id', 'email', name=op.f('uq_leads_list_id_email'))
    )
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.create_index('ix_leads_account', ['account_id'], unique=False)
        batch_op.create_index('ix_leads_imported_at', ['imported_at'], unique=False)
        batch_op.create_index('ix_leads_org_email', ['org_id', 'email'], unique=False)
        batch_op.create_index('ix_leads_org_score', ['org_id', 'score'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index('ix_leads_org_score')
        batch_op.drop_index('ix_leads_org_email')
        batch_op.drop_index('ix_leads_imported_at')
        batch_op.drop_index('ix_leads_account')

    op.drop_table('leads')
    op.drop_table('lead_lists')
