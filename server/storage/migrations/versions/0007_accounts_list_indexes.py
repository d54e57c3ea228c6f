"""accounts list indexes

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 12:18:47.699460
"""

from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_accounts_org_country', 'accounts', ['org_id', 'country'], unique=False)
    op.create_index('ix_accounts_org_industry', 'accounts', ['org_id', 'industry'], unique=False)
    op.create_index('ix_accounts_org_name', 'accounts', ['org_id', 'name', 'domain'], unique=False)
    op.create_index('ix_accounts_org_tier_score', 'accounts', ['org_id', 'tier', 'score'], unique=False)
    op.create_index('ix_visits_account_site', 'visits', ['account_id', 'site_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_visits_account_site', table_name='visits')
    op.drop_index('ix_accounts_org_tier_score', table_name='accounts')
    op.drop_index('ix_accounts_org_name', table_name='accounts')
    op.drop_index('ix_accounts_org_industry', table_name='accounts')
    op.drop_index('ix_accounts_org_country', table_name='accounts')
