"""Usage analytics: counts per day, agency and feature, and latency buckets per operation

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 18:40:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# New tables only. No foreign key to agencies (agency 0 means "no agency yet") and no
# row-level security: the rows hold no personal data, and every read names its agency.


def upgrade() -> None:
    op.create_table('usage_counts',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('metric', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'agency_id', 'metric', 'name', name=op.f('pk_usage_counts'))
    )
    op.create_table('usage_latencies',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('operation', sa.String(length=64), nullable=False),
    sa.Column('le_ms', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'agency_id', 'operation', 'le_ms', name=op.f('pk_usage_latencies'))
    )


def downgrade() -> None:
    op.drop_table('usage_latencies')
    op.drop_table('usage_counts')
