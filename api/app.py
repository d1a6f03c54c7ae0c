"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse

from api import __version__
from api.analysis.router import router as measures_router
from api.auth.router import router as auth_router
from api.cache import CachedGetMiddleware, ResponseCache
from api.db.engine import Database, get_database
from api.errors import install_error_handlers
from api.health.router import router as health_router
from api.indicators.router import router as indicator_values_router
from api.ingest.jobs import JobRunner
from api.ingest.router import router as ingest_router
from api.regions.router import router as regions_router
from api.settings import get_settings

API_PREFIX = "/api/v1"

DESCRIPTION = """
SEPAKAT serves Indonesia's poverty data to central and regional government: regions of every
level with both code systems, and (in later releases) indicators, comparisons, poverty measures
computed from microdata, and targeting.

**Codes.** Kemendagri codes are dotted (`33.26`); BPS codes are bare digits (`3326`). The same
digits can name different regions in the two systems, so bare digits are read as BPS unless
`system=kemendagri` is given.

**Access.** Aggregates are public. Send an API key as `Authorization: Bearer <key>` (or
`X-API-Key`) for more; `GET /api/v1/me` tells what yours allows.

**Errors** always have the shape `{"code", "message", "details"}`.
"""

TAGS = [
    {"name": "regions", "description": "Provinces, kab/kota, kecamatan and desa; code history."},
    {"name": "datasets", "description": "Data contracts, releases and loads."},
    {
        "name": "measures",
        "description": "Poverty, inequality and service indicators computed from Susenas "
        "releases on request, with standard errors and the reliability flag.",
    },
    {
        "name": "indicators",
        "description": "Indicator values as published or entered, with origin and source.",
    },
    {"name": "access", "description": "API keys, roles and region scope."},
    {"name": "system", "description": "Health of the service."},
]


def create_app(database: Database | None = None) -> FastAPI:
    """Build the app. Without ``database`` it opens the configured one when it starts."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if database is None:
            app.state.database = get_database()
        db: Database = app.state.database
        app.state.job_runner = JobRunner(db.engine)
        yield
        app.state.job_runner.shutdown()

    app = FastAPI(
        title="SEPAKAT API",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        license_info={"name": "Apache-2.0", "identifier": "Apache-2.0"},
    )
    if database is not None:
        app.state.database = database
    install_error_handlers(app)
    ttl = get_settings().reference_cache_ttl
    if ttl > 0:
        app.add_middleware(
            CachedGetMiddleware,
            prefixes=(f"{API_PREFIX}/regions",),
            cache=ResponseCache(ttl=ttl),
        )

    v1 = APIRouter(prefix=API_PREFIX)
    v1.include_router(regions_router)
    v1.include_router(auth_router)
    v1.include_router(ingest_router)
    v1.include_router(measures_router)
    v1.include_router(indicator_values_router)
    v1.include_router(health_router)
    app.include_router(v1)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/docs")

    return app
