"""Repositories: the only code that speaks SQL. Each takes the session of one unit of work and returns
frozen dataclasses, so nothing ORM-shaped (lazy loads, expiry, identity map) leaks into handlers.

Writes that may race use the dialect's ``INSERT ... ON CONFLICT`` instead of read-then-write, so the
database, not the application, decides who wins.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.analysis import Analyzer, default_analyzer
from storage.decisions import DecisionRepository, MinutesRepository
from storage.meetings import CalendarFeedRepository, MeetingRepository, PersonalReminderRepository
from storage.models import (
    HandledCommand,
    LedgerStatus,
    ReminderLedger,
    RoomSettings,
    SyncState,
    UserSettings,
    ensure_utc,
)
from storage.outbox import OutboxRepository
from storage.privacy import PrivacyRepository
from storage.profiles import Caches, ProfileRepository, SavedQueryRepository, SearchStatsRepository
from storage.sql import check_length as _check_length
from storage.sql import dialect_insert as _insert
from storage.substitutions import SubstitutionRepository
from storage.web import WebRepository

_LANGUAGE_MAX = 8
_TIMEZONE_MAX = 64
_USER_ID_MAX = 255
_SYNC_KEY_MAX = 64
_KIND_MAX = 32
_BATCH_ROWS = 500  # rows per multi-row INSERT: 11 parameters each stays far below SQLite's limit


# --- user settings ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserSettingsRecord:
    user_id: str
    language: str | None
    timezone: str | None


class UserSettingsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, user_id: str) -> UserSettingsRecord | None:
        row = (
            await self._session.execute(
                select(UserSettings.user_id, UserSettings.language, UserSettings.timezone).where(
                    UserSettings.user_id == user_id
                )
            )
        ).one_or_none()
        return None if row is None else UserSettingsRecord(row.user_id, row.language, row.timezone)

    async def languages(self, user_ids: Sequence[str], *, default: str) -> dict[str, str]:
        """Each person's reply language (their own, else `default`), in one query."""
        ids = list(dict.fromkeys(user_ids))
        found: dict[str, str] = dict.fromkeys(ids, default)
        if ids:
            rows = await self._session.execute(
                select(UserSettings.user_id, UserSettings.language).where(
                    UserSettings.user_id.in_(ids), UserSettings.language.is_not(None)
                )
            )
            found |= {user_id: language for user_id, language in rows if language}
        return found

    async def set_language(self, user_id: str, language: str | None) -> UserSettingsRecord:
        """Store the person's language; None goes back to the configured default."""
        if language is not None:
            _check_length("language", language, _LANGUAGE_MAX)
        return await self._upsert(user_id, "language", language)

    async def set_timezone(self, user_id: str, timezone: str | None) -> UserSettingsRecord:
        """Store the person's IANA zone (validated by the caller, which knows how to word the error)."""
        if timezone is not None:
            _check_length("timezone", timezone, _TIMEZONE_MAX)
        return await self._upsert(user_id, "timezone", timezone)

    async def _upsert(self, user_id: str, column: str, value: str | None) -> UserSettingsRecord:
        _check_length("user id", user_id, _USER_ID_MAX)
        insert = _insert(self._session, UserSettings).values({"user_id": user_id, column: value})
        upsert = insert.on_conflict_do_update(
            index_elements=["user_id"],
            set_={column: getattr(insert.excluded, column), "updated_at": func.now()},
        ).returning(UserSettings.user_id, UserSettings.language, UserSettings.timezone)
        row = (await self._session.execute(upsert)).one()
        return UserSettingsRecord(row.user_id, row.language, row.timezone)


class RoomSettingsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def timezone(self, room_id: str) -> str | None:
        """The room's own IANA zone, or None for the configured default."""
        value: str | None = await self._session.scalar(
            select(RoomSettings.timezone).where(RoomSettings.room_id == room_id)
        )
        return value

    async def set_timezone(self, room_id: str, timezone: str | None) -> None:
        _check_length("room id", room_id, _USER_ID_MAX)
        if timezone is not None:
            _check_length("timezone", timezone, _TIMEZONE_MAX)
        insert = _insert(self._session, RoomSettings).values(room_id=room_id, timezone=timezone)
        await self._session.execute(
            insert.on_conflict_do_update(
                index_elements=["room_id"], set_={"timezone": insert.excluded.timezone, "updated_at": func.now()}
            )
        )

    async def claim_introduction(self, room_id: str, *, now: datetime) -> bool:
        """Note that the bot introduces itself in the room now: True the first time, False if it did before (or was
        in the room before introductions existed), so it never introduces itself twice, also when invited back."""
        _check_length("room id", room_id, _USER_ID_MAX)
        insert = _insert(self._session, RoomSettings).values(room_id=room_id, introduced_at=ensure_utc(now, "now"))
        stmt = insert.on_conflict_do_update(
            index_elements=["room_id"],
            set_={"introduced_at": insert.excluded.introduced_at, "updated_at": func.now()},
            where=RoomSettings.introduced_at.is_(None),
        ).returning(RoomSettings.room_id)
        return (await self._session.scalar(stmt)) is not None

    async def introduced(self, room_ids: Sequence[str]) -> set[str]:
        """Those of the rooms the bot has introduced itself in (or found itself in already)."""
        if not room_ids:
            return set()
        rows = await self._session.scalars(
            select(RoomSettings.room_id).where(
                RoomSettings.room_id.in_(room_ids), RoomSettings.introduced_at.is_not(None)
            )
        )
        return set(rows)


# --- small bot state ----------------------------------------------------------------------------------


class SyncStateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, key: str) -> str | None:
        value: str | None = await self._session.scalar(select(SyncState.value).where(SyncState.key == key))
        return value

    async def set(self, key: str, value: str) -> None:
        _check_length("state key", key, _SYNC_KEY_MAX)
        stmt = _insert(self._session, SyncState).values(key=key, value=value)
        await self._session.execute(
            stmt.on_conflict_do_update(index_elements=["key"], set_={"value": stmt.excluded.value})
        )


# --- reminder ledger ----------------------------------------------------------------------------------


def txn_id_for(kind: str, ref_id: int, occurrence: datetime, offset_seconds: int) -> str:
    """The Matrix transaction id of one scheduled message, derived only from its ledger key.

    The homeserver deduplicates ``PUT /send/.../{txnId}`` per access token, so a retry after a crash
    between sending and marking sent cannot post twice. The instant is normalized to UTC first, so the
    same occurrence written in another zone yields the same id.
    """
    instant = ensure_utc(occurrence, "occurrence").isoformat(timespec="microseconds")
    digest = hashlib.sha256(f"{kind}\x1f{ref_id}\x1f{instant}\x1f{offset_seconds}".encode()).hexdigest()
    return f"redi-{digest[:40]}"


@dataclass(frozen=True)
class LedgerEntry:
    id: int
    kind: str
    ref_id: int
    occurrence: datetime
    offset_seconds: int
    status: LedgerStatus
    txn_id: str
    late: bool
    claimed_at: datetime  # when the row was written (claimed, or recorded as missed)
    sent_at: datetime | None
    event_id: str | None
    note: str | None = None
    batch_txn_id: str | None = None

    @property
    def send_txn_id(self) -> str:
        """The txn id to send with: the batch's when the row was claimed as part of one."""
        return self.batch_txn_id or self.txn_id

    @property
    def key(self) -> LedgerKey:
        return LedgerKey(self.kind, self.ref_id, self.occurrence, self.offset_seconds)


@dataclass(frozen=True)
class LedgerKey:
    kind: str
    ref_id: int
    occurrence: datetime
    offset_seconds: int


def batch_txn_id_for(room_id: str, keys: list[LedgerKey]) -> str:
    """The txn id of a batch: derived from its room and members, so it is stable and distinct per batch."""
    parts = sorted(txn_id_for(k.kind, k.ref_id, k.occurrence, k.offset_seconds) for k in keys)
    digest = hashlib.sha256("\x1f".join([room_id, *parts]).encode()).hexdigest()
    return f"redi-b-{digest[:38]}"


