"""Reminder delivery (lease, firing, lateness) and per-user notification settings

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 16:15:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Plain ADD COLUMNs only (native on SQLite and PostgreSQL, no table rebuild); NOT NULL columns
# carry a server default so existing rows are valid.


def upgrade() -> None:
    op.add_column('reminders', sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True))
    op.add_column('reminders', sa.Column('claim_token', sa.String(length=32), nullable=True))
    op.add_column('reminders', sa.Column('fired_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        'reminders', sa.Column('attempts', sa.Integer(), server_default='0', nullable=False)
    )
    op.add_column('reminders', sa.Column('late', sa.Boolean(), server_default='0', nullable=False))
    op.add_column('users', sa.Column('unreachable_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        'users', sa.Column('digest_enabled', sa.Boolean(), server_default='1', nullable=False)
    )
    op.add_column(
        'users', sa.Column('digest_time', sa.String(length=5), server_default='08:00', nullable=False)
    )
    op.add_column('users', sa.Column('last_digest_on', sa.Date(), nullable=True))


def downgrade() -> None:
    for column in ('last_digest_on', 'digest_time', 'digest_enabled', 'unreachable_at'):
        op.drop_column('users', column)
    for column in ('late', 'attempts', 'fired_at', 'claim_token', 'claimed_until'):
        op.drop_column('reminders', column)
