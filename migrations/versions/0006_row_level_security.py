"""Row-level security on the tenant tables (PostgreSQL only): a second wall behind the
ORM's agency criteria.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 18:00:00.000000
"""
from collections.abc import Sequence

from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Listed here, not imported from the models: a migration describes the schema of its day.
TENANT_TABLES = (
    'contacts', 'properties', 'deals', 'activities', 'reminders', 'notes', 'documents',
)
POLICY = 'agency_isolation'
# crm_core.db sets both per transaction (SET LOCAL). Unset -> NULL -> no row; '' -> no row.
CONDITION = (
    "agency_id = NULLIF(current_setting('app.agency_id', true), '')::int"
    " OR current_setting('app.all_agencies', true) = 'on'"
)


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return  # SQLite has no row-level security; the ORM criteria stand alone there
    for table in TENANT_TABLES:
        op.execute(f'ALTER TABLE {table} ENABLE ROW LEVEL SECURITY')
        # FORCE: the policy binds the tables' owner too (superusers still bypass it).
        op.execute(f'ALTER TABLE {table} FORCE ROW LEVEL SECURITY')
        op.execute(
            f'CREATE POLICY {POLICY} ON {table} USING ({CONDITION}) WITH CHECK ({CONDITION})'
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table in TENANT_TABLES:
        op.execute(f'DROP POLICY IF EXISTS {POLICY} ON {table}')
        op.execute(f'ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY')
        op.execute(f'ALTER TABLE {table} DISABLE ROW LEVEL SECURITY')
