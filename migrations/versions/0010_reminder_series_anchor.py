"""Recurring reminders: the snoozed occurrence's scheduled time, so a snooze moves one
occurrence and not the whole series

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 10:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A plain nullable ADD COLUMN: no table rebuild. Existing rows are not snoozed (NULL): a
# reminder snoozed before this revision keeps the series time its snooze gave it.


def upgrade() -> None:
    op.add_column('reminders', sa.Column('series_due_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # Snoozed recurring reminders then continue from their snoozed time, as they did before.
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_column('series_due_at')
