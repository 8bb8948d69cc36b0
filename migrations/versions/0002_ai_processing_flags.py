"""AI processing flags: agencies.ai_processing (was the unused ai_enabled), users.ai_restricted

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 16:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# No batch (copy-and-move) here: on SQLite, recreating `agencies` or `users` drops a parent
# table, and the implicit DELETE fires the ON DELETE CASCADE / SET NULL of every tenant table.
# A column rename, and an ADD COLUMN whose default is a plain string, are native ALTERs on
# SQLite >= 3.25 and on PostgreSQL.


def upgrade() -> None:
    # Existing rows keep their value (the column was NOT NULL, set by the ORM's default).
    op.alter_column('agencies', 'ai_enabled', new_column_name='ai_processing')
    # The server default makes existing users valid: not restricted.
    op.add_column(
        'users', sa.Column('ai_restricted', sa.Boolean(), server_default='0', nullable=False)
    )


def downgrade() -> None:
    op.drop_column('users', 'ai_restricted')
    op.alter_column('agencies', 'ai_processing', new_column_name='ai_enabled')
