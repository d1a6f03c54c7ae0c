"""``GET /health``: is the database reachable and are migrations current."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api import __version__
from api.db.migrate import migration_state
from api.db.session import DatabaseDep
from api.errors import ErrorBody

router = APIRouter(tags=["system"])
_log = logging.getLogger(__name__)


class Health(BaseModel):
    status: str = Field(description="`ok` when the service can answer.")
    version: str
    database: str = Field(description="`ok` when a query succeeded.")
    migration_current: str | None
    migration_head: str | None
    migrations_up_to_date: bool


@router.get(
    "/health",
    response_model=Health,
    summary="Database reachable, migrations current",
    responses={503: {"model": ErrorBody, "description": "Not ready; `details` says why."}},
)
def health(db: DatabaseDep) -> Health | JSONResponse:
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        state = migration_state(db.engine)
    except SQLAlchemyError as exc:
        _log.warning("health check failed: %s", exc.__class__.__name__)
        body = ErrorBody(
            code="database_unavailable",
            message="The database cannot be reached.",
            details={"error": exc.__class__.__name__},
        )
        return JSONResponse(status_code=503, content=body.model_dump())
    if not state.up_to_date:
        body = ErrorBody(
            code="migrations_pending",
            message="The database schema is not at the latest migration.",
            details={"current": state.current, "head": state.head},
        )
        return JSONResponse(status_code=503, content=body.model_dump())
    return Health(
        status="ok",
        version=__version__,
        database="ok",
        migration_current=state.current,
        migration_head=state.head,
        migrations_up_to_date=True,
    )
