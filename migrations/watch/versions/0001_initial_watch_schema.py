"""initial watch schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 17:25:32.818427
"""

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
