"""Small SQL helpers shared by the repositories."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def dialect_insert(session: AsyncSession, model: type[Any]) -> postgresql.Insert | sqlite.Insert:
    """The dialect's own INSERT, which knows ON CONFLICT (both spell it the same way)."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(model)
    if name == "sqlite":
        return sqlite.insert(model)
    raise NotImplementedError(f"unsupported database dialect {name!r}")


def check_length(what: str, value: str, limit: int) -> None:
    # PostgreSQL enforces VARCHAR lengths and SQLite does not; checking here keeps both backends alike.
    if len(value) > limit:
        # Not the value itself: this error ends up in the log, and the value is what a person wrote.
        raise ValueError(f"{what} is longer than {limit} characters ({len(value)})")
