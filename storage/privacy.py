"""What the database holds about a person, over every table: the export (DSGVO Art. 15), the erasure (Art. 17)
and the counts of the admin report.

`PERSON_COLUMNS` names, for every table that can hold a Matrix id, the columns that do; `NO_PERSON_DATA` says for
every other table why it holds nobody. `tests/test_privacy.py` checks that each table of the models is in exactly
one of them, so a new table with a user column fails the tests until the export and the erasure know it.

The erasure deletes what is the person's own (profile, settings, personal reminders, saved searches, offers on
open requests, direct messages waiting in the outbox) and pseudonymizes what belongs to the group (decisions,
minutes, substitution records for `!bilanz`, meetings): every occurrence of the Matrix id in every text column
becomes one pseudonym, "ehemaliges Mitglied N", N counted up per forgotten person, so the audit trail still
reads consistently ("ehemaliges Mitglied 3 revoked what ehemaliges Mitglied 3 decided"). The pseudonym is not
derived from the id (a hash could be recomputed from a guessed id); the number is only the order of forgets.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Integer,
    String,
    Table,
    Text,
    cast,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table
from sqlalchemy import text as sql_text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.analysis import Analyzer
from storage.decisions import decision_index_text
from storage.models import (
    DECISION_FTS,
    Base,
    Decision,
    DecisionAudit,
    DecisionTag,
    HandledCommand,
    MinutesItem,
    MinutesSession,
    OutboxMessage,
    PersonalReminder,
    Profile,
    ReminderLedger,
    SavedQuery,
    SubstitutionHistory,
    SubstitutionOffer,
    SubstitutionRequest,
    SyncState,
    TopicActivity,
)
from storage.sql import dialect_insert
from storage.web import SESSION_IDLE, WebRepository

PSEUDONYM = "ehemaliges Mitglied {number}"
"""What a forgotten person is called in the group's records, in German: the records are the German network's."""

FORGOTTEN_KEY = "privacy.forgotten"
"""sync_state key: how many people were forgotten so far (the next pseudonym's number)."""

PERSON_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "user_settings": ("user_id",),
    "profiles": ("user_id",),
    "profile_groups": ("user_id",),
    "profile_topics": ("user_id",),
    "topic_activity": ("user_id",),
    "saved_queries": ("user_id",),
    "meetings": ("created_by",),
    "personal_reminders": ("user_id",),
    "calendar_feeds": ("user_id",),
    "web_links": ("user_id",),
    "web_sessions": ("user_id",),
    "substitution_requests": ("requester",),
    "substitution_offers": ("user_id",),
    "substitution_history": ("actor",),
    "minutes_sessions": ("started_by",),
    "decisions": ("author", "context_sender"),
    "decision_audit": ("actor",),
    "minutes_items": ("author", "owner", "done_by"),
    "outbox": ("user_id",),
}
"""Per table, the columns that hold a Matrix id (`minutes_items.owner` may also hold a name as written)."""

NO_PERSON_DATA: Mapping[str, str] = {
    "room_settings": "rooms only: time zone, when the bot introduced itself",
    "sync_state": "the bot's own state (sync token, index version, number of forgotten people)",
    "reminder_ledger": "which scheduled message went out when, by record number; no user ids",
    "topics": "the vocabulary of topics, shared by everyone",
    "meeting_skips": "dates a meeting does not take place",
    "decision_tags": "folded tags of decisions",
    "handled_commands": "event and room ids of handled commands, to recognise a command delivered twice",
    "search_counts": "how often a topic was searched per day, without names",
}
"""Tables that hold nobody's Matrix id, and why (the tests keep both lists complete)."""

OWN_DATA: tuple[str, ...] = (
    "user_settings",
    "saved_queries",
    "profile_topics",
    "profile_groups",
    "profiles",
    "topic_activity",
    "personal_reminders",
    "calendar_feeds",
    "web_links",
    "web_sessions",
)
"""Tables whose rows of the person are theirs alone: deleted on erasure, in this order (children first)."""

