"""network corrections and account provenance

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 03:00:00.000000
"""

from alembic import op
import sqlalchemy as sa
import server.storage.types


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('identified_by', sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column('confidence', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('asn', BIG_ID, nullable=True))
        batch_op.add_column(sa.Column('network_organisation', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('renamed_at', server.storage.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_accounts_org_confidence', ['org_id', 'confidence'], unique=False)

    op.create_table('account_aliases',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('account_id', BIG_ID, nullable=False),
    sa.Column('created_at', server.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_account_aliases_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_account_aliases_org_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'key', name=op.f('pk_account_aliases'))
    )
    with op.batch_alter_table('account_aliases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_aliases_account_id'), ['account_id'], unique=False)

    op.create_table('network_corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('asn', BIG_ID, nullable=True),
    sa.Column('organisation', sa.String(length=255), nullable=True),
    sa.Column('network', sa.String(length=43), nullable=True),
    sa.Column('effect', sa.String(length=16), nullable=False),
    sa.Column('company_name', sa.String(length=255), nullable=True),
    sa.Column('company_domain', sa.String(length=255), nullable=True),
    sa.Column('account_name', sa.String(length=255), nullable=True),
    sa.Column('retroactive', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=320), nullable=False),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', server.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_network_corrections_created_by_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_network_corrections_org_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_network_corrections'))
    )
    with op.batch_alter_table('network_corrections', schema=None) as batch_op:
        batch_op.create_index('ix_network_corrections_org', ['org_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('network_corrections', schema=None) as batch_op:
        batch_op.drop_index('ix_network_corrections_org')
    op.drop_table('network_corrections')

    with op.batch_alter_table('account_aliases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_aliases_account_id'))
    op.drop_table('account_aliases')

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_index('ix_accounts_org_confidence')
        batch_op.drop_column('renamed_at')
        batch_op.drop_column('network_organisation')
        batch_op.drop_column('asn')
        batch_op.drop_column('confidence')
        batch_op.drop_column('identified_by')
