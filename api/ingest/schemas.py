"""Response models of contracts, datasets, releases and jobs."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.ingest.contracts import Text
from api.ingest.report import Report
from api.pagination import PageMeta


class ContractSummary(BaseModel):
    name: str
    version: int
    title: Text
    row: Text
    source: str
    personal: bool
    columns: int


class ContractList(BaseModel):
    items: list[ContractSummary]


class ReleaseInfo(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    contract: str
    contract_version: int
    label: str
    status: str = Field(description="active or superseded.")
    row_count: int
    checksum: str = Field(description="SHA-256 of the loaded file.")
    file_name: str
    file_format: str
    file_bytes: int
    loaded_by: str
    loaded_at: datetime
    activated_at: datetime | None
    code_vintage: int | None = Field(
        description="Edition (year) of the Kemendagri code list the file's region codes were "
        "checked against; BPS codes are checked against the current list."
    )


class ReleasePage(PageMeta):
    items: list[ReleaseInfo]


class DatasetInfo(BaseModel):
    contract: str
    title: Text
    releases: int
    active_release: ReleaseInfo | None


class DatasetList(BaseModel):
    items: list[DatasetInfo]


class JobInfo(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    contract: str
    label: str
    file_name: str
    status: str = Field(description="queued, running, succeeded or failed.")
    phase: str
    rows_read: int
    rows_expected: int | None = Field(
        description=(
            "Rows the file holds, for progress: from a Parquet file's metadata; for a CSV "
            "file estimated from its size and first lines (null if they hold no line break) "
            "until it is read to its end, then exact; for XLSX null until then."
        )
    )
    bytes_total: int
    release_id: int | None
    message: str | None
    report: Report | None
    created_by: str
    created_at: datetime
    updated_at: datetime
