"""dataset_release.code_vintage: the code-list edition a release's region codes were checked against

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 20:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("dataset_release", sa.Column("code_vintage", sa.Integer(), nullable=True))
    # Every release so far was checked against the current list.
    op.execute("UPDATE dataset_release SET code_vintage = (SELECT max(vintage) FROM code_vintage)")


def downgrade() -> None:
    op.drop_column("dataset_release", "code_vintage")
