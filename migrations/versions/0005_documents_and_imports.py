"""Documents: files attached to contacts, properties and deals (bytes encrypted on disk)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 17:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A new table only: nothing existing is rebuilt. Imports need no schema (they create
# contacts and properties through the operations).


def upgrade() -> None:
    op.create_table('documents',
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('mime_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('property_id', sa.Integer(), nullable=True),
    sa.Column('deal_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id', 'contact_id'], ['contacts.agency_id', 'contacts.id'], name='fk_documents_contact_id_same_agency'),
    sa.ForeignKeyConstraint(['agency_id', 'deal_id'], ['deals.agency_id', 'deals.id'], name='fk_documents_deal_id_same_agency'),
    sa.ForeignKeyConstraint(['agency_id', 'property_id'], ['properties.agency_id', 'properties.id'], name='fk_documents_property_id_same_agency'),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_documents_agency_id_agencies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_documents_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents')),
    sa.UniqueConstraint('agency_id', 'id', name='uq_documents_agency_id_id'),
    sa.UniqueConstraint('agency_id', 'number', name='uq_documents_agency_number')
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_documents_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_deal_id'), ['deal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_property_id'), ['property_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_sha256'), ['sha256'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documents_sha256'))
        batch_op.drop_index(batch_op.f('ix_documents_property_id'))
        batch_op.drop_index(batch_op.f('ix_documents_deal_id'))
        batch_op.drop_index(batch_op.f('ix_documents_contact_id'))
        batch_op.drop_index(batch_op.f('ix_documents_agency_id'))
    op.drop_table('documents')
