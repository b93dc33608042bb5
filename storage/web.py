"""Sign-in to the bot's web pages: single-use links (`!web`) and the sessions they start.

Only the SHA-256 of a link's or a session's token is stored (tokens have 256 random bits, so no salt is needed): a
copy of the database signs nobody in. A link is redeemed by one conditional UPDATE, so two browsers opening it at
once cannot both get a session.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import WebLink, WebSession, ensure_utc
from storage.sql import check_length

LINK_VALID = timedelta(minutes=10)
"""How long a `!web` link may be opened: long enough to switch from the chat to the browser, short enough that an
old direct message or a copy of it signs nobody in."""
SESSION_IDLE = timedelta(hours=8)
"""A session not used for this long ends: a working day."""
SESSION_LONGEST = timedelta(days=7)
"""A session ends after this long however often it is used: once a week a fresh `!web`."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class WebSessionRecord:
    id: int
    user_id: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


class WebRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_link(self, *, user_id: str, token: str, now: datetime, valid: timedelta) -> None:
        check_length("user_id", user_id, 255)
        now = ensure_utc(now, "now")
        self._session.add(
            WebLink(token_hash=token_hash(token), user_id=user_id, created_at=now, expires_at=now + valid)
        )
        await self._session.flush()

    async def link_user(self, token: str, *, now: datetime) -> str | None:
        """The person a link would sign in, without using it up: None for an unknown, used or expired link. A read,
        so that made-up links and link previews never take SQLite's write lock."""
        user_id: str | None = await self._session.scalar(
            select(WebLink.user_id).where(
                WebLink.token_hash == token_hash(token),
                WebLink.used_at.is_(None),
                WebLink.expires_at > ensure_utc(now, "now"),
            )
        )
        return user_id

    async def redeem_link(self, token: str, *, now: datetime) -> str | None:
        """The person a link signs in, once: None for an unknown, used or expired link."""
        now = ensure_utc(now, "now")
        hashed = token_hash(token)
        result = await self._session.execute(
            update(WebLink)
            .where(WebLink.token_hash == hashed, WebLink.used_at.is_(None), WebLink.expires_at > now)
            .values(used_at=now)
        )
        if _rowcount(result) != 1:
            return None
        user_id: str | None = await self._session.scalar(select(WebLink.user_id).where(WebLink.token_hash == hashed))
        return user_id

    async def start_session(self, *, user_id: str, token: str, now: datetime, longest: timedelta) -> WebSessionRecord:
        now = ensure_utc(now, "now")
        row = WebSession(
            token_hash=token_hash(token), user_id=user_id, created_at=now, last_seen_at=now, expires_at=now + longest
        )
        self._session.add(row)
        await self._session.flush()
        return _record(row)

    async def session(self, token: str, *, now: datetime, idle: timedelta) -> WebSessionRecord | None:
        """The live session of this cookie: not revoked, not past its end, used within `idle`."""
        now = ensure_utc(now, "now")
        row = await self._session.scalar(
            select(WebSession).where(
                WebSession.token_hash == token_hash(token),
                WebSession.revoked_at.is_(None),
                WebSession.expires_at > now,
                WebSession.last_seen_at > now - idle,
            )
        )
        return None if row is None else _record(row)

    async def touch(self, session_id: int, *, now: datetime) -> None:
        await self._session.execute(
            update(WebSession).where(WebSession.id == session_id).values(last_seen_at=ensure_utc(now, "now"))
        )

    async def revoke_session(self, token: str, *, now: datetime) -> None:
        """End the session of this cookie, if it is live: a browser signing in again leaves no older session open."""
        await self._session.execute(
            update(WebSession)
            .where(WebSession.token_hash == token_hash(token), WebSession.revoked_at.is_(None))
            .values(revoked_at=ensure_utc(now, "now"))
        )

    async def end_sessions(self, user_id: str, *, now: datetime, session_id: int | None = None) -> int:
        """Revoke the person's live sessions (or one of them) and their unused links; how many sessions ended."""
        now = ensure_utc(now, "now")
        query = update(WebSession).where(
            WebSession.user_id == user_id, WebSession.revoked_at.is_(None), WebSession.expires_at > now
        )
        if session_id is not None:
            query = query.where(WebSession.id == session_id)
        ended = _rowcount(await self._session.execute(query.values(revoked_at=now)))
        if session_id is None:
            await self._session.execute(
                update(WebLink)
                .where(WebLink.user_id == user_id, WebLink.used_at.is_(None), WebLink.expires_at > now)
                .values(used_at=now)
            )
        return ended

    async def purge(self, *, now: datetime, idle: timedelta) -> int:
        """Delete links past their time or used, and sessions that ended; how many rows went."""
        now = ensure_utc(now, "now")
        links = await self._session.execute(
            delete(WebLink).where(or_(WebLink.expires_at <= now, WebLink.used_at.is_not(None)))
        )
        sessions = await self._session.execute(
            delete(WebSession).where(
                or_(
                    WebSession.revoked_at.is_not(None),
                    WebSession.expires_at <= now,
                    WebSession.last_seen_at <= now - idle,
                )
            )
        )
        return _rowcount(links) + _rowcount(sessions)


def _record(row: WebSession) -> WebSessionRecord:
    return WebSessionRecord(row.id, row.user_id, row.created_at, row.last_seen_at, row.expires_at)


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