_TEXT_TYPES = (String, Text)
_UNFINISHED = ("open", "filled")  # substitution requests still looking for or awaiting people
_LIVE_OFFERS = ("offered", "accepted")


@dataclass(frozen=True)
class WithdrawnOffer:
    """An offer on a request still open that the erasure removed: its requester is told."""

    request_id: int
    requester: str
    reopened: bool


@dataclass(frozen=True)
class ForgetResult:
    pseudonym: str
    deleted: dict[str, int]  # table -> rows deleted
    pseudonymized: dict[str, int]  # table -> rows changed
    withdrawn: list[WithdrawnOffer] = field(default_factory=list)
    cancelled_requests: list[int] = field(default_factory=list)

    @property
    def changed_requests(self) -> list[int]:
        """Requests whose state changed (a filled one open again, the person's own cancelled): their posted calls
        need an edit, their plans a refresh."""
        return sorted({w.request_id for w in self.withdrawn if w.reopened} | set(self.cancelled_requests))


@dataclass(frozen=True)
class PurgeCutoffs:
    """Per kind of data, the instant before which it goes (now minus the configured retention)."""

    substitution_text: datetime
    personal_reminders: datetime
    saved_searches: datetime
    revoked_quotes: datetime
    handled_commands: datetime
    ledger: datetime
    topic_activity: datetime  # older than the window in which the who-knows search counts it
    records: datetime | None = None  # decisions, minutes and action items; None keeps them (the default)
    web: datetime | None = None  # now: web sign-in links and sessions that ended by then (storage.web)


@dataclass(frozen=True)
class KindReport:
    """One table in the admin report: how many rows, and the oldest and newest time they carry."""

    table: str
    rows: int
    oldest: datetime | None
    newest: datetime | None


def person_tables() -> dict[str, Table]:
    tables = Base.metadata.tables
    return {name: tables[name] for name in PERSON_COLUMNS}


def text_columns(table: Table) -> list[str]:
    """The columns an id could be written into: every string column (JSON and binary are handled apart)."""
    return [c.name for c in table.columns if isinstance(c.type, _TEXT_TYPES) and not isinstance(c.type, JSON)]


def mention_pattern(user_id: str) -> re.Pattern[str]:
    """The id where it stands in a text, not as the start of a longer id (a server name or port going on)."""
    return re.compile(re.escape(user_id) + r"(?![A-Za-z0-9\-]|\.[A-Za-z0-9]|:\d)")


