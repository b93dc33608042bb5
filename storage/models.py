"""SQLAlchemy models: the schema the Alembic migrations must reproduce.

Relationships added later must use ``lazy="raise"``: every load is explicit in a repository, so an
async session never does hidden I/O.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    literal_column,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Deterministic constraint names: Alembic batch mode on SQLite can only drop/alter what has a name,
# and PostgreSQL and SQLite then agree on every name.
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def ensure_utc(value: datetime, what: str = "datetime") -> datetime:
    """Return `value` as an aware UTC datetime; a naive one is a bug (which zone was meant?)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An instant in time: aware datetimes in, aware UTC datetimes out, on every backend.

    PostgreSQL stores ``timestamptz``. SQLite has no time zone type, so the value is stored as naive UTC
    text in SQLAlchemy's fixed-width format; that keeps ordering and UNIQUE keys exact.
    """

    impl = DateTime
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(timezone=True)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        utc = ensure_utc(value)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # Every Mapped[datetime] is an instant; there is no place for naive local times in the database.
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class UserSettings(Base):
    """Per-person preferences; absent row or NULL column means "use the configured default"."""

    __tablename__ = "user_settings"

    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)  # Matrix user id
    language: Mapped[str | None] = mapped_column(String(8))
    timezone: Mapped[str | None] = mapped_column(String(64))  # IANA name, e.g. Europe/Berlin
    dm_room_id: Mapped[str | None] = mapped_column(String(255))  # the bot's direct chat with this person
    # Bookkeeping only, so the database clock is good enough (business times come from the injected Clock).
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class RoomSettings(Base):
    """Per-room preferences; absent row or NULL column means "use the configured default"."""

    __tablename__ = "room_settings"

    room_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    timezone: Mapped[str | None] = mapped_column(String(64))  # IANA name for the room's meetings
    # When the bot introduced itself here (or found itself already in the room): it does so once per room, also
    # across restarts, and never again when it is invited back.
    introduced_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class SyncState(Base):
    """Small key/value bot state, e.g. the Matrix sync ``next_batch`` token."""

    __tablename__ = "sync_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class LedgerStatus(StrEnum):
    CLAIMED = "claimed"  # about to be sent, or sent but not yet marked (crash): retry with the same txn_id
    SENT = "sent"
    MISSED = "missed"  # fell due while the bot was down, past the grace period; recorded, never sent


class ReminderLedger(Base):
    """Exactly-once ledger for scheduled messages: one row per (kind, ref, occurrence, offset)."""

    __tablename__ = "reminder_ledger"
    __table_args__ = (
        UniqueConstraint("kind", "ref_id", "occurrence", "offset_seconds"),
        CheckConstraint("status IN ('claimed', 'sent', 'missed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    ref_id: Mapped[int]
    occurrence: Mapped[datetime]
    offset_seconds: Mapped[int]
    # Indexed for `pending()`, which runs at every start.
    status: Mapped[str] = mapped_column(String(16), index=True)
    # Derived from the key (see repositories.txn_id_for); stored so a retry needs no recomputation and a
    # hash collision would fail loudly instead of silently deduplicating two messages.
    txn_id: Mapped[str] = mapped_column(String(64), unique=True)
    # Messages of one room due at the same instant go out as one message: every row of that batch
    # carries the batch's txn id (claimed in one transaction), so a retry rebuilds and resends the batch.
    batch_txn_id: Mapped[str | None] = mapped_column(String(64))
    late: Mapped[bool] = mapped_column(default=False, server_default=false())
    claimed_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    event_id: Mapped[str | None] = mapped_column(String(255))
    note: Mapped[str | None] = mapped_column(Text)


# --- who knows what ---------------------------------------------------------------------------------


class Profile(Base):
    """An opt-in directory entry: exists only once the person (or an import) entered something."""

    __tablename__ = "profiles"

    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    display_name: Mapped[str | None] = mapped_column(String(255))
    city: Mapped[str | None] = mapped_column(String(64), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    # Whether the bot may ping this person (e.g. when suggesting them for a substitution): only if they said so
    # (`!erwähnen ja`, or an import's column); pinging someone who did not ask for it is spam.
    allow_mentions: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class ProfileGroup(Base):
    __tablename__ = "profile_groups"

    user_id: Mapped[str] = mapped_column(
        String(255), ForeignKey("profiles.user_id", ondelete="CASCADE"), primary_key=True
    )
    group_name: Mapped[str] = mapped_column(String(128), primary_key=True)


class Topic(Base):
    """The vocabulary: one row per distinct topic key, so matching scans topics, not people."""

    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)  # folded, see expertise_matching.topic_key
    label: Mapped[str] = mapped_column(String(128))  # the first spelling seen


class ProfileTopic(Base):
    __tablename__ = "profile_topics"
    __table_args__ = (Index("ix_profile_topics_topic_id_user_id", "topic_id", "user_id"),)

    user_id: Mapped[str] = mapped_column(
        String(255), ForeignKey("profiles.user_id", ondelete="CASCADE"), primary_key=True
    )
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True)
    label: Mapped[str] = mapped_column(String(128))  # this person's own spelling
    position: Mapped[int] = mapped_column(default=0, server_default="0")  # order of entry, as shown
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class TopicActivity(Base):
    """Knowledge shown by doing: decisions logged and substitutions taken over on a topic.

    Written by those features; the who-knows search lists such people marked with the source.
    """

    __tablename__ = "topic_activity"
    __table_args__ = (
        Index("ix_topic_activity_topic_id_at", "topic_id", "at"),
        CheckConstraint("source IN ('decision', 'substitution')", name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(255), index=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(16))
    ref_id: Mapped[int]
    at: Mapped[datetime]


class SavedQuery(Base):
    """The last search of a person in a room, so `!mehr` can page on without the bot keeping state."""

    __tablename__ = "saved_queries"

    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    room_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    payload: Mapped[str] = mapped_column(Text)  # JSON
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


# --- meetings and reminders -------------------------------------------------------------------------


class Meeting(Base):
    """A one-off or recurring meeting of a room; reminders are derived from it, never stored as jobs."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    room_id: Mapped[str] = mapped_column(String(255), index=True)
    title: Mapped[str] = mapped_column(String(200))
    start: Mapped[datetime]  # first occurrence, UTC
    timezone: Mapped[str] = mapped_column(String(64))  # IANA; recurrence is computed in this zone
    rrule: Mapped[str | None] = mapped_column(Text)  # RFC 5545 RRULE value, without DTSTART
    duration_minutes: Mapped[int | None]
    place: Mapped[str | None] = mapped_column(Text)  # room, address or video link
    agenda: Mapped[str | None] = mapped_column(Text)
    offsets: Mapped[str] = mapped_column(String(200))  # reminder offsets in seconds, comma separated
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]  # last change of time, reminders, place, ...
    revision: Mapped[int] = mapped_column(default=0, server_default="0")  # ICS SEQUENCE
    cancelled_at: Mapped[datetime | None]


