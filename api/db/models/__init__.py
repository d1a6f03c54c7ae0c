"""SQLAlchemy models of the warehouse. Import this package to register every table."""

from api.db.models.auth import ApiKey, AuditEvent
from api.db.models.base import Base
from api.db.models.datasets import DatasetRelease, IngestJob
from api.db.models.reference import ReferenceLoad
from api.db.models.regions import CodeVintage, Region, RegionCode, RegionCodeChange

__all__ = [
    "ApiKey",
    "AuditEvent",
    "Base",
    "CodeVintage",
    "DatasetRelease",
    "IngestJob",
    "ReferenceLoad",
    "Region",
    "RegionCode",
    "RegionCodeChange",
]
