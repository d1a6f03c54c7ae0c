"""Regions: the current master list, earlier code vintages and the crosswalk between them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Computed,
    Date,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from api.db.models.base import Base

LEVEL_CHECK = "level IN ('national', 'province', 'regency', 'district', 'village')"


class Region(Base):
    """One region of the current (2025) Kemendagri list, with its BPS code where known."""

    __tablename__ = "region"
    __table_args__ = (
        CheckConstraint(LEVEL_CHECK, name="level"),
        Index("ix_region_search_vector", "search_vector", postgresql_using="gin"),
        Index("ix_region_code_pattern", "code", postgresql_ops={"code": "text_pattern_ops"}),
        Index("ix_region_level_name", "level", "name_search"),
    )

    code: Mapped[str] = mapped_column(String(13), primary_key=True)
    bps_code: Mapped[str | None] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(10))
    depth: Mapped[int] = mapped_column(SmallInteger)
    kind: Mapped[str | None] = mapped_column(String(12))
    parent_code: Mapped[str | None] = mapped_column(
        String(13), ForeignKey("region.code"), index=True
    )
    population: Mapped[int | None] = mapped_column(BigInteger)
    population_male: Mapped[int | None] = mapped_column(BigInteger)
    population_female: Mapped[int | None] = mapped_column(BigInteger)
    area_km2: Mapped[float | None] = mapped_column(Float)
    children_count: Mapped[int] = mapped_column(Integer, default=0)
    regency_count: Mapped[int] = mapped_column(Integer, default=0)
    district_count: Mapped[int] = mapped_column(Integer, default=0)
    village_count: Mapped[int] = mapped_column(Integer, default=0)
    name_search: Mapped[str] = mapped_column(Text)
    search_vector: Mapped[str] = mapped_column(
        TSVECTOR, Computed("to_tsvector('simple'::regconfig, name_search)", persisted=True)
    )


class CodeVintage(Base):
    """One published edition of the Kemendagri code list and the period it was in force."""

    __tablename__ = "code_vintage"

    vintage: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text)
    province_count: Mapped[int] = mapped_column(Integer)
    regency_count: Mapped[int] = mapped_column(Integer)
    district_count: Mapped[int] = mapped_column(Integer)
    village_count: Mapped[int] = mapped_column(Integer)


class RegionCode(Base):
    """A code as it stood in one vintage (the current vintage included)."""

    __tablename__ = "region_code"
    __table_args__ = (
        CheckConstraint(LEVEL_CHECK, name="level"),
        Index("ix_region_code_code", "code"),
    )

    vintage: Mapped[int] = mapped_column(ForeignKey("code_vintage.vintage"), primary_key=True)
    code: Mapped[str] = mapped_column(String(13), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(10))
    parent_code: Mapped[str | None] = mapped_column(String(13))


class RegionCodeChange(Base):
    """Crosswalk row: a code of one vintage and one of its successors in a later vintage.

    A split gives one row per successor, ``share`` being the fraction of the old region's
    villages that went to it. ``kind`` is same, recoded, split or ended (no successor).
    """

    __tablename__ = "region_code_change"
    __table_args__ = (
        CheckConstraint("kind IN ('same', 'recoded', 'split', 'ended')", name="kind"),
        Index("ix_region_code_change_from", "from_code", "from_vintage"),
        Index("ix_region_code_change_to", "to_code", "to_vintage"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    from_vintage: Mapped[int] = mapped_column(ForeignKey("code_vintage.vintage"))
    from_code: Mapped[str] = mapped_column(String(13))
    to_vintage: Mapped[int] = mapped_column(ForeignKey("code_vintage.vintage"))
    to_code: Mapped[str | None] = mapped_column(String(13))
    level: Mapped[str] = mapped_column(String(10))
    share: Mapped[float | None] = mapped_column(Float)
    kind: Mapped[str] = mapped_column(String(8))