_LEDGER_COLUMNS = (
    ReminderLedger.id,
    ReminderLedger.kind,
    ReminderLedger.ref_id,
    ReminderLedger.occurrence,
    ReminderLedger.offset_seconds,
    ReminderLedger.status,
    ReminderLedger.txn_id,
    ReminderLedger.late,
    ReminderLedger.claimed_at,
    ReminderLedger.sent_at,
    ReminderLedger.event_id,
    ReminderLedger.note,
    ReminderLedger.batch_txn_id,
)


def _entry(row: Row[*tuple[Any, ...]]) -> LedgerEntry:
    return LedgerEntry(
        id=row.id,
        kind=row.kind,
        ref_id=row.ref_id,
        occurrence=row.occurrence,
        offset_seconds=row.offset_seconds,
        status=LedgerStatus(row.status),
        txn_id=row.txn_id,
        late=bool(row.late),
        claimed_at=row.claimed_at,
        sent_at=row.sent_at,
        event_id=row.event_id,
        note=row.note,
        batch_txn_id=row.batch_txn_id,
    )


class ReminderLedgerRepository:
    """Claim → send with `entry.txn_id` → `mark_sent`, each step in its own unit of work.

    Race safety: `claim` inserts with ON CONFLICT DO NOTHING and then reads the row. On PostgreSQL a
    second concurrent insert of the same key waits for the first transaction; if that commits, the second
    claimer reads the committed row and gets the *same* entry (same txn_id, so the homeserver drops the
    duplicate send); if it rolls back, the second claimer's own insert wins. On SQLite every transaction
    starts with BEGIN IMMEDIATE, so claims are serialized outright. Either way there is never more than
    one row, and never two different txn_ids, for one key.
    """

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(
        self,
        kind: str,
        ref_id: int,
        occurrence: datetime,
        offset_seconds: int,
        *,
        now: datetime,
        late: bool = False,
    ) -> LedgerEntry | None:
        """Claim a scheduled message for sending.

        Returns the claimed entry (new, or left 'claimed' by an earlier attempt that may have crashed
        after sending: send again with the same txn_id), or None if it was already sent or missed.
        """
        key = LedgerKey(kind, ref_id, occurrence, offset_seconds)
        [entry] = await self.claim_batch([key], now=now, late=[late], batch_txn_ids=[None])
        return entry

    async def claim_batch(
        self, keys: list[LedgerKey], *, now: datetime, late: list[bool], batch_txn_ids: list[str | None]
    ) -> list[LedgerEntry | None]:
        """`claim` for many keys in two statements (a burst of reminders must not cost two round trips
        each). Rows inserted here carry their batch's txn id; rows claimed earlier keep theirs, so an
        interrupted batch is resent as it was. Returns, per key, the claimed entry or None."""
        if not keys:
            return []
        now = ensure_utc(now, "now")
        values: list[dict[str, Any]] = []
        txn_ids: list[str] = []
        for key, is_late, batch_txn_id in zip(keys, late, batch_txn_ids, strict=True):
            _check_length("kind", key.kind, _KIND_MAX)
            occurrence = ensure_utc(key.occurrence, "occurrence")
            txn_ids.append(txn_id_for(key.kind, key.ref_id, occurrence, key.offset_seconds))
            values.append(
                {
                    "kind": key.kind,
                    "ref_id": key.ref_id,
                    "occurrence": occurrence,
                    "offset_seconds": key.offset_seconds,
                    "status": LedgerStatus.CLAIMED.value,
                    "txn_id": txn_ids[-1],
                    "batch_txn_id": batch_txn_id,
                    "late": is_late,
                    "claimed_at": now,
                }
            )
        found: dict[str, LedgerEntry] = {}
        for start in range(0, len(values), _BATCH_ROWS):
            chunk = slice(start, start + _BATCH_ROWS)
            insert = _insert(self._session, ReminderLedger).values(values[chunk]).on_conflict_do_nothing()
            await self._session.execute(insert)
            found |= await self._by_txn_id(txn_ids[chunk])
        entries = [found[txn_id] for txn_id in txn_ids]
        return [entry if entry.status is LedgerStatus.CLAIMED else None for entry in entries]

    async def _by_txn_id(self, txn_ids: list[str]) -> dict[str, LedgerEntry]:
        rows = await self._session.execute(select(*_LEDGER_COLUMNS).where(ReminderLedger.txn_id.in_(txn_ids)))
        return {row.txn_id: _entry(row) for row in rows}

    async def record_command(self, event_id: str, room_id: str, *, now: datetime) -> bool:
        """Note that this command's effects are being committed; False if it was handled before."""
        _check_length("event id", event_id, _USER_ID_MAX)
        stmt = (
            _insert(self._session, HandledCommand)
            .values(event_id=event_id, room_id=room_id, handled_at=ensure_utc(now, "now"))
            .on_conflict_do_nothing()
            .returning(HandledCommand.event_id)
        )
        return (await self._session.scalar(stmt)) is not None

    async def prune_commands(self, *, before: datetime) -> int:
        """Forget handled commands too old to be delivered again (older than the maximum command age)."""
        result = await self._session.execute(
            delete(HandledCommand).where(HandledCommand.handled_at < ensure_utc(before, "before"))
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def mark_batch_sent(self, entry_ids: list[int], *, event_id: str, now: datetime) -> None:
        """Record the delivery of a batch, which went out as one event. Also accepted on a row meanwhile
        recorded as missed: it *was* sent. LookupError if a row does not exist."""
        updated = (
            await self._session.scalars(
                update(ReminderLedger)
                .where(ReminderLedger.id.in_(entry_ids))
                .values(status=LedgerStatus.SENT.value, event_id=event_id, sent_at=ensure_utc(now, "now"))
                .returning(ReminderLedger.id)
            )
        ).all()
        missing = set(entry_ids) - set(updated)
        if missing:
            raise LookupError(f"no reminder ledger entries with ids {sorted(missing)}")

    async def mark_sent(self, entry_id: int, *, event_id: str, now: datetime) -> None:
        """`mark_batch_sent` for a single message."""
        await self.mark_batch_sent([entry_id], event_id=event_id, now=now)

    async def record_missed(
        self,
        kind: str,
        ref_id: int,
        occurrence: datetime,
        offset_seconds: int,
        *,
        now: datetime,
        note: str | None,
    ) -> LedgerEntry | None:
        """Record that a message fell due too long ago to be sent; it is then never claimable.

        Returns the missed entry, or None if the key was already sent or recorded as missed. A row still
        'claimed' (crash around the send, long ago) becomes 'missed' too: the homeserver's txn_id
        deduplication does not last forever, so a late retry could post twice. The note says so.
        """
        _check_length("kind", kind, _KIND_MAX)
        occurrence = ensure_utc(occurrence, "occurrence")
        now = ensure_utc(now, "now")
        inserted = await self._insert_if_absent(
            kind,
            ref_id,
            occurrence,
            offset_seconds,
            status=LedgerStatus.MISSED,
            now=now,
            late=False,
            note=note,
        )
        if not inserted:
            previous = await self.get(kind, ref_id, occurrence, offset_seconds)
            assert previous is not None
            if previous.status is not LedgerStatus.CLAIMED:
                return None
            detail = f"claimed at {previous.claimed_at.isoformat()}, delivery unknown"
            # Conditional on status so a concurrent mark_sent is never overwritten.
            changed = await self._session.scalar(
                update(ReminderLedger)
                .where(ReminderLedger.id == previous.id, ReminderLedger.status == LedgerStatus.CLAIMED.value)
                .values(status=LedgerStatus.MISSED.value, note=f"{note}; {detail}" if note else detail)
                .returning(ReminderLedger.id)
            )
            if changed is None:
                return None
        return await self.get(kind, ref_id, occurrence, offset_seconds)

    async def get(self, kind: str, ref_id: int, occurrence: datetime, offset_seconds: int) -> LedgerEntry | None:
        row = (
            await self._session.execute(
                select(*_LEDGER_COLUMNS).where(
                    ReminderLedger.kind == kind,
                    ReminderLedger.ref_id == ref_id,
                    ReminderLedger.occurrence == ensure_utc(occurrence, "occurrence"),
                    ReminderLedger.offset_seconds == offset_seconds,
                )
            )
        ).one_or_none()
        return None if row is None else _entry(row)

    async def pending(self, kind: str | None = None) -> list[LedgerEntry]:
        """Claimed but not marked sent, oldest first: to retry with their txn_id on start."""
        stmt = select(*_LEDGER_COLUMNS).where(ReminderLedger.status == LedgerStatus.CLAIMED.value)
        if kind is not None:
            stmt = stmt.where(ReminderLedger.kind == kind)
        # Oldest occurrence first; for one occurrence the earliest reminder (largest offset) first.
        stmt = stmt.order_by(ReminderLedger.occurrence, ReminderLedger.offset_seconds.desc(), ReminderLedger.id)
        return [_entry(row) for row in (await self._session.execute(stmt)).all()]

    async def _insert_if_absent(
        self,
        kind: str,
        ref_id: int,
        occurrence: datetime,
        offset_seconds: int,
        *,
        status: LedgerStatus,
        now: datetime,
        late: bool,
        note: str | None,
    ) -> bool:
        stmt = (
            _insert(self._session, ReminderLedger)
            .values(
                kind=kind,
                ref_id=ref_id,
                occurrence=occurrence,
                offset_seconds=offset_seconds,
                status=status.value,
                txn_id=txn_id_for(kind, ref_id, occurrence, offset_seconds),
                late=late,
                claimed_at=now,
                note=note,
            )
            # No conflict target: the key and txn_id (derived from the key) are both unique.
            .on_conflict_do_nothing()
            .returning(ReminderLedger.id)
        )
        return (await self._session.scalar(stmt)) is not None


# --- the unit of work's view --------------------------------------------------------------------------


@dataclass
class Repositories:
    """All repositories of one unit of work, sharing one session (and so one transaction)."""

    users: UserSettingsRepository
    sync: SyncStateRepository
    ledger: ReminderLedgerRepository
    rooms: RoomSettingsRepository
    profiles: ProfileRepository
    queries: SavedQueryRepository
    search_stats: SearchStatsRepository
    meetings: MeetingRepository
    reminders: PersonalReminderRepository
    feeds: CalendarFeedRepository
    web: WebRepository  # sign-in links and sessions of the web pages (storage.web)
    substitutions: SubstitutionRepository
    decisions: DecisionRepository
    minutes: MinutesRepository
    outbox: OutboxRepository
    privacy: PrivacyRepository  # every table at once: export, erasure, report (storage.privacy)
    analyzer: Analyzer  # the one text analysis of search indexes and queries (storage.analysis)

    @classmethod
    def for_session(
        cls, session: AsyncSession, caches: Caches | None = None, analyzer: Analyzer | None = None
    ) -> Repositories:
        analyzer = analyzer if analyzer is not None else default_analyzer()
        return cls(
            analyzer=analyzer,
            users=UserSettingsRepository(session),
            sync=SyncStateRepository(session),
            ledger=ReminderLedgerRepository(session),
            rooms=RoomSettingsRepository(session),
            profiles=ProfileRepository(session, caches or Caches()),
            queries=SavedQueryRepository(session),
            search_stats=SearchStatsRepository(session),
            meetings=MeetingRepository(session),
            reminders=PersonalReminderRepository(session),
            feeds=CalendarFeedRepository(session),
            web=WebRepository(session),
            substitutions=SubstitutionRepository(session),
            decisions=DecisionRepository(session, analyzer),
            minutes=MinutesRepository(session),
            outbox=OutboxRepository(session),
            privacy=PrivacyRepository(session, analyzer),
        )