class MeetingSkip(Base):
    """One occurrence of a recurring meeting that does not take place ("aussetzen")."""

    __tablename__ = "meeting_skips"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    occurrence: Mapped[datetime] = mapped_column(primary_key=True)  # UTC


class CalendarFeed(Base):
    """`!termine abo`: a secret address of a calendar feed of one room's meetings (`room_id`) or of all rooms the
    person shares with the bot (None). Only the token's SHA-256 is stored: a copy of the database opens nobody's
    calendar. Revoking deletes the row."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(String(255), index=True)
    room_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]
    last_fetched_at: Mapped[datetime | None]


class WebLink(Base):
    """`!web`: a single-use sign-in link for the bot's web pages, sent by direct message. Only the token's SHA-256 is
    stored; `used_at` is set when it is opened (a second opening is refused)."""

    __tablename__ = "web_links"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(String(255), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class WebSession(Base):
    """A browser signed in with a `!web` link: the cookie's SHA-256, whose it is, and when it ends (idle, at most
    `expires_at`, or revoked by `!web abmelden`)."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(String(255), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class PersonalReminder(Base):
    """`!erinnere mich …`: delivered once, by direct message."""

    __tablename__ = "personal_reminders"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(255), index=True)
    message: Mapped[str] = mapped_column(Text)
    due: Mapped[datetime] = mapped_column(index=True)  # UTC
    timezone: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))  # of the person, when they asked
    created_in: Mapped[str] = mapped_column(String(255))  # room where it was asked for
    created_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]


# --- substitutions ----------------------------------------------------------------------------------


