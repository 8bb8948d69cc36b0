"""Privacy: the request log and the user's objection, marketing and erasure columns

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 17:20:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Plain ADD COLUMN with server defaults and a new table: no existing table is rebuilt.


def upgrade() -> None:
    op.add_column('users', sa.Column('analytics_opt_out', sa.Boolean(), server_default='0', nullable=False))
    op.add_column('users', sa.Column('marketing_opt_in', sa.Boolean(), server_default='0', nullable=False))
    op.add_column('users', sa.Column('deletion_due_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('privacy_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('details', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_privacy_requests_agency_id_agencies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_privacy_requests_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_requests'))
    )
    op.create_index(op.f('ix_privacy_requests_agency_id'), 'privacy_requests', ['agency_id'], unique=False)
    op.create_index(op.f('ix_privacy_requests_user_id'), 'privacy_requests', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_privacy_requests_user_id'), table_name='privacy_requests')
    op.drop_index(op.f('ix_privacy_requests_agency_id'), table_name='privacy_requests')
    op.drop_table('privacy_requests')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('deletion_due_at')
        batch_op.drop_column('marketing_opt_in')
        batch_op.drop_column('analytics_opt_out')
