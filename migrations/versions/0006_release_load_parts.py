"""release partitions in parts: ``load_part`` on every dataset table, in its primary key

A load now COPYs through several connections, each into a table of its own (a *part*), and
attaches the parts under the release's partition (see api/ingest/tables.py). Each dataset
table gets ``load_part`` (0 for the rows already there) and its primary key gains it, since
Postgres wants the partition columns in a partitioned table's primary key. Rows are routed to
parts by their key, so the key stays unique per release.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 23:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
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
COLUMN = "load_part"


def _primary_key(table: str) -> tuple[str, str]:
    """(name, definition) of the table's primary key, e.g. 'PRIMARY KEY (release_id, hh_id)'."""
    row = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = CAST(:t AS regclass) AND contype = 'p'"
            ),
            {"t": table},
        )
        .one()
    )
    return str(row[0]), str(row[1])


def _replace_primary_key(table: str, definition: str) -> None:
    name, _ = _primary_key(table)
    op.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    op.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')


def upgrade() -> None:
    for table in TABLES:
        op.add_column(
            table, sa.Column(COLUMN, sa.SmallInteger(), nullable=False, server_default="0")
        )
        _, definition = _primary_key(table)
        _replace_primary_key(table, f"{definition.removesuffix(')')}, {COLUMN})")


def _parted_releases(table: str) -> list[tuple[str, int]]:
    """(name, release id) of the release partitions that are themselves split into parts."""
    rows = op.get_bind().execute(
        sa.text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = CAST(:t AS regclass) AND c.relkind = 'p'"
        ),
        {"t": table},
    )
    return [(str(name), int(str(name).rsplit("_r", 1)[1])) for (name,) in rows]


def _flatten(table: str, partition: str, release: int) -> None:
    """Replace a release partition made of parts by one plain table with the same rows."""
    flat = f"{partition}_flat"
    op.execute(f'ALTER TABLE "{table}" DETACH PARTITION "{partition}"')
    op.execute(f'CREATE TABLE "{flat}" (LIKE "{table}" INCLUDING DEFAULTS)')
    op.execute(f'INSERT INTO "{flat}" SELECT * FROM "{partition}"')  # noqa: S608 (constant)
    op.execute(f'DROP TABLE "{partition}"')
    op.execute(f'ALTER TABLE "{flat}" RENAME TO "{partition}"')
    op.execute(
        f'ALTER TABLE "{partition}" ADD CONSTRAINT "ck_{partition}_release" '
        f"CHECK (release_id = {release})"
    )
    op.execute(f'ALTER TABLE "{table}" ATTACH PARTITION "{partition}" FOR VALUES IN ({release})')


def downgrade() -> None:
    for table in TABLES:
        for partition, release in _parted_releases(table):
            _flatten(table, partition, release)
        _, definition = _primary_key(table)
        _replace_primary_key(table, definition.replace(f", {COLUMN})", ")"))
        op.drop_column(table, COLUMN)
