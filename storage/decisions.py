"""Repositories for the decision log and meeting minutes.

Decisions are a record: no row is ever deleted and a decision's text never changes. A correction is a new
decision that supersedes the old one, a withdrawal a revocation; both leave an audit row. The message a
decision replied to is copied when it is logged, so editing or redacting that message later changes only
`context_state` (and the audit trail), never what the decision says.

Full text (`storage.fulltext`): `decisions.search_text` holds `decision_index_text(...)` of the text, tags and
replied-to text, made by the database's one `Analyzer`. On SQLite the FTS5 table `decision_fts` indexes it
(external content: the text is stored once, in `decisions`; with an index of 3-letter prefixes); `add` inserts
the index entry in the same transaction as the row, and nothing else needs to, because search_text changes only
in `rebuild_index_if_stale()`. On PostgreSQL the stored generated column `search_vector` holds its tsvector, with
a GIN index (storage.models.POSTGRESQL_ONLY), and the database keeps both current. Queries come from
`fts5_match`/`pg_tsquery`, so nothing a user types can become an operator. When the index format
(`INDEX_VERSION`) or the analysis (`Analyzer.fingerprint`: library versions, rules, the configured synonyms)
changes, `rebuild_index_if_stale()` recomputes what differs.

A text search ranks its hits (`storage.fulltext.rank`: the word itself, another form, a compound part, a word
start; then by date) when there are at most `RANK_LIMIT`; with more it counts no further and lists them by date
(`SearchPage.capped`), so a search for a word in half the log costs no more than one for a rare word.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Integer,
    Row,
    Select,
    Text,
    case,
    cast,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
    true,
    update,
)
from sqlalchemy import text as sql_text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import ScalarSelect

from storage.analysis import Analyzer, Term
from storage.fulltext import INDEX_VERSION, fts5_match, index_text, pg_tsquery, rank, search_terms
from storage.models import (
    DECISION_FTS,
    Decision,
    DecisionAudit,
    DecisionTag,
    MinutesItem,
    MinutesSession,
    SyncState,
    decision_search_vector,
    ensure_utc,
)
from storage.sql import check_length
from storage.sql import dialect_insert as _insert
from storage.text import fold

MAX_TEXT = 5000
MAX_TITLE = 200
MAX_REASON = 1000
MAX_TAG = 128
MAX_USER = 255
DECISION_STATUSES = ("active", "superseded", "revoked")
CONTEXT_STATES = ("edited", "redacted")
ITEM_KINDS = ("info", "decision", "action")
ACTION_NUMBER_KEY = "minutes.action_number"
"""sync_state key: the highest action item number given out (`MinutesRepository.add_item`)."""
INDEX_VERSION_KEY = "decisions.index_version"
"""sync_state key: the `INDEX_VERSION` and analyzer fingerprint that `search_text` (and SQLite's FTS5 index) were
built with, as `index_version()` writes them."""
RANK_LIMIT = 1000
"""A text search ranks and counts at most this many hits; beyond that it lists the newest (or oldest) first and
says there are more (`SearchPage.capped`)."""

_FTS = table(DECISION_FTS, column("rowid", Integer))
_REINDEX_CHUNK = 1000
_PROBE_ABOVE = 2000
"""SQLite: with more full-text hits (or decisions with a tag) than this, a date index leads and probes them (see
`_text_condition`)."""


def _fts_match(query: str) -> ColumnElement[bool]:
    return literal_column(DECISION_FTS).op("MATCH", is_comparison=True)(query)


_FTS_HITS = select(_FTS.c.rowid)
_WITH_TEXT = (Decision.id, Decision.search_text)


def _at_most(hits: Select[Any]) -> ScalarSelect[int]:
    """How many rows `hits` has, counting no further than `_PROBE_ABOVE + 1` (SQLite's plan needs no more)."""
    return select(func.count()).select_from(hits.limit(_PROBE_ABOVE + 1).subquery()).scalar_subquery()


def decision_index_text(analyzer: Analyzer, text: str, tags: Sequence[str], context_text: str | None) -> str:
    """What `decisions.search_text` holds and the full-text index is built from (bulk loads use it too)."""
    return index_text(analyzer, "\n".join([text, *tags, context_text or ""]))


def index_version(analyzer: Analyzer) -> str:
    """What `INDEX_VERSION_KEY` holds for an index built by `analyzer` in the current format."""
    return f"{INDEX_VERSION} {analyzer.fingerprint}"


@dataclass(frozen=True)
class DecisionRecord:
    id: int
    room_id: str
    group: str | None
    author: str
    text: str
    tags: tuple[str, ...]  # labels as entered, without '#'
    event_id: str | None  # the command's event
    permalink: str | None
    context_sender: str | None  # the replied-to message, as copied when the decision was logged
    context_text: str | None
    context_event_id: str | None
    context_state: str | None  # None (no context), 'kept', 'edited', 'redacted'
    session_id: int | None  # the minutes it was logged in
    status: str  # 'active' | 'superseded' | 'revoked'
    superseded_by: int | None
    supersedes: int | None
    note: str | None  # why it was revoked, or a remark on superseding
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class AuditRecord:
    at: datetime
    actor: str | None  # None: the bot
    action: str
    detail: str | None


@dataclass(frozen=True)
class SearchPage:
    decisions: list[DecisionRecord]
    total: int  # all matches, not only this page; `RANK_LIMIT` when capped
    capped: bool = False  # a text search with more than `RANK_LIMIT` matches: not counted further, not ranked


_DECISION_COLUMNS = (
    Decision.id,
    Decision.room_id,
    Decision.group_name,
    Decision.author,
    Decision.text,
    Decision.tags,
    Decision.event_id,
    Decision.permalink,
    Decision.context_sender,
    Decision.context_text,
    Decision.context_event_id,
    Decision.context_state,
    Decision.session_id,
    Decision.status,
    Decision.superseded_by,
    Decision.supersedes,
    Decision.note,
    Decision.created_at,
    Decision.updated_at,
)


def _decision(row: Row[*tuple[Any, ...]]) -> DecisionRecord:
    return DecisionRecord(
        id=row.id,
        room_id=row.room_id,
        group=row.group_name,
        author=row.author,
        text=row.text,
        tags=tuple(tag for tag in row.tags.split("\n") if tag),
        event_id=row.event_id,
        permalink=row.permalink,
        context_sender=row.context_sender,
        context_text=row.context_text,
        context_event_id=row.context_event_id,
        context_state=row.context_state,
        session_id=row.session_id,
        status=row.status,
        superseded_by=row.superseded_by,
        supersedes=row.supersedes,
        note=row.note,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _clean_tags(tags: Sequence[str]) -> tuple[list[str], list[str]]:
    """Labels without '#' (first spelling of each), and their folded keys."""
    labels: list[str] = []
    keys: list[str] = []
    for tag in tags:
        label = tag.strip().lstrip("#").strip()
        key = fold(label)
        if not label or "\n" in label:
            raise ValueError(f"a tag is one non-empty line, not {len(tag)} characters with line breaks or none")
        check_length("tag", label, MAX_TAG)
        if key in keys:
            continue
        labels.append(label)
        keys.append(key)
    # A label of only non-Latin letters folds to nothing: shown with the decision, not searchable as a tag.
    return labels, [key for key in keys if key]


class DecisionRepository:
    def __init__(self, session: AsyncSession, analyzer: Analyzer) -> None:
        self._session = session
        self._analyzer = analyzer

    @property
    def _dialect(self) -> str:
        return self._session.get_bind().dialect.name

    async def add(
        self,
        *,
        room_id: str,
        group: str | None,
        author: str,
        text: str,
        tags: Sequence[str],
        now: datetime,
        event_id: str | None = None,
        permalink: str | None = None,
        context_sender: str | None = None,
        context_text: str | None = None,
        context_event_id: str | None = None,
        session_id: int | None = None,
    ) -> DecisionRecord:
        """Log a decision, with its audit row ('created') and its full-text entry, in this transaction."""
        check_length("text", text, MAX_TEXT)
        if not text.strip():
            raise ValueError("a decision needs a text")
        labels, keys = _clean_tags(tags)
        now = ensure_utc(now, "now")
        has_context = context_text is not None or context_event_id is not None
        search_text = decision_index_text(self._analyzer, text, labels, context_text)
        row = (
            await self._session.execute(
                _insert(self._session, Decision)
                .values(
                    room_id=room_id,
                    group_name=group,
                    author=author,
                    text=text,
                    tags="\n".join(labels),
                    event_id=event_id,
                    permalink=permalink,
                    context_sender=context_sender,
                    context_text=context_text,
                    context_event_id=context_event_id,
                    context_state="kept" if has_context else None,
                    session_id=session_id,
                    status="active",
                    search_text=search_text,
                    created_at=now,
                    updated_at=now,
                )
                .returning(*_DECISION_COLUMNS)
            )
        ).one()
        if keys:
            await self._session.execute(
                _insert(self._session, DecisionTag).values([{"key": key, "decision_id": row.id} for key in keys])
            )
        if self._dialect == "sqlite":
            await self._session.execute(
                sql_text(f"INSERT INTO {DECISION_FTS}(rowid, search_text) VALUES (:id, :body)"),
                {"id": row.id, "body": search_text},
            )
        await self._audit(row.id, at=now, actor=author, action="created")
        return _decision(row)

    async def get(self, decision_id: int, *, lock: bool = False) -> DecisionRecord | None:
        """`lock=True` holds the row until the unit of work ends (PostgreSQL; SQLite serializes writers)."""
        stmt = select(*_DECISION_COLUMNS).where(Decision.id == decision_id)
        if lock:
            stmt = stmt.with_for_update()
        row = (await self._session.execute(stmt)).one_or_none()
        return None if row is None else _decision(row)

    async def supersede(self, old_id: int, *, new_id: int, actor: str, now: datetime, note: str | None = None) -> None:
        """`old_id` no longer holds, `new_id` replaces it. Only an active decision can be superseded
        (ValueError otherwise, LookupError if either is missing); read it with `get(lock=True)` first to
        answer a user politely."""
        if note is not None:
            check_length("note", note, MAX_REASON)
        if old_id == new_id:
            raise ValueError("a decision cannot supersede itself")
        now = ensure_utc(now, "now")
        if await self.get(new_id) is None:
            raise LookupError(f"no decision #{new_id}")
        await self._change_status(
            old_id, now=now, values={"status": "superseded", "superseded_by": new_id, "note": note}
        )
        await self._session.execute(
            update(Decision).where(Decision.id == new_id).values(supersedes=old_id, updated_at=now)
        )
        await self._audit(old_id, at=now, actor=actor, action="superseded", detail=_joined(f"#{new_id}", note))
        await self._audit(new_id, at=now, actor=actor, action="supersedes", detail=f"#{old_id}")

    async def revoke(self, decision_id: int, *, actor: str, reason: str, now: datetime) -> None:
        """The decision no longer holds and nothing replaces it. Only an active one (ValueError otherwise)."""
        check_length("reason", reason, MAX_REASON)
        now = ensure_utc(now, "now")
        await self._change_status(decision_id, now=now, values={"status": "revoked", "note": reason})
        await self._audit(decision_id, at=now, actor=actor, action="revoked", detail=reason)

    async def _change_status(self, decision_id: int, *, now: datetime, values: dict[str, Any]) -> None:
        # Conditional on the status, so two concurrent changes cannot both apply.
        changed = await self._session.scalar(
            update(Decision)
            .where(Decision.id == decision_id, Decision.status == "active")
            .values(updated_at=now, **values)
            .returning(Decision.id)
        )
        if changed is None:
            current = await self.get(decision_id)
            if current is None:
                raise LookupError(f"no decision #{decision_id}")
            raise ValueError(f"decision #{decision_id} is {current.status}, not active")

    async def audit(self, decision_id: int) -> list[AuditRecord]:
        """The decision's history, oldest first."""
        rows = await self._session.execute(
            select(DecisionAudit.at, DecisionAudit.actor, DecisionAudit.action, DecisionAudit.detail)
            .where(DecisionAudit.decision_id == decision_id)
            .order_by(DecisionAudit.at, DecisionAudit.id)
        )
        return [AuditRecord(row.at, row.actor, row.action, row.detail) for row in rows]

    async def by_context_event(self, event_id: str) -> list[int]:
        """Decisions that quote this message (an edit or redaction of it concerns them)."""
        rows = await self._session.scalars(
            select(Decision.id).where(Decision.context_event_id == event_id).order_by(Decision.id)
        )
        return list(rows)

    async def mark_context(self, event_id: str, *, state: str, now: datetime, new_text: str | None = None) -> list[int]:
        """The quoted message was edited or redacted. Our copy stays as it was, so the decision still reads
        as decided; an edit's new text goes into the audit trail only. A redaction is final: a later edit
        (or the same redaction seen twice) does not change the state again. Returns the decisions changed."""
        if state not in CONTEXT_STATES:
            raise ValueError(f"state must be one of {CONTEXT_STATES}, not {state!r}")
        now = ensure_utc(now, "now")
        ids = list(
            await self._session.scalars(
                select(Decision.id)
                .where(
                    Decision.context_event_id == event_id,
                    Decision.context_state.is_distinct_from("redacted"),
                )
                .order_by(Decision.id)
            )
        )
        if not ids:
            return []
        await self._session.execute(
            update(Decision).where(Decision.id.in_(ids)).values(context_state=state, updated_at=now)
        )
        detail = new_text if state == "edited" else None
        for decision_id in ids:
            await self._audit(decision_id, at=now, actor=None, action=f"context_{state}", detail=detail)
        return ids

    async def search(
        self,
        *,
        words: Sequence[str] = (),
        groups: Sequence[str] | None = None,
        room_id: str | None = None,
        or_rooms: Sequence[str] = (),
        since: datetime | None = None,
        until: datetime | None = None,
        tags: Sequence[str] = (),
        author: str | None = None,
        status: str = "active",
        ids: Sequence[int] = (),
        limit: int | None = 20,
        offset: int = 0,
        newest_first: bool = True,
    ) -> SearchPage:
        """Decisions matching every given filter, one page of them and the number of all.

        `groups` None means any group (an empty list: none), and with `or_rooms` also the decisions of those rooms
        (the web pages: every group and room a person is in); `since <= created_at < until`; `tags` are
        folded keys, all required; `words` go through the full-text index (words with nothing searchable
        in them, like "***", match nothing); `status` 'all' means any status; `ids` any of them.
        Newest first (`newest_first=False`: oldest first); a page of a text search has the best matches first
        and counts at most `RANK_LIMIT` (see the module). `limit=None` returns all, by date (exports)."""
        if status not in (*DECISION_STATUSES, "all"):
            raise ValueError(f"status must be one of {(*DECISION_STATUSES, 'all')}, not {status!r}")
        if offset < 0 or (limit is not None and limit < 0):
            raise ValueError("limit and offset must not be negative")
        conditions: list[ColumnElement[bool]] = []
        if groups is not None and or_rooms:
            conditions.append(or_(Decision.group_name.in_(list(groups)), Decision.room_id.in_(list(or_rooms))))
        elif groups is not None:
            conditions.append(Decision.group_name.in_(list(groups)))
        if room_id is not None:
            conditions.append(Decision.room_id == room_id)
        if since is not None:
            conditions.append(Decision.created_at >= ensure_utc(since, "since"))
        if until is not None:
            conditions.append(Decision.created_at < ensure_utc(until, "until"))
        for key in dict.fromkeys(tags):
            conditions.append(await self._tag_condition(key))
        if author is not None:
            conditions.append(Decision.author == author)
        if status != "all":
            conditions.append(Decision.status == status)
        if ids:
            conditions.append(Decision.id.in_(list(ids)))
        terms = search_terms(self._analyzer, words)
        many_hits = False
        if words:
            matches, many_hits = await self._text_condition(terms)
            if matches is None:
                return SearchPage([], 0)
            conditions.append(matches)

        if newest_first:
            order = (Decision.created_at.desc(), Decision.id.desc())
        else:
            order = (Decision.created_at.asc(), Decision.id.asc())
        if limit is None:
            rows = (
                await self._session.execute(
                    select(*_DECISION_COLUMNS).where(*conditions).order_by(*order).offset(offset)
                )
            ).all()
            total = offset + len(rows) if rows or not offset else await self._count(conditions)
            return SearchPage([_decision(row) for row in rows], total)
        capped = False
        if words:
            page, total, capped = await self._page_of_text_hits(
                conditions, order, terms, limit, offset, read_texts=limit > 0 and not many_hits
            )
        else:
            # No text: the (…, created_at, status) indexes give the page in order, and the count from the
            # index alone; a window over everything would sort the whole log for one page.
            page = list(
                await self._session.scalars(
                    select(Decision.id).where(*conditions).order_by(*order).limit(limit).offset(offset)
                )
            )
            seen_the_end = 0 < len(page) < limit or (not page and not offset and limit > 0)
            total = offset + len(page) if seen_the_end else await self._count(conditions)
        if not page:
            return SearchPage([], total, capped)
        found = {
            row.id: _decision(row)
            for row in await self._session.execute(select(*_DECISION_COLUMNS).where(Decision.id.in_(page)))
        }
        return SearchPage([found[decision_id] for decision_id in page], total, capped)

    async def _page_of_text_hits(
        self,
        conditions: Sequence[ColumnElement[bool]],
        order: Sequence[ColumnElement[Any]],
        terms: Sequence[Term],
        limit: int,
        offset: int,
        *,
        read_texts: bool,
    ) -> tuple[list[int], int, bool]:
        """The page's ids, the count of all hits (at most `RANK_LIMIT`) and whether there are more.

        The first `RANK_LIMIT + 1` hits by date: if that is all of them, they are ranked here by their index
        texts (`storage.fulltext.rank`; the sort is stable, so the date order stays within a rank) and the page
        is cut from them. If not, they are too many to rank and the page is the date order's. Either way the
        database reads no more than `RANK_LIMIT + 1` hits, and it can stop early: with many hits it walks a date
        index and tests each row (SQLite: see `_text_condition`; PostgreSQL plans that itself, and the stored
        tsvector makes each test cheap). `read_texts`:
        read the texts with the hits, as is cheap when their rows are read anyway (not for a walk that SQLite
        answers from the date index alone: then they are read afterwards, if the hits are few enough to rank)."""
        columns = _WITH_TEXT if read_texts else _WITH_TEXT[:1]
        rows = (
            await self._session.execute(select(*columns).where(*conditions).order_by(*order).limit(RANK_LIMIT + 1))
        ).all()
        ids = [row.id for row in rows]
        if len(ids) > RANK_LIMIT:
            if offset + limit <= len(ids):
                return ids[offset : offset + limit], RANK_LIMIT, True
            stmt = select(Decision.id).where(*conditions).order_by(*order).limit(limit).offset(offset)
            return list(await self._session.scalars(stmt)), RANK_LIMIT, True
        if limit and len(ids) > 1:
            if not read_texts:
                rows = (await self._session.execute(select(*_WITH_TEXT).where(Decision.id.in_(ids)))).all()
            texts: dict[int, str] = {row.id: row.search_text for row in rows}
            ids.sort(key=lambda decision_id: rank(terms, texts[decision_id]))
        return ids[offset : offset + limit], len(ids), False

    async def _text_condition(self, terms: Sequence[Term]) -> tuple[ColumnElement[bool] | None, bool]:
        """The full-text condition (None if nothing can match), and whether SQLite is to probe it (many hits).
        The text is only ever matched in the index.

        SQLite: `id IN (FTS5 hits)`, which drives the query through the rowid: right for a few hits. For many,
        reading a date index in order (that of the group, room or author filter if there is one) and stopping
        after `RANK_LIMIT + 1` is cheaper than fetching and sorting every hit's row: then the condition is
        written `id + 0 IN (…)`, which SQLite cannot use to drive (its documented way to disqualify an index), so
        a date index leads and the hits become a set it probes. SQLite's planner cannot know how many hits there
        are; FTS5 tells us, counting to `_PROBE_ABOVE + 1`: the hits of the words and stems alone (one list each,
        cheap), and only if those are few, with the word starts (a prefix merges the lists of every word it
        begins, which costs the more the more words there are)."""
        if self._dialect == "sqlite":
            query = fts5_match(terms)
            exact = fts5_match(terms, prefixes=False)
            if query is None or exact is None:
                return None, False
            match = _fts_match(query)
            found = await self._session.scalar(
                select(
                    case(
                        (_at_most(_FTS_HITS.where(_fts_match(exact))) > _PROBE_ABOVE, _PROBE_ABOVE + 1),
                        else_=_at_most(_FTS_HITS.where(match)),
                    )
                )
            )
            if not found:
                return None, False
            many = found > _PROBE_ABOVE
            key = Decision.id + literal_column("0") if many else Decision.id
            return key.in_(select(_FTS.c.rowid).where(match)), many
        tsquery_text = pg_tsquery(terms)
        if tsquery_text is None:
            return None, False
        # The statement is prepared (asyncpg); after five runs PostgreSQL may keep a generic plan, made without
        # the tsquery: it guesses a few hits, and a word in half the log then costs 100 ms instead of 5. Plans
        # made for the words at hand walk a date index for many hits and use the GIN index for few.
        await self._session.execute(sql_text("SET LOCAL plan_cache_mode = force_custom_plan"))
        tsquery = func.to_tsquery(sql_text("'simple'::regconfig"), tsquery_text)
        condition: ColumnElement[bool] = decision_search_vector().op("@@", is_comparison=True)(tsquery)
        return condition, False

    async def _tag_condition(self, key: str) -> ColumnElement[bool]:
        """Decisions with the tag. SQLite: like the full-text hits (`_text_condition`), a common tag is a set to
        probe, not a list to drive the query: "#Pflicht" may be on thousands of decisions, of which a group and a
        date filter leave a few hundred."""
        tagged = select(DecisionTag.decision_id).where(DecisionTag.key == key)
        if self._dialect == "sqlite" and (await self._session.scalar(select(_at_most(tagged))) or 0) > _PROBE_ABOVE:
            return (Decision.id + literal_column("0")).in_(tagged)
        return Decision.id.in_(tagged)

    async def _count(self, conditions: Sequence[ColumnElement[bool]]) -> int:
        total = await self._session.scalar(select(func.count()).select_from(Decision).where(*conditions))
        return int(total or 0)

    async def count_by_group(self, *, since: datetime, until: datetime) -> dict[str | None, int]:
        """Decisions logged in [since, until) per group, whatever their status now."""
        rows = await self._session.execute(
            select(Decision.group_name, func.count())
            .where(
                Decision.created_at >= ensure_utc(since, "since"),
                Decision.created_at < ensure_utc(until, "until"),
            )
            .group_by(Decision.group_name)
        )
        return {group: int(count) for group, count in rows}

    async def rebuild_index_if_stale(self) -> bool:
        """Recompute `search_text` (and SQLite's FTS5 index from it) if the index format or the analysis changed
        since it was built, i.e. `index_version()` differs from the stored one: after an upgrade of the bot or of
        its libraries, or when the configured synonyms change. For the bot's start; True if it checked every
        decision. Only texts that come out different are written. Cheap when current: one key lookup."""
        version = index_version(self._analyzer)
        stored = await self._session.scalar(select(SyncState.value).where(SyncState.key == INDEX_VERSION_KEY))
        if stored == version:
            return False
        last_id = 0
        changed = 0
        while True:
            rows = (
                await self._session.execute(
                    select(Decision.id, Decision.text, Decision.tags, Decision.context_text, Decision.search_text)
                    .where(Decision.id > last_id)
                    .order_by(Decision.id)
                    .limit(_REINDEX_CHUNK)
                )
            ).all()
            if not rows:
                break
            updates = []
            for row in rows:
                new_text = decision_index_text(self._analyzer, row.text, row.tags.split("\n"), row.context_text)
                if new_text != row.search_text:
                    updates.append({"id": row.id, "search_text": new_text})
            if updates:
                await self._session.execute(update(Decision), updates)
                changed += len(updates)
            last_id = rows[-1].id
        if self._dialect == "sqlite" and changed:
            await self._session.execute(sql_text(f"INSERT INTO {DECISION_FTS}({DECISION_FTS}) VALUES ('rebuild')"))
        insert = _insert(self._session, SyncState).values(key=INDEX_VERSION_KEY, value=version)
        await self._session.execute(
            insert.on_conflict_do_update(index_elements=["key"], set_={"value": insert.excluded.value})
        )
        return True

    async def _audit(
        self, decision_id: int, *, at: datetime, actor: str | None, action: str, detail: str | None = None
    ) -> None:
        await self._session.execute(
            _insert(self._session, DecisionAudit).values(
                decision_id=decision_id, at=at, actor=actor, action=action, detail=detail
            )
        )


def _joined(first: str, second: str | None) -> str:
    return f"{first}: {second}" if second else first


# --- minutes -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionRecord:
    id: int
    room_id: str
    group: str | None
    title: str
    started_by: str
    started_at: datetime
    ended_at: datetime | None  # None while the minutes are being taken


@dataclass(frozen=True)
class ItemRecord:
    id: int  # the row; shared by infos, decision entries and action items
    number: int | None  # an action item's number, as people see it ("Aufgabe #3"); None for other kinds
    session_id: int | None  # None: an action item given outside minutes (`!aufgabe`)
    room_id: str
    group: str | None
    kind: str  # 'info' | 'decision' | 'action'
    text: str
    author: str
    created_at: datetime
    owner: str | None
    due: date | None
    decision_id: int | None
    withdrawn_at: datetime | None  # "rückgängig": kept, but hidden everywhere
    done_at: datetime | None
    done_by: str | None


_SESSION_COLUMNS = (
    MinutesSession.id,
    MinutesSession.room_id,
    MinutesSession.group_name,
    MinutesSession.title,
    MinutesSession.started_by,
    MinutesSession.started_at,
    MinutesSession.ended_at,
)
_ITEM_COLUMNS = (
    MinutesItem.id,
    MinutesItem.number,
    MinutesItem.session_id,
    MinutesItem.room_id,
    MinutesItem.group_name,
    MinutesItem.kind,
    MinutesItem.text,
    MinutesItem.author,
    MinutesItem.created_at,
    MinutesItem.owner,
    MinutesItem.due,
    MinutesItem.decision_id,
    MinutesItem.withdrawn_at,
    MinutesItem.done_at,
    MinutesItem.done_by,
)


def _session(row: Row[*tuple[Any, ...]]) -> SessionRecord:
    return SessionRecord(row.id, row.room_id, row.group_name, row.title, row.started_by, row.started_at, row.ended_at)


def _item(row: Row[*tuple[Any, ...]]) -> ItemRecord:
    return ItemRecord(
        id=row.id,
        number=row.number,
        session_id=row.session_id,
        room_id=row.room_id,
        group=row.group_name,
        kind=row.kind,
        text=row.text,
        author=row.author,
        created_at=row.created_at,
        owner=row.owner,
        due=row.due,
        decision_id=row.decision_id,
        withdrawn_at=row.withdrawn_at,
        done_at=row.done_at,
        done_by=row.done_by,
    )


# Spelled exactly like the partial index ix_minutes_items_open_due, so the planner can use it.
_OPEN_ACTION = (
    MinutesItem.kind == "action",
    MinutesItem.done_at.is_(None),
    MinutesItem.withdrawn_at.is_(None),
)


class MinutesRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def start(
        self, *, room_id: str, group: str | None, title: str, started_by: str, now: datetime
    ) -> SessionRecord | None:
        """Open minutes in a room; None if the room has open minutes already. A partial unique index
        (one open session per room) decides, so of two concurrent starts exactly one wins."""
        check_length("title", title, MAX_TITLE)
        row = (
            await self._session.execute(
                _insert(self._session, MinutesSession)
                .values(
                    room_id=room_id,
                    group_name=group,
                    title=title,
                    started_by=started_by,
                    started_at=ensure_utc(now, "now"),
                )
                .on_conflict_do_nothing()
                .returning(*_SESSION_COLUMNS)
            )
        ).one_or_none()
        return None if row is None else _session(row)

    async def open_session(self, room_id: str) -> SessionRecord | None:
        row = (
            await self._session.execute(
                select(*_SESSION_COLUMNS).where(MinutesSession.room_id == room_id, MinutesSession.ended_at.is_(None))
            )
        ).one_or_none()
        return None if row is None else _session(row)

    async def get_session(self, session_id: int) -> SessionRecord | None:
        row = (
            await self._session.execute(select(*_SESSION_COLUMNS).where(MinutesSession.id == session_id))
        ).one_or_none()
        return None if row is None else _session(row)

    async def end(self, session_id: int, *, now: datetime) -> SessionRecord:
        """Close the minutes; ending them twice keeps the first end. LookupError if there is no such session."""
        await self._session.execute(
            update(MinutesSession)
            .where(MinutesSession.id == session_id, MinutesSession.ended_at.is_(None))
            .values(ended_at=ensure_utc(now, "now"))
        )
        ended = await self.get_session(session_id)
        if ended is None:
            raise LookupError(f"no minutes session {session_id}")
        return ended

    async def add_item(
        self,
        *,
        room_id: str,
        group: str | None,
        kind: str,
        text: str,
        author: str,
        now: datetime,
        session_id: int | None = None,
        owner: str | None = None,
        due: date | None = None,
        decision_id: int | None = None,
    ) -> ItemRecord:
        if kind not in ITEM_KINDS:
            raise ValueError(f"kind must be one of {ITEM_KINDS}, not {kind!r}")
        check_length("text", text, MAX_TEXT)
        if owner is not None:
            check_length("owner", owner, MAX_USER)
        if isinstance(due, datetime):  # a datetime is a date too; a due day has no time or zone
            raise TypeError("due is a date, not a datetime")
        number = await self._next_action_number() if kind == "action" else None
        row = (
            await self._session.execute(
                _insert(self._session, MinutesItem)
                .values(
                    number=number,
                    session_id=session_id,
                    room_id=room_id,
                    group_name=group,
                    kind=kind,
                    text=text,
                    author=author,
                    created_at=ensure_utc(now, "now"),
                    owner=owner,
                    due=due,
                    decision_id=decision_id,
                )
                .returning(*_ITEM_COLUMNS)
            )
        ).one()
        return _item(row)

    async def _next_action_number(self) -> int:
        """The next action item number: a counter row, incremented in place, so two items added at once (on
        PostgreSQL) wait for each other instead of taking the same number. Where the counter is missing it starts
        after the highest number there is."""
        highest = select(func.coalesce(func.max(MinutesItem.number), 0) + 1).where(MinutesItem.kind == "action")
        insert = _insert(self._session, SyncState).values(
            key=ACTION_NUMBER_KEY, value=cast(highest.scalar_subquery(), Text())
        )
        value = await self._session.scalar(
            insert.on_conflict_do_update(
                index_elements=["key"], set_={"value": cast(cast(SyncState.value, Integer) + 1, Text())}
            ).returning(SyncState.value)
        )
        return int(value or 0)

    async def undo_last(self, session_id: int, *, now: datetime, author: str | None = None) -> ItemRecord | None:
        """Withdraw the newest entry still shown (of `author`, if given); None if there is none. Withdrawing a
        decision entry does not revoke the decision: the caller decides that (the entry keeps `decision_id`)."""
        # Lock the session first, so two concurrent undos withdraw two entries, not the same one twice.
        await self._session.execute(select(MinutesSession.id).where(MinutesSession.id == session_id).with_for_update())
        newest = await self._session.scalar(
            select(MinutesItem.id)
            .where(MinutesItem.session_id == session_id, MinutesItem.withdrawn_at.is_(None))
            .where(MinutesItem.author == author if author is not None else true())
            .order_by(MinutesItem.created_at.desc(), MinutesItem.id.desc())
            .limit(1)
        )
        if newest is None:
            return None
        row = (
            await self._session.execute(
                update(MinutesItem)
                .where(MinutesItem.id == newest)
                .values(withdrawn_at=ensure_utc(now, "now"))
                .returning(*_ITEM_COLUMNS)
            )
        ).one()
        return _item(row)

    async def items(self, session_id: int) -> list[ItemRecord]:
        """The session's entries still shown, oldest first."""
        rows = await self._session.execute(
            select(*_ITEM_COLUMNS)
            .where(MinutesItem.session_id == session_id, MinutesItem.withdrawn_at.is_(None))
            .order_by(MinutesItem.created_at, MinutesItem.id)
        )
        return [_item(row) for row in rows]

    async def get_item(self, item_id: int) -> ItemRecord | None:
        row = (await self._session.execute(select(*_ITEM_COLUMNS).where(MinutesItem.id == item_id))).one_or_none()
        return None if row is None else _item(row)

    async def get_action(self, number: int) -> ItemRecord | None:
        """The action item people know as "Aufgabe #`number`" (done or taken back ones too)."""
        row = (
            await self._session.execute(
                select(*_ITEM_COLUMNS).where(MinutesItem.kind == "action", MinutesItem.number == number)
            )
        ).one_or_none()
        return None if row is None else _item(row)

    async def open_actions(
        self, *, room_id: str | None = None, groups: Sequence[str] | None = None, owner: str | None = None
    ) -> list[ItemRecord]:
        """Action items not done and not withdrawn: soonest due first, those without a due day last."""
        stmt = select(*_ITEM_COLUMNS).where(*_OPEN_ACTION)
        if room_id is not None:
            stmt = stmt.where(MinutesItem.room_id == room_id)
        if groups is not None:
            stmt = stmt.where(MinutesItem.group_name.in_(list(groups)))
        if owner is not None:
            stmt = stmt.where(MinutesItem.owner == owner)
        stmt = stmt.order_by(MinutesItem.due.is_(None), MinutesItem.due, MinutesItem.created_at, MinutesItem.id)
        return [_item(row) for row in await self._session.execute(stmt)]

    async def due_actions(self, *, until: date) -> list[ItemRecord]:
        """Open action items due on or before `until` (overdue ones too), soonest first: for the scheduler."""
        rows = await self._session.execute(
            select(*_ITEM_COLUMNS)
            .where(*_OPEN_ACTION, MinutesItem.due <= until)
            .order_by(MinutesItem.due, MinutesItem.created_at, MinutesItem.id)
        )
        return [_item(row) for row in rows]

    async def complete(self, item_id: int, *, by: str, now: datetime) -> bool:
        """Mark an open action item done; False if it is done already (or withdrawn, or no action item)."""
        done = await self._session.scalar(
            update(MinutesItem)
            .where(MinutesItem.id == item_id, *_OPEN_ACTION)
            .values(done_at=ensure_utc(now, "now"), done_by=by)
            .returning(MinutesItem.id)
        )
        return done is not None

    async def sessions(
        self, *, since: datetime, until: datetime, groups: Sequence[str] | None = None
    ) -> list[SessionRecord]:
        """Minutes started in [since, until), oldest first (open ones too)."""
        stmt = select(*_SESSION_COLUMNS).where(
            MinutesSession.started_at >= ensure_utc(since, "since"),
            MinutesSession.started_at < ensure_utc(until, "until"),
        )
        if groups is not None:
            stmt = stmt.where(MinutesSession.group_name.in_(list(groups)))
        rows = await self._session.execute(stmt.order_by(MinutesSession.started_at, MinutesSession.id))
        return [_session(row) for row in rows]
