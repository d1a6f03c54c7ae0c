"""Engine and session factory for whichever Postgres the settings point at."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from api.db.embedded import EmbeddedPostgres
from api.settings import Settings, get_settings


@dataclass
class Database:
    """The warehouse connection of this process (and the embedded server behind it, if any)."""

    url: URL
    embedded: EmbeddedPostgres | None = None
    pool_size: int = 10
    # A ping per checkout costs a round trip; worth it only across a network.
    pre_ping: bool = True
    engine: Engine = field(init=False)
    sessions: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        self.engine = create_engine(
            self.url,
            pool_size=self.pool_size,
            max_overflow=self.pool_size,
            pool_pre_ping=self.pre_ping,
            pool_recycle=1800,
        )
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def dispose(self) -> None:
        self.engine.dispose()
        if self.embedded is not None:
            self.embedded.stop()


def normalize_url(raw: str) -> URL:
    """Accept ``postgres://`` and ``postgresql://`` URLs and use the psycopg 3 driver."""
    url = make_url(raw.replace("postgres://", "postgresql://", 1))
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def open_database(settings: Settings) -> Database:
    """Connect to ``DATABASE_URL`` or start the embedded server in the data folder."""
    if settings.database_url:
        return Database(normalize_url(settings.database_url), pool_size=settings.db_pool_size)
    embedded = EmbeddedPostgres(settings.data_dir / "pgdata")
    embedded.ensure_database()
    return Database(
        embedded.url(), embedded=embedded, pool_size=settings.db_pool_size, pre_ping=False
    )


@lru_cache(maxsize=1)
def get_database() -> Database:
    return open_database(get_settings())


def session_scope(db: Database) -> Iterator[Session]:
    """A session that commits when the caller finishes cleanly and rolls back otherwise."""
    with db.sessions() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
