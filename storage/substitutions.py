"""Repository for substitution requests, their offers and history.

Every state change first reads the request with `lock=True` (SELECT ... FOR UPDATE on PostgreSQL; SQLite
serializes writers anyway), so two people acting on one request at the same moment are applied one
after the other, each seeing the other's change: nothing is lost, nothing decided on a stale view.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import SubstitutionHistory, SubstitutionOffer, SubstitutionRequest, ensure_utc
from storage.sql import check_length
from storage.sql import dialect_insert as _insert

MAX_WHAT = 2000
MAX_NOTE = 500


@dataclass(frozen=True)
class OfferRecord:
    id: int
    user_id: str
    city: str | None
    state: str
    note: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class RequestRecord:
    id: int
    room_id: str
    requester: str
    requester_city: str | None
    what: str
    topics: tuple[str, ...]
    start: datetime  # UTC
    end: datetime  # UTC
    deadline: datetime  # UTC
    timezone: str
    needed: int
    state: str
    announcement_room_id: str | None
    announcement_event_id: str | None
    created_at: datetime
    updated_at: datetime
    offers: tuple[OfferRecord, ...]  # oldest first


@dataclass(frozen=True)
class HistoryRecord:
    at: datetime
    actor: str | None
    action: str
    detail: str | None


class SubstitutionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        *,
        room_id: str,
        requester: str,
        requester_city: str | None,
        what: str,
        topics: Sequence[str],
        start: datetime,
        end: datetime,
        deadline: datetime,
        timezone: str,
        needed: int,
        now: datetime,
    ) -> RequestRecord:
        check_length("what", what, MAX_WHAT)
        if any("\n" in topic for topic in topics):
            raise ValueError("a topic is one line")
        now = ensure_utc(now, "now")
        request = SubstitutionRequest(
            room_id=room_id,
            requester=requester,
            requester_city=requester_city,
            what=what,
            topics="\n".join(topics),
            starts_at=ensure_utc(start, "start"),
            ends_at=ensure_utc(end, "end"),
            deadline=ensure_utc(deadline, "deadline"),
            timezone=timezone,
            needed=needed,
            state="open",
            created_at=now,
            updated_at=now,
        )
        self._session.add(request)
        await self._session.flush()
        await self.add_history(request.id, at=now, actor=requester, action="created")
        return _record(request, [])

    async def get(self, request_id: int, *, lock: bool = False) -> RequestRecord | None:
        stmt = select(SubstitutionRequest).where(SubstitutionRequest.id == request_id)
        if lock:
            stmt = stmt.with_for_update()
        request = (await self._session.execute(stmt)).scalar_one_or_none()
        if request is None:
            return None
        return _record(request, (await self._offers([request_id])).get(request_id, []))

    async def by_announcement(self, event_id: str) -> int | None:
        found: int | None = await self._session.scalar(
            select(SubstitutionRequest.id).where(SubstitutionRequest.announcement_event_id == event_id)
        )
        return found

    async def set_announcement(self, request_id: int, *, room_id: str, event_id: str) -> None:
        await self._session.execute(
            update(SubstitutionRequest)
            .where(SubstitutionRequest.id == request_id)
            .values(announcement_room_id=room_id, announcement_event_id=event_id)
        )

    async def set_deadline(self, request_id: int, deadline: datetime, *, now: datetime) -> None:
        """Move the answer-by deadline (the planner must then be refreshed for the request)."""
        await self._session.execute(
            update(SubstitutionRequest)
            .where(SubstitutionRequest.id == request_id)
            .values(deadline=ensure_utc(deadline, "deadline"), updated_at=ensure_utc(now, "now"))
        )

    async def set_state(self, request_id: int, state: str, *, now: datetime) -> None:
        await self._session.execute(
            update(SubstitutionRequest)
            .where(SubstitutionRequest.id == request_id)
            .values(state=state, updated_at=ensure_utc(now, "now"))
        )

    async def set_offer(
        self,
        request_id: int,
        user_id: str,
        state: str,
        *,
        now: datetime,
        city: str | None = None,
        note: str | None = None,
        reaction_event_id: str | None = None,
    ) -> None:
        """Create the person's offer or change its state; a new offer's city, note and reaction replace the old
        ones."""
        if note is not None:
            check_length("note", note, MAX_NOTE)
        now = ensure_utc(now, "now")
        insert = _insert(self._session, SubstitutionOffer).values(
            request_id=request_id,
            user_id=user_id,
            city=city,
            state=state,
            note=note,
            reaction_event_id=reaction_event_id,
            created_at=now,
            updated_at=now,
        )
        changes: dict[str, object] = {"state": insert.excluded.state, "updated_at": insert.excluded.updated_at}
        if state == "offered":
            changes |= {
                "city": insert.excluded.city,
                "note": insert.excluded.note,
                "reaction_event_id": insert.excluded.reaction_event_id,
            }
        await self._session.execute(
            insert.on_conflict_do_update(index_elements=["request_id", "user_id"], set_=changes)
        )
        await self._touch(request_id, now)

    async def by_reaction(self, event_id: str) -> tuple[int, str] | None:
        """(request id, user id) of the offer made with this reaction, if any."""
        row = (
            await self._session.execute(
                select(SubstitutionOffer.request_id, SubstitutionOffer.user_id).where(
                    SubstitutionOffer.reaction_event_id == event_id
                )
            )
        ).first()
        return None if row is None else (row.request_id, row.user_id)

    async def add_history(
        self, request_id: int, *, at: datetime, actor: str | None, action: str, detail: str | None = None
    ) -> None:
        self._session.add(
            SubstitutionHistory(
                request_id=request_id, at=ensure_utc(at, "at"), actor=actor, action=action, detail=detail
            )
        )
        await self._session.flush()

    async def history(self, request_id: int) -> list[HistoryRecord]:
        rows = await self._session.execute(
            select(SubstitutionHistory)
            .where(SubstitutionHistory.request_id == request_id)
            .order_by(SubstitutionHistory.at, SubstitutionHistory.id)
        )
        return [HistoryRecord(h.at, h.actor, h.action, h.detail) for h in rows.scalars()]

    async def in_states(self, states: Sequence[str]) -> list[RequestRecord]:
        """Requests in these states, soonest first (with their offers)."""
        rows = await self._session.execute(
            select(SubstitutionRequest)
            .where(SubstitutionRequest.state.in_(states))
            .order_by(SubstitutionRequest.starts_at, SubstitutionRequest.id)
        )
        requests = list(rows.scalars())
        offers = await self._offers([r.id for r in requests])
        return [_record(r, offers.get(r.id, [])) for r in requests]

    async def helped_pairs(self, *, since: datetime, until: datetime) -> list[tuple[str | None, str | None]]:
        """(helper city, requester city) of each accepted offer of a done request that started in [since, until)."""
        rows = await self._session.execute(
            select(SubstitutionOffer.city, SubstitutionRequest.requester_city)
            .join(SubstitutionRequest, SubstitutionRequest.id == SubstitutionOffer.request_id)
            .where(
                SubstitutionRequest.state == "done",
                SubstitutionOffer.state == "accepted",
                SubstitutionRequest.starts_at >= ensure_utc(since, "since"),
                SubstitutionRequest.starts_at < ensure_utc(until, "until"),
            )
            .order_by(SubstitutionOffer.id)
        )
        return [(helper, requester) for helper, requester in rows]

    async def _touch(self, request_id: int, now: datetime) -> None:
        await self._session.execute(
            update(SubstitutionRequest).where(SubstitutionRequest.id == request_id).values(updated_at=now)
        )

    async def _offers(self, request_ids: Sequence[int]) -> dict[int, list[OfferRecord]]:
        if not request_ids:
            return {}
        rows = await self._session.execute(
            select(SubstitutionOffer)
            .where(SubstitutionOffer.request_id.in_(request_ids))
            .order_by(SubstitutionOffer.created_at, SubstitutionOffer.id)
        )
        found: dict[int, list[OfferRecord]] = {}
        for offer in rows.scalars():
            found.setdefault(offer.request_id, []).append(
                OfferRecord(
                    offer.id, offer.user_id, offer.city, offer.state, offer.note, offer.created_at, offer.updated_at
                )
            )
        return found


def _record(request: SubstitutionRequest, offers: list[OfferRecord]) -> RequestRecord:
    return RequestRecord(
        id=request.id,
        room_id=request.room_id,
        requester=request.requester,
        requester_city=request.requester_city,
        what=request.what,
        topics=tuple(t for t in request.topics.split("\n") if t),
        start=request.starts_at,
        end=request.ends_at,
        deadline=request.deadline,
        timezone=request.timezone,
        needed=request.needed,
        state=request.state,
        announcement_room_id=request.announcement_room_id,
        announcement_event_id=request.announcement_event_id,
        created_at=request.created_at,
        updated_at=request.updated_at,
        offers=tuple(offers),
    )
