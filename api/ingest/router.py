"""HTTP routes: contracts, datasets and their releases, loads as jobs."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse
from sqlalchemy import func, select

from api.auth.dependencies import require
from api.auth.roles import Permission, Principal
from api.db.models import DatasetRelease, IngestJob
from api.db.session import DatabaseDep, SessionDep
from api.errors import (
    ConflictError,
    ErrorBody,
    InvalidParameterError,
    NotFoundError,
    error_responses,
)
from api.ingest import jobs
from api.ingest.contracts import Contract, all_contracts
from api.ingest.loader import LoadRequest, activate_release
from api.ingest.readers import EXTENSIONS
from api.ingest.report import IngestError, Report
from api.ingest.schemas import (
    ContractList,
    ContractSummary,
    DatasetInfo,
    DatasetList,
    JobInfo,
    ReleaseInfo,
    ReleasePage,
)
from api.pagination import PageParams, page_params
from api.tabular import TableFormat, download_responses, file_response

router = APIRouter()
LoaderDep = Annotated[Principal, Depends(require(Permission.load_data))]


class ContractNotFoundError(NotFoundError):
    code = "contract_not_found"


class JobNotFoundError(NotFoundError):
    code = "job_not_found"


class ReleaseNotFoundError(NotFoundError):
    code = "release_not_found"


class LoadBusyError(ConflictError):
    code = "load_in_progress"


class InvalidFileError(InvalidParameterError):
    code = "invalid_file"


def _contract(name: str) -> Contract:
    found = all_contracts().get(name)
    if found is None:
        known = ", ".join(sorted(all_contracts()))
        raise ContractNotFoundError(
            f"No data contract named '{name}'. Known: {known}.",
            contract=name,
            known=sorted(all_contracts()),
        )
    return found


@router.get(
    "/contracts", response_model=ContractList, tags=["datasets"], summary="Every data contract"
)
def list_contracts() -> ContractList:
    return ContractList(
        items=[
            ContractSummary(
                name=c.name,
                version=c.version,
                title=c.title,
                row=c.row,
                source=c.source,
                personal=c.personal,
                columns=len(c.columns),
            )
            for c in all_contracts().values()
        ]
    )


@router.get(
    "/contracts/{name}",
    response_model=Contract,
    tags=["datasets"],
    summary="One data contract: columns, types, units, rules, source names",
    responses=error_responses(404),
)
def get_contract(name: str) -> Contract:
    return _contract(name)


@router.get(
    "/datasets",
    response_model=DatasetList,
    tags=["datasets"],
    summary="Datasets with their active release",
)
def list_datasets(session: SessionDep) -> DatasetList:
    counts: dict[str, int] = dict(
        session.execute(
            select(DatasetRelease.contract, func.count()).group_by(DatasetRelease.contract)
        ).all()
    )
    active = {
        r.contract: r
        for r in session.scalars(select(DatasetRelease).where(DatasetRelease.status == "active"))
    }
    return DatasetList(
        items=[
            DatasetInfo(
                contract=c.name,
                title=c.title,
                releases=counts.get(c.name, 0),
                active_release=ReleaseInfo.model_validate(active[c.name])
                if c.name in active
                else None,
            )
            for c in all_contracts().values()
        ]
    )


@router.get(
    "/datasets/{contract}/releases",
    response_model=ReleasePage,
    tags=["datasets"],
    summary="Releases of a dataset, newest first",
    responses=error_responses(404, 422),
)
def list_releases(
    session: SessionDep, contract: str, page: Annotated[PageParams, Depends(page_params)]
) -> ReleasePage:
    name = _contract(contract).name
    query = select(DatasetRelease).where(DatasetRelease.contract == name)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(DatasetRelease.id.desc()).limit(page.limit).offset(page.offset)
    ).all()
    return ReleasePage(
        total=total,
        limit=page.limit,
        offset=page.offset,
        items=[ReleaseInfo.model_validate(r) for r in rows],
    )


def _save_upload(upload: UploadFile, suffix: str) -> tuple[Path, int]:
    """Stream the upload to a temporary file (never whole in memory)."""
    with tempfile.NamedTemporaryFile(
        prefix="sepakat-upload-", suffix=suffix, delete=False
    ) as target:
        shutil.copyfileobj(upload.file, target, length=1 << 20)
        return Path(target.name), target.tell()


@router.post(
    "/datasets/{contract}/releases",
    response_model=JobInfo,
    status_code=202,
    tags=["datasets"],
    summary="Load a file as a new release (admin)",
    description="CSV, Parquet or XLSX. The load runs as a job (`GET /jobs/{id}`); with "
    "`wait=true` the answer comes when it has finished: 201 when loaded, 422 with the report "
    "when refused, 409 for an identical file or a load already running.",
    responses={
        201: {"model": JobInfo, "description": "Loaded (with wait=true)."},
        **error_responses(400, 401, 403, 404, 409, 422),
    },
)
def upload_release(
    request: Request,
    db: DatabaseDep,
    principal: LoaderDep,
    contract: str,
    file: Annotated[UploadFile, File(description="The data file.")],
    label: Annotated[
        str,
        Form(
            min_length=1,
            max_length=200,
            pattern=r"\S",
            description="Release label, e.g. `2024-03`.",
        ),
    ],
    vintage: Annotated[
        int | None,
        Query(
            ge=1900,
            le=2100,
            description="Edition (year) of the Kemendagri code list the file's region codes "
            "use, e.g. `2020`; the current list when absent.",
        ),
    ] = None,
    wait: Annotated[bool, Query(description="Answer when the load has finished.")] = False,
) -> Response:
    found = _contract(contract)
    file_name = Path(file.filename or "upload").name
    suffix = Path(file_name).suffix.lower()
    if suffix not in EXTENSIONS:
        raise InvalidFileError(
            f"{file_name}: use a .csv, .parquet or .xlsx file.", parameter="file"
        )
    path, size = _save_upload(file, suffix)
    load = LoadRequest(
        contract=found,
        path=path,
        label=label.strip(),
        loaded_by=principal.actor,
        file_name=file_name,
        vintage=vintage,
    )
    job_id = jobs.create_job(db.engine, load, file_name, size)
    if not wait:
        runner: jobs.JobRunner = request.app.state.job_runner
        runner.submit(job_id, load, cleanup=lambda: jobs.remove(path))
        return _job_response(db, job_id, 202)
    try:
        jobs.run_job(db.engine, job_id, load)
    finally:
        jobs.remove(path)
    return _job_response(db, job_id, None)


def _job_response(db: DatabaseDep, job_id: str, status: int | None) -> JSONResponse:
    with db.sessions() as session:
        row = session.get(IngestJob, job_id)
        assert row is not None
        job = JobInfo.model_validate(row)
    body = job.model_dump(mode="json")
    if status is not None:
        return JSONResponse(status_code=status, content=body)
    if job.status == "succeeded":
        return JSONResponse(status_code=201, content=body)
    raw = row.report or {}
    code = 409 if raw.get("status") == 409 else 422
    rule = job.report.errors[0].rule if job.report and job.report.errors else "rejected"
    error = ErrorBody(
        code=rule if code == 409 else "validation_failed",
        message=job.message or "The file was refused.",
        details={"job": body},
    )
    return JSONResponse(status_code=code, content=error.model_dump(mode="json"))


@router.post(
    "/datasets/{contract}/releases/{release_id}/activate",
    response_model=ReleaseInfo,
    tags=["datasets"],
    summary="Make a release the active one: roll back or forward (admin)",
    responses=error_responses(401, 403, 404, 409, 422),
)
def activate(db: DatabaseDep, _: LoaderDep, contract: str, release_id: int) -> ReleaseInfo:
    found = _contract(contract)
    try:
        activate_release(db.engine, found, release_id)
    except IngestError as exc:
        raise (ReleaseNotFoundError if exc.status == 404 else LoadBusyError)(exc.message) from exc
    with db.sessions() as session:
        row = session.get(DatasetRelease, release_id)
        return ReleaseInfo.model_validate(row)


def _job(session: SessionDep, job_id: str) -> IngestJob:
    row = session.get(IngestJob, job_id)
    if row is None:
        raise JobNotFoundError(f"No load job '{job_id}'.", job_id=job_id)
    return row


@router.get(
    "/jobs/{job_id}",
    response_model=JobInfo,
    tags=["datasets"],
    summary="A load job: progress, outcome and report",
    responses=error_responses(401, 403, 404, 422),
)
def get_job(session: SessionDep, _: LoaderDep, job_id: str) -> JobInfo:
    return JobInfo.model_validate(_job(session, job_id))


@router.get(
    "/jobs/{job_id}/report",
    response_model=Report,
    tags=["datasets"],
    summary="The validation report of a load, as JSON or CSV",
    responses={**error_responses(401, 403, 404, 422), **download_responses("The report.")},
)
def get_report(
    session: SessionDep,
    _: LoaderDep,
    job_id: str,
    format: Annotated[TableFormat, Query(description="json, csv, xlsx or parquet.")] = (
        TableFormat.json
    ),
) -> Report | Response:
    row = _job(session, job_id)
    if row.report is None:
        raise JobNotFoundError(
            f"Job '{job_id}' has no report yet (status {row.status}).", job_id=job_id
        )
    report = Report.model_validate(row.report)
    if format is TableFormat.json:
        return report
    frame = report.csv_frame()
    return file_response(frame, format, f"report_{job_id}", frame.height)