class SubstitutionRequest(Base):
    """`!vertretung …`: someone asks for a stand-in from another city. Never deleted: it is the record
    of who helped whom (`!bilanz`)."""

    __tablename__ = "substitution_requests"
    __table_args__ = (
        CheckConstraint("state IN ('open', 'filled', 'done', 'expired', 'cancelled')", name="state"),
        CheckConstraint("needed BETWEEN 1 AND 20", name="needed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    room_id: Mapped[str] = mapped_column(String(255))  # where it was asked
    requester: Mapped[str] = mapped_column(String(255), index=True)
    requester_city: Mapped[str | None] = mapped_column(String(64))  # at the time of asking
    what: Mapped[str] = mapped_column(Text)
    topics: Mapped[str] = mapped_column(Text, default="", server_default="")  # labels, one per line
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    deadline: Mapped[datetime]
    timezone: Mapped[str] = mapped_column(String(64))  # the requester's, for showing the times
    needed: Mapped[int] = mapped_column(default=1, server_default="1")
    state: Mapped[str] = mapped_column(String(16), index=True)
    announcement_room_id: Mapped[str | None] = mapped_column(String(255))
    # Reactions (✋) refer to the announcement; unique so one event never stands for two requests.
    announcement_event_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SubstitutionOffer(Base):
    """One person's offer for one request; its state changes, the row stays (one per person and request)."""

    __tablename__ = "substitution_offers"
    __table_args__ = (
        UniqueConstraint("request_id", "user_id"),
        CheckConstraint("state IN ('offered', 'withdrawn', 'accepted', 'declined')", name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("substitution_requests.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(255))
    city: Mapped[str | None] = mapped_column(String(64))  # at the time of offering
    state: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    # The ✋ reaction the offer was made with: removing it withdraws the offer (while it is only offered).
    reaction_event_id: Mapped[str | None] = mapped_column(String(255), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SubstitutionHistory(Base):
    """Everything that happened to a request, in order (`!vertretung 12` shows it)."""

    __tablename__ = "substitution_history"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("substitution_requests.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str | None] = mapped_column(String(255))  # None: the bot (expiry, done)
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)


# --- decision log and minutes -----------------------------------------------------------------------


class MinutesSession(Base):
    """`!protokoll start` … `!protokoll ende`: the minutes of one meeting of a room."""

    __tablename__ = "minutes_sessions"
    __table_args__ = (
        # One open session per room, decided by the database: of two concurrent starts only one can insert.
        Index(
            "uq_minutes_sessions_open_room_id",
            "room_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    room_id: Mapped[str] = mapped_column(String(255))
    group_name: Mapped[str | None] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(String(200))
    started_by: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[datetime] = mapped_column(index=True)
    ended_at: Mapped[datetime | None]


class Decision(Base):
    """One logged decision. Never deleted, and its text never changes: a correction is a new decision
    that supersedes it, a withdrawal is a revocation. Only status, note and the context's state move."""

    __tablename__ = "decisions"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'superseded', 'revoked')", name="status"),
        CheckConstraint("context_state IN ('kept', 'edited', 'redacted')", name="context_state"),
        # Searches are "within these groups / this room / by this person, since …, in force". With status in
        # the index, SQLite filters and counts without reading rows, and probes the full-text hits (see
        # storage.decisions.DecisionRepository.search).
        Index("ix_decisions_group_name_created_at_status", "group_name", "created_at", "status"),
        Index("ix_decisions_room_id_created_at_status", "room_id", "created_at", "status"),
        Index("ix_decisions_author_created_at_status", "author", "created_at", "status"),
        Index("ix_decisions_created_at_status", "created_at", "status"),  # the whole log, newest first
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    room_id: Mapped[str] = mapped_column(String(255))
    group_name: Mapped[str | None] = mapped_column(String(128))
    author: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    tags: Mapped[str] = mapped_column(Text, default="", server_default="")  # labels as entered, one per line
    event_id: Mapped[str | None] = mapped_column(String(255))  # the command's event
    permalink: Mapped[str | None] = mapped_column(Text)
    # A copy of the message the command replied to: the decision must still read the same when that
    # message is edited or redacted later.
    context_sender: Mapped[str | None] = mapped_column(String(255))
    context_text: Mapped[str | None] = mapped_column(Text)
    context_event_id: Mapped[str | None] = mapped_column(String(255), index=True)  # edits/redactions find it
    context_state: Mapped[str | None] = mapped_column(String(16))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("minutes_sessions.id"))
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    superseded_by: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    supersedes: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    note: Mapped[str | None] = mapped_column(Text)
    # storage.decisions.decision_index_text(text, tags, context), "words | stems | parts" as of the index version
    # in sync_state (format and analyzer fingerprint): what the full-text index is built from.
    # SQLite: the external-content FTS5 table `decision_fts` (DECISION_FTS) reads it; PostgreSQL: the generated
    # column `search_vector` (POSTGRESQL_ONLY) holds its tsvector, with a GIN index.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


DECISION_FTS = "decision_fts"
"""SQLite only: an FTS5 virtual table (external content: `decisions.search_text`, rowid = decision id, an index of
3-letter prefixes) created by migrations 0006 and 0013 and kept in step by storage.decisions in the same
transaction."""

POSTGRESQL_ONLY = frozenset({"search_vector", "ix_decisions_search_vector"})
"""PostgreSQL only, created by migration 0013 and not in the models: `decisions.search_vector`, a stored generated
column `to_tsvector('simple', search_text)`, and its GIN index. Stored, not computed per row as an expression
index would have it, because a search with many hits walks a date index and tests each row until it has enough
(storage.decisions); parsing the text for every row made that 40 µs a row. SQLite has no tsvector."""


def decision_search_vector() -> Any:
    """`decisions.search_vector` (PostgreSQL only, see `POSTGRESQL_ONLY`), for `@@` conditions."""
    return literal_column("decisions.search_vector")


class DecisionTag(Base):
    """Folded tag keys of a decision, so "all of these tags" is an index lookup per tag."""

    __tablename__ = "decision_tags"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)  # storage.text.fold(label)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"), primary_key=True)


class DecisionAudit(Base):
    """Everything that happened to a decision, in order: created, superseded, revoked, context changed."""

    __tablename__ = "decision_audit"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str | None] = mapped_column(String(255))  # None: the bot (e.g. a redaction it saw)
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)


class MinutesItem(Base):
    """An entry of minutes (info, decision, action item); action items may also stand alone (`!aufgabe`)."""

    __tablename__ = "minutes_items"
    __table_args__ = (
        CheckConstraint("kind IN ('info', 'decision', 'action')", name="kind"),
        # Open action items only: the reminder job and `!aufgaben` read these, the done ones pile up.
        Index(
            "ix_minutes_items_open_due",
            "due",
            sqlite_where=text("kind = 'action' AND done_at IS NULL AND withdrawn_at IS NULL"),
            postgresql_where=text("kind = 'action' AND done_at IS NULL AND withdrawn_at IS NULL"),
        ),
        # "Aufgabe #3" is the action item's number among action items, not its row id (shared with infos and
        # decision entries); `!erledigt 3` finds it here.
        Index(
            "uq_minutes_items_action_number",
            "number",
            unique=True,
            sqlite_where=text("kind = 'action'"),
            postgresql_where=text("kind = 'action'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    # Action items only: the number people see (storage.decisions.ACTION_NUMBER_KEY counts them). Those from before
    # migration 0014 kept their row id as their number, so every number ever shown still means the same item.
    number: Mapped[int | None]
    session_id: Mapped[int | None] = mapped_column(ForeignKey("minutes_sessions.id"), index=True)
    room_id: Mapped[str] = mapped_column(String(255))
    group_name: Mapped[str | None] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    owner: Mapped[str | None] = mapped_column(String(255))  # a Matrix id or a name as written
    due: Mapped[date | None]  # a calendar day, no time zone
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    withdrawn_at: Mapped[datetime | None]  # "rückgängig": kept for the record, hidden everywhere
    done_at: Mapped[datetime | None]
    done_by: Mapped[str | None] = mapped_column(String(255))


class HandledCommand(Base):
    """Commands whose effects are committed, by event id: one delivered again after a crash (the sync token is
    saved only once replies are out) is recognised instead of carried out twice. Old rows are pruned."""

    __tablename__ = "handled_commands"

    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    room_id: Mapped[str] = mapped_column(String(255))
    handled_at: Mapped[datetime] = mapped_column(index=True)


class OutboxMessage(Base):
    """What a command will say (reply, files, followups, direct messages), written in the command's unit of work
    and sent by the transport until the homeserver accepted it: a crash between commit and send loses nothing,
    and the deterministic txn id keeps a resend from posting twice. Sent rows are pruned with handled commands."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    txn_id: Mapped[str] = mapped_column(String(100), unique=True)
    command_event_id: Mapped[str] = mapped_column(String(255), index=True)
    room_id: Mapped[str | None] = mapped_column(String(255))
    user_id: Mapped[str | None] = mapped_column(String(255))  # a direct message: the chat is found when sending
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    filename: Mapped[str | None] = mapped_column(String(255))  # an upload: `data` goes up first
    mimetype: Mapped[str | None] = mapped_column(String(255))
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    hook: Mapped[str | None] = mapped_column(String(100))  # a feature's on-sent hook, e.g. to remember the event id
    hook_arg: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    event_id: Mapped[str | None] = mapped_column(String(255))
    given_up_at: Mapped[datetime | None]  # the homeserver refused it for good (e.g. the bot left the room)
    __table_args__ = (CheckConstraint("(room_id IS NULL) <> (user_id IS NULL)", name="room_or_user"),)


class SearchCount(Base):
    """How often a topic was asked for with `!werweiss`, per day; no user ids (for the yearly report)."""

    __tablename__ = "search_counts"

    day: Mapped[date] = mapped_column(primary_key=True)
    topic_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))  # the latest spelling asked for
    count: Mapped[int] = mapped_column(default=0, server_default="0")


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic filter for reflected names: the FTS5 table and its shadow tables (SQLAlchemy cannot describe a
    virtual table) and PostgreSQL's tsvector column and its index are not in the models, so autogenerate and the
    model comparison skip them."""
    if type_ == "table" and name is not None and name.startswith(DECISION_FTS):
        return False
    return not (type_ in ("column", "index") and name in POSTGRESQL_ONLY)


def schema_filters(dialect: str) -> dict[str, Any]:
    """The filters for Alembic's context (env.py and the model comparison test); the same on both backends."""
    return {"include_name": include_name}