def _plain(value: Any) -> Any:
    """A value as JSON has it: times in ISO 8601, bytes by size (a file sent to the person is not repeated)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return {"bytes": len(value), "base64_start": base64.b64encode(value[:48]).decode()}
    return value


class PrivacyRepository:
    def __init__(self, session: AsyncSession, analyzer: Analyzer) -> None:
        self._session = session
        self._analyzer = analyzer

    # --- access ---------------------------------------------------------------------------------------

    async def export(self, user_id: str) -> dict[str, list[dict[str, Any]]]:
        """Every row of every table that names `user_id` in a person column or mentions it in a text (what the
        erasure pseudonymizes), as plain JSON values, by table. `minutes_items.owner` also matches the person's
        display name (owners may be written as a name)."""
        name = await self._session.scalar(select(Profile.display_name).where(Profile.user_id == user_id))
        pattern = mention_pattern(user_id)
        result: dict[str, list[dict[str, Any]]] = {}
        for table_name, table in person_tables().items():
            person_columns = PERSON_COLUMNS[table_name]
            texts = [c for c in text_columns(table) if c not in person_columns and c != "search_text"]
            conditions = [table.c[column] == user_id for column in person_columns]
            conditions += [table.c[column].contains(user_id, autoescape=True) for column in texts]
            if table_name == "minutes_items" and name:  # an owner written as their name, in an entry they wrote
                conditions.append((table.c.owner == name) & (table.c.author == user_id))
            order = list(table.primary_key.columns)
            rows = (await self._session.execute(select(table).where(or_(*conditions)).order_by(*order))).mappings()
            result[table_name] = [
                {key: _plain(value) for key, value in row.items()}
                for row in rows
                if any(row[column] == user_id for column in person_columns)
                or (table_name == "minutes_items" and name and row["owner"] == name and row["author"] == user_id)
                or any(row[column] and pattern.search(row[column]) for column in texts)
            ]
        return result

    async def open_offer_count(self, user_id: str) -> int:
        """Offers the erasure would withdraw: on requests not finished yet."""
        count = await self._session.scalar(
            select(func.count())
            .select_from(SubstitutionOffer)
            .join(SubstitutionRequest, SubstitutionRequest.id == SubstitutionOffer.request_id)
            .where(
                SubstitutionOffer.user_id == user_id,
                SubstitutionOffer.state.in_(_LIVE_OFFERS),
                SubstitutionRequest.state.in_(_UNFINISHED),
                SubstitutionRequest.requester != user_id,
            )
        )
        return int(count or 0)

    # --- erasure --------------------------------------------------------------------------------------

    async def forget(self, user_id: str, *, now: datetime) -> ForgetResult:
        """Delete the person's own data and pseudonymize them in the group's records, in the caller's unit of
        work. Afterwards `user_id` occurs in no text column of any table (`tests/test_privacy.py` scans them)."""
        session = self._session
        pseudonym = PSEUDONYM.format(number=await self._next_number())
        name = await session.scalar(select(Profile.display_name).where(Profile.user_id == user_id))

        withdrawn, cancelled = await self._leave_open_requests(user_id, now=now)

        deleted: dict[str, int] = {}
        tables = Base.metadata.tables
        for table_name in OWN_DATA:
            table = tables[table_name]
            result = await session.execute(delete(table).where(table.c.user_id == user_id))
            deleted[table_name] = _rowcount(result)
        deleted["outbox"] = await self._forget_outbox(user_id)

        if name:  # an owner written as the person's name, in an entry they wrote themselves: display names are not
            # unique, so "Anna" in someone else's entry may be another Anna
            items = tables["minutes_items"]
            await session.execute(
                update(items).where(items.c.owner == name, items.c.author == user_id).values(owner=pseudonym)
            )
        pseudonymized = await self._replace_everywhere(user_id, pseudonym)
        await self._reindex(pseudonym)
        return ForgetResult(pseudonym, deleted, pseudonymized, withdrawn, cancelled)

    async def _leave_open_requests(self, user_id: str, *, now: datetime) -> tuple[list[WithdrawnOffer], list[int]]:
        """Offers on requests not yet finished are withdrawn (the requester is told by the caller); the person's
        own open requests are cancelled, since nobody could reach them any more. History rows use the user id
        here and are pseudonymized with everything else."""
        session = self._session
        unfinished = _UNFINISHED
        offers = (
            await session.execute(
                select(SubstitutionOffer.id, SubstitutionOffer.state, SubstitutionRequest)
                .join(SubstitutionRequest, SubstitutionRequest.id == SubstitutionOffer.request_id)
                .where(
                    SubstitutionOffer.user_id == user_id,
                    SubstitutionOffer.state.in_(_LIVE_OFFERS),
                    SubstitutionRequest.state.in_(unfinished),
                )
                .order_by(SubstitutionOffer.id)
            )
        ).all()
        withdrawn: list[WithdrawnOffer] = []
        for offer_id, offer_state, request in offers:
            await session.execute(delete(SubstitutionOffer).where(SubstitutionOffer.id == offer_id))
            session.add(SubstitutionHistory(request_id=request.id, at=now, actor=user_id, action="withdrew"))
            reopened = False
            if offer_state == "accepted" and request.state == "filled":
                await session.execute(
                    update(SubstitutionRequest)
                    .where(SubstitutionRequest.id == request.id)
                    .values(state="open", updated_at=now)
                )
                session.add(SubstitutionHistory(request_id=request.id, at=now, actor=None, action="reopened"))
                reopened = True
            withdrawn.append(WithdrawnOffer(request.id, request.requester, reopened))
        own = list(
            await session.scalars(
                select(SubstitutionRequest.id).where(
                    SubstitutionRequest.requester == user_id, SubstitutionRequest.state.in_(unfinished)
                )
            )
        )
        if own:
            await session.execute(
                update(SubstitutionRequest)
                .where(SubstitutionRequest.id.in_(own))
                .values(state="cancelled", updated_at=now)
            )
            for request_id in own:
                session.add(SubstitutionHistory(request_id=request_id, at=now, actor=user_id, action="cancelled"))
        await session.flush()
        return [w for w in withdrawn if w.requester != user_id], own

    async def _forget_outbox(self, user_id: str) -> int:
        """Direct messages to the person go (sent or not: the chat is gone with them); sent messages to rooms
        that name them, in their content or a file, too: they are only kept to answer a command delivered again."""
        session = self._session
        result = await session.execute(delete(OutboxMessage).where(OutboxMessage.user_id == user_id))
        count = _rowcount(result)
        needle = user_id.encode()
        rows = (
            await session.execute(
                select(OutboxMessage.id, OutboxMessage.content, OutboxMessage.data).where(
                    OutboxMessage.sent_at.is_not(None) | OutboxMessage.given_up_at.is_not(None)
                )
            )
        ).all()
        stale = [
            row.id
            for row in rows
            if user_id in json.dumps(row.content, ensure_ascii=False) or (row.data is not None and needle in row.data)
        ]
        if stale:
            await session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(stale)))
        return count + len(stale)

    async def _replace_everywhere(self, user_id: str, pseudonym: str) -> dict[str, int]:
        """Every text column of every table: the id becomes the pseudonym, as a whole value (person columns) and
        as a mention in text, but not inside a longer id (`@anna:stadt.de` is not part of `@anna:stadt.dev`)."""
        session = self._session
        pattern = mention_pattern(user_id)
        changed: dict[str, int] = {}
        for table_name, table in Base.metadata.tables.items():
            if table_name == "outbox":
                continue  # handled by _forget_outbox; its JSON is not rewritten
            total = 0
            person_columns = PERSON_COLUMNS.get(table_name, ())
            for column in person_columns:
                col = table.c[column]
                total += _rowcount(
                    await session.execute(update(table).where(col == user_id).values({column: pseudonym}))
                )
            keys = list(table.primary_key.columns)
            for column in text_columns(table):
                if column in person_columns or column == "search_text":  # search_text: derived, see _reindex
                    continue
                col = table.c[column]
                rows = (await session.execute(select(*keys, col).where(col.contains(user_id, autoescape=True)))).all()
                for row in rows:
                    new = pattern.sub(pseudonym, row[-1])
                    if new != row[-1]:
                        where = [key == value for key, value in zip(keys, row[:-1], strict=True)]
                        await session.execute(update(table).where(*where).values({column: new}))
                        total += 1
            if total:
                changed[table_name] = total
        return changed

    async def _reindex(self, pseudonym: str) -> None:
        """Decisions whose text now names the pseudonym get their full-text entry anew (SQLite's FTS5 too)."""
        session = self._session
        rows = (
            await session.execute(
                select(Decision.id, Decision.text, Decision.tags, Decision.context_text, Decision.search_text).where(
                    Decision.text.contains(pseudonym, autoescape=True)
                    | Decision.context_text.contains(pseudonym, autoescape=True)
                    | Decision.tags.contains(pseudonym, autoescape=True)
                )
            )
        ).all()
        for row in rows:
            await self._index(row.id, row.search_text, row.text, row.tags, row.context_text)

    async def _index(self, decision_id: int, old: str, text: str, tags: str, context_text: str | None) -> None:
        """Keep a changed decision's `search_text` and (SQLite) its FTS5 entry in step, as storage.decisions does."""
        session = self._session
        new_text = decision_index_text(self._analyzer, text, tags.split("\n"), context_text)
        if new_text == old:
            return
        await session.execute(update(Decision).where(Decision.id == decision_id).values(search_text=new_text))
        if session.get_bind().dialect.name == "sqlite":
            await session.execute(
                sql_text(
                    f"INSERT INTO {DECISION_FTS}({DECISION_FTS}, rowid, search_text) VALUES ('delete', :id, :old)"
                ),
                {"id": decision_id, "old": old},
            )
            await session.execute(
                sql_text(f"INSERT INTO {DECISION_FTS}(rowid, search_text) VALUES (:id, :new)"),
                {"id": decision_id, "new": new_text},
            )

    async def _next_number(self) -> int:
        """Count the forgotten up by one in a single statement: two erasures at once (two bot processes on one
        PostgreSQL database) get different numbers, the second waiting for the first's row lock."""
        insert = dialect_insert(self._session, SyncState).values(key=FORGOTTEN_KEY, value="1")
        counted = cast(cast(SyncState.value, Integer) + 1, String)
        upsert = insert.on_conflict_do_update(index_elements=["key"], set_={"value": counted})
        return int(await self._session.scalar(upsert.returning(SyncState.value)) or 0)

    async def forgotten_count(self) -> int:
        return int(await self._session.scalar(select(SyncState.value).where(SyncState.key == FORGOTTEN_KEY)) or 0)

    # --- retention ----------------------------------------------------------------------------------------

    async def purge(self, before: PurgeCutoffs) -> dict[str, int]:
        """Delete (or blank) what is older than its kind's cutoff; returns rows touched per kind. Idempotent: a
        second run with the same cutoffs touches nothing. Decisions and minutes are never deleted here."""
        session = self._session
        done: dict[str, int] = {}
        finished = SubstitutionRequest.state.in_(("done", "expired", "cancelled"))
        old_requests = select(SubstitutionRequest.id).where(
            finished, SubstitutionRequest.updated_at < before.substitution_text
        )
        result = await session.execute(
            update(SubstitutionRequest)
            .where(SubstitutionRequest.id.in_(old_requests), SubstitutionRequest.what != "")
            .values(what="")
        )
        texts = _rowcount(result)
        result = await session.execute(
            update(SubstitutionOffer)
            .where(SubstitutionOffer.request_id.in_(old_requests), SubstitutionOffer.note.is_not(None))
            .values(note=None)
        )
        texts += _rowcount(result)
        result = await session.execute(
            update(SubstitutionHistory)
            .where(SubstitutionHistory.request_id.in_(old_requests), SubstitutionHistory.detail.is_not(None))
            .values(detail=None)
        )
        done["substitution_text"] = texts + _rowcount(result)
        done["personal_reminders"] = _rowcount(
            await session.execute(delete(PersonalReminder).where(PersonalReminder.due < before.personal_reminders))
        )
        done["saved_searches"] = _rowcount(
            await session.execute(delete(SavedQuery).where(SavedQuery.updated_at < before.saved_searches))
        )
        done["revoked_quotes"] = await self._drop_revoked_quotes(before.revoked_quotes)
        done["topic_activity"] = _rowcount(
            await session.execute(delete(TopicActivity).where(TopicActivity.at < before.topic_activity))
        )
        done["handled_commands"] = _rowcount(
            await session.execute(delete(HandledCommand).where(HandledCommand.handled_at < before.handled_commands))
        ) + _rowcount(
            await session.execute(
                delete(OutboxMessage).where(
                    OutboxMessage.created_at < before.handled_commands,
                    OutboxMessage.sent_at.is_not(None) | OutboxMessage.given_up_at.is_not(None),
                )
            )
        )
        done["ledger"] = _rowcount(
            await session.execute(
                delete(ReminderLedger).where(
                    ReminderLedger.status.in_(("sent", "missed")), ReminderLedger.claimed_at < before.ledger
                )
            )
        )
        if before.web is not None:
            done["web"] = await WebRepository(session).purge(now=before.web, idle=SESSION_IDLE)
        if before.records is not None:
            done["records"] = await self._drop_old_records(before.records)
        return done

    async def _drop_old_records(self, before: datetime) -> int:
        """Decisions, minutes entries and finished minutes sessions logged before `before`, for a network that
        configured a limit (but not the newest decision, nor open action items). What stays loses its links to what
        went (a newer decision's "supersedes", an entry's decision or session), since the foreign keys have no
        cascade; SQLite's FTS5 index needs each deleted row's old text ('delete' command of an external-content
        table)."""
        session = self._session
        # The newest decision stays, however old: SQLite gives a new row the highest id + 1, and a decision's number
        # is its id, so deleting the newest would hand its number ("Beschluss #12", quoted in city files) out again.
        newest = select(func.max(Decision.id)).scalar_subquery()
        old = select(Decision.id).where(Decision.created_at < before, Decision.id != newest).scalar_subquery()
        await session.execute(update(Decision).where(Decision.superseded_by.in_(old)).values(superseded_by=None))
        await session.execute(update(Decision).where(Decision.supersedes.in_(old)).values(supersedes=None))
        await session.execute(update(MinutesItem).where(MinutesItem.decision_id.in_(old)).values(decision_id=None))
        if session.get_bind().dialect.name == "sqlite":
            fts = sql_table(DECISION_FTS, sql_column(DECISION_FTS), sql_column("rowid"), sql_column("search_text"))
            rows = select(literal("delete"), Decision.id, Decision.search_text).where(Decision.id.in_(old))
            await session.execute(insert(fts).from_select([DECISION_FTS, "rowid", "search_text"], rows))
        # Children first: SQLite enforces ON DELETE CASCADE only with foreign_keys=ON, so don't rely on it.
        await session.execute(delete(DecisionTag).where(DecisionTag.decision_id.in_(old)))
        await session.execute(delete(DecisionAudit).where(DecisionAudit.decision_id.in_(old)))
        count = _rowcount(await session.execute(delete(Decision).where(Decision.id.in_(old))))
        # An action item still to be done stays, however old: it is someone's open task, not a record yet.
        still_open = (MinutesItem.kind == "action") & MinutesItem.done_at.is_(None) & MinutesItem.withdrawn_at.is_(None)
        count += _rowcount(
            await session.execute(delete(MinutesItem).where(MinutesItem.created_at < before, ~still_open))
        )
        ended = (
            select(MinutesSession.id)
            .where(MinutesSession.started_at < before, MinutesSession.ended_at.is_not(None))
            .scalar_subquery()
        )
        await session.execute(update(Decision).where(Decision.session_id.in_(ended)).values(session_id=None))
        await session.execute(update(MinutesItem).where(MinutesItem.session_id.in_(ended)).values(session_id=None))
        return count + _rowcount(await session.execute(delete(MinutesSession).where(MinutesSession.id.in_(ended))))

    async def _drop_revoked_quotes(self, before: datetime) -> int:
        """The copy of another person's message in a decision is needed while the decision is in force; once it was
        revoked long enough ago, the copy goes (the decision's own text and its audit trail stay)."""
        rows = (
            await self._session.execute(
                select(Decision.id, Decision.text, Decision.tags, Decision.search_text).where(
                    Decision.status == "revoked",
                    Decision.updated_at < before,
                    Decision.context_text.is_not(None) | Decision.context_sender.is_not(None),
                )
            )
        ).all()
        for row in rows:
            await self._session.execute(
                update(Decision).where(Decision.id == row.id).values(context_text=None, context_sender=None)
            )
            await self._index(row.id, row.search_text, row.text, row.tags, None)
        return len(rows)

    # --- report ---------------------------------------------------------------------------------------

    async def report(self, time_columns: Mapping[str, str]) -> list[KindReport]:
        """Rows per table, with the oldest and newest of the time column named for it (for `privacy report`)."""
        reports = []
        for table_name, table in Base.metadata.tables.items():
            column = time_columns.get(table_name)
            if column is None:
                count = await self._session.scalar(select(func.count()).select_from(table))
                reports.append(KindReport(table_name, int(count or 0), None, None))
                continue
            col = table.c[column]
            row = (await self._session.execute(select(func.count(), func.min(col), func.max(col)))).one()
            reports.append(KindReport(table_name, int(row[0] or 0), _instant(row[1]), _instant(row[2])))
        return reports


def _instant(value: Any) -> datetime | None:
    """min()/max() bypass the column type on SQLite (naive UTC text comes back): read it as the column would."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
