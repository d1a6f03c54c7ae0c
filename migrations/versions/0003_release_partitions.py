"""dataset tables: a partition per release instead of a foreign key to dataset_release

Every ``ds_*`` table becomes a table partitioned by ``release_id``, keeping its primary key
and indexes; the rows of each existing release move into a partition of their own. The
foreign key to ``dataset_release`` goes: a partition's CHECK on ``release_id``, set in the
transaction that inserted the release row, stands in for it (see api/ingest/tables.py).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 19:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = [
    "ds_apbd_line",
    "ds_dtks_household",
    "ds_dtks_person",
    "ds_indicator_values",
    "ds_pdrb",
    "ds_podes_village",
    "ds_poverty_line",
    "ds_sakernas_person",
    "ds_susenas_household",
    "ds_susenas_person",
    "ds_targets",
]


def _definitions(table: str) -> list[str]:
    """The table's primary key and index definitions, as SQL that recreates them."""
    conn = op.get_bind()
    primary = conn.execute(
        sa.text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = CAST(:t AS regclass) AND contype = 'p'"
        ),
        {"t": table},
    ).all()
    indexes = conn.scalars(
        sa.text(
            "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = CAST(:t AS regclass) AND NOT i.indisprimary"
        ),
        {"t": table},
    ).all()
    return [
        *(
            f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}'
            for name, definition in primary
        ),
        *indexes,
    ]


def _drop_keys(table: str) -> None:
    """Free the key and index names for the table that replaces this one."""
    conn = op.get_bind()
    constraints = conn.scalars(
        # Keys only: from Postgres 18 on, NOT NULL constraints are listed here too.
        sa.text(
            "SELECT conname FROM pg_constraint WHERE conrelid = CAST(:t AS regclass) "
            "AND contype IN ('p', 'f', 'u')"
        ),
        {"t": table},
    ).all()
    for name in constraints:
        op.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    indexes = conn.scalars(
        sa.text(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = CAST(:t AS regclass)"
        ),
        {"t": table},
    ).all()
    for name in indexes:
        op.execute(f'DROP INDEX "{name}"')


def _releases(table: str) -> list[int]:
    query = sa.text(f'SELECT DISTINCT release_id FROM "{table}" ORDER BY 1')  # noqa: S608 (constant)
    return [int(r) for r in op.get_bind().scalars(query).all()]


def upgrade() -> None:
    for table in TABLES:
        old = f"{table}_unpartitioned"
        definitions = _definitions(table)
        op.execute(f'ALTER TABLE "{table}" RENAME TO "{old}"')
        _drop_keys(old)
        op.execute(
            f'CREATE TABLE "{table}" (LIKE "{old}" INCLUDING DEFAULTS) PARTITION BY LIST (release_id)'
        )
        for definition in definitions:
            op.execute(definition)
        for release in _releases(old):
            partition = f"{table}_r{release}"
            op.execute(f'CREATE TABLE "{partition}" (LIKE "{table}" INCLUDING DEFAULTS)')
            op.execute(
                f'INSERT INTO "{partition}" SELECT * FROM "{old}" WHERE release_id = {release}'  # noqa: S608
            )
            op.execute(
                f'ALTER TABLE "{partition}" ADD CONSTRAINT "ck_{partition}_release" '
                f"CHECK (release_id = {release})"
            )
            op.execute(
                f'ALTER TABLE "{table}" ATTACH PARTITION "{partition}" FOR VALUES IN ({release})'
            )
        op.execute(f'DROP TABLE "{old}"')


def downgrade() -> None:
    for table in TABLES:
        old = f"{table}_partitioned"
        definitions = _definitions(table)
        op.execute(f'ALTER TABLE "{table}" RENAME TO "{old}"')
        _drop_keys(old)
        op.execute(f'CREATE TABLE "{table}" (LIKE "{old}" INCLUDING DEFAULTS)')
        op.execute(f'INSERT INTO "{table}" SELECT * FROM "{old}"')  # noqa: S608
        for definition in definitions:
            op.execute(definition.replace(" ON ONLY ", " ON "))
        op.execute(
            f'ALTER TABLE "{table}" ADD CONSTRAINT "fk_{table}_release_id_dataset_release" '
            "FOREIGN KEY (release_id) REFERENCES dataset_release (id) ON DELETE CASCADE"
        )
        op.execute(f'DROP TABLE "{old}" CASCADE')
