"""origin of published, synthetic and regional values; a note on each poverty line

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 20:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Added to the partitioned tables, so every release's partition gets them (empty).
NEW_COLUMNS = {
    "ds_indicator_values": ["origin"],
    "ds_poverty_line": ["origin", "note"],
    "ds_targets": ["origin"],
}


def upgrade() -> None:
    for table, columns in NEW_COLUMNS.items():
        for column in columns:
            op.add_column(table, sa.Column(column, sa.Text(), nullable=True))


def downgrade() -> None:
    for table, columns in NEW_COLUMNS.items():
        for column in reversed(columns):
            op.drop_column(table, column)
