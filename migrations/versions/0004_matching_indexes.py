"""Indexes for matching and lead scoring at agency scale

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 16:50:00.000000
"""
from collections.abc import Sequence

from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# New indexes only: no table is rebuilt and no data changes.
INDEXES = (
    ('ix_contacts_matching', 'contacts', ['agency_id', 'role', 'budget_max']),
    ('ix_properties_matching', 'properties', ['agency_id', 'status', 'transaction', 'price']),
    ('ix_deals_contact_stage', 'deals', ['agency_id', 'contact_id', 'stage']),
    (
        'ix_activities_contact_time',
        'activities',
        ['agency_id', 'contact_id', 'occurred_at', 'kind'],
    ),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
