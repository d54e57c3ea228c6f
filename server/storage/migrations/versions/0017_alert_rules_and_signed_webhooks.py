"""alert rules and signed webhooks

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 03:00:00.000000
"""

from alembic import op
import sqlalchemy as sa
import server.storage.types


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
