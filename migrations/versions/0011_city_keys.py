"""City keys: matching compares places by a normalised key, not lower(city)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 19:30:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from crm_core.values import place_key


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# lower(city) told "Saint-Etienne" from "Saint-Étienne" and "St Etienne": a buyer missed the
# listing. Contacts (the city they want) and properties get a city_key, kept by the models
# whenever the city is written, and filled here for the rows that exist, with the same Python
# normaliser (no SQL function folds accents alike on SQLite and PostgreSQL). Adding a column
# rebuilds no table; the downgrade's drop does on SQLite (foreign keys are off: schema.py).
TABLES = ('contacts', 'properties')
KEY_LENGTH = 200  # crm_core.models.CITY_KEY_LENGTH when this was written
BATCH = 1000


def _backfill(table: str) -> None:
    """Read the cities a batch at a time (by id, so memory stays flat), write their keys."""
    connection = op.get_bind()
    select = sa.text(
        f'SELECT id, city FROM {table} WHERE city IS NOT NULL AND id > :last ORDER BY id'
        ' LIMIT :batch'
    )
    update = sa.text(f'UPDATE {table} SET city_key = :key WHERE id = :id')
    last = 0
    while rows := connection.execute(select, {'last': last, 'batch': BATCH}).all():
        connection.execute(
            update, [{'id': id_, 'key': place_key(city)[:KEY_LENGTH]} for id_, city in rows]
        )
        last = rows[-1][0]


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('city_key', sa.String(length=KEY_LENGTH), nullable=True))
            batch_op.create_index(f'ix_{table}_city_key', ['agency_id', 'city_key'], unique=False)
        _backfill(table)


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f'ix_{table}_city_key')
            batch_op.drop_column('city_key')
