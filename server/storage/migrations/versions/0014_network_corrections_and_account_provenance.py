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


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
