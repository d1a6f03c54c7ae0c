"""The request's database session: committed when the handler succeeds, rolled back otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from api.db.engine import Database, session_scope


def get_db(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def get_session(db: Annotated[Database, Depends(get_db)]) -> Iterator[Session]:
    yield from session_scope(db)


SessionDep = Annotated[Session, Depends(get_session)]
DatabaseDep = Annotated[Database, Depends(get_db)]
