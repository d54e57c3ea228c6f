"""crm connectors

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 03:00:00.000000
"""

from alembic import op
import sqlalchemy as sa
import server.storage.types


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
