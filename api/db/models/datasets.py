"""Dataset releases and ingestion jobs; the rows themselves live in one table per contract."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Identity,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from api.db.models.base import Base


class DatasetRelease(Base):
    """One loaded file of a dataset. At most one release per dataset is active; readers see
    only that one. Superseded releases stay, so a bad release can be rolled back."""

    __tablename__ = "dataset_release"
    __table_args__ = (
        # 'loading' exists only inside the load's own transaction, so no reader ever sees it.
        CheckConstraint("status IN ('loading', 'active', 'superseded')", name="status"),
        Index(
            "uq_dataset_release_one_active",
            "contract",
            unique=True,
            postgresql_where=text("status = 'active'"),
        ),
        Index("uq_dataset_release_checksum", "contract", "checksum", unique=True),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    contract: Mapped[str] = mapped_column(String(63), index=True)
    contract_version: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12))
    row_count: Mapped[int] = mapped_column(BigInteger)
    checksum: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(Text)
    file_format: Mapped[str] = mapped_column(String(8))
    file_bytes: Mapped[int] = mapped_column(BigInteger)
    loaded_by: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The edition of the Kemendagri code list the file's region codes were checked against.
    code_vintage: Mapped[int | None] = mapped_column(Integer)


class IngestJob(Base):
    """A load in progress or finished, with its progress and its validation report."""

    __tablename__ = "ingest_job"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'succeeded', 'failed')", name="status"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    contract: Mapped[str] = mapped_column(String(63), index=True)
    label: Mapped[str] = mapped_column(Text)
    file_name: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12))
    phase: Mapped[str] = mapped_column(String(32))
    rows_read: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_total: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_expected: Mapped[int | None] = mapped_column(BigInteger)
    release_id: Mapped[int | None] = mapped_column(BigInteger)
    message: Mapped[str | None] = mapped_column(Text)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
