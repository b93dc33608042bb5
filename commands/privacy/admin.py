"""The same access, erasure and report for requests that arrive by letter (`redi-bot privacy …`): no chat, so what
the erasure would tell requesters and the edits of posted calls are left in the outbox, and the running bot sends
them within a minute (its outbox looks for such rows while idle), or at its next start."""

from __future__ import annotations

import secrets
from datetime import datetime

from bot.config import Config
from bot.outbox import outgoing
from bot.replies import Reply
from commands.privacy.commands import forget_followups
from commands.privacy.export import PersonalExport, personal_export
from commands.substitutions.commands import update_announcement
from storage import Database
from storage.privacy import ForgetResult, KindReport

# Per table, the time column the report shows the age of (tables without one: counts only).
TIME_COLUMNS = {
    "user_settings": "updated_at",
    "profiles": "updated_at",
    "profile_topics": "created_at",
    "topic_activity": "at",
    "saved_queries": "updated_at",
    "meetings": "created_at",
    "personal_reminders": "due",
    "calendar_feeds": "created_at",
    "web_links": "created_at",
    "web_sessions": "last_seen_at",
    "substitution_requests": "updated_at",
    "substitution_offers": "updated_at",
    "substitution_history": "at",
    "minutes_sessions": "started_at",
    "decisions": "created_at",
    "decision_audit": "at",
    "minutes_items": "created_at",
    "outbox": "created_at",
    "handled_commands": "handled_at",
    "reminder_ledger": "claimed_at",
    "search_counts": "day",
}


async def export_person(db: Database, user_id: str, now: datetime) -> PersonalExport:
    async with db.transaction() as repos:
        return await personal_export(repos, user_id, now)


async def forget_person(db: Database, config: Config, user_id: str, now: datetime) -> ForgetResult | None:
    """The erasure of `!vergissmich`; None if nothing is stored about the person (no pseudonym used up)."""
    async with db.transaction() as repos:
        if not any((await repos.privacy.export(user_id)).values()):
            return None
        result = await repos.privacy.forget(user_id, now=now)
        followups = await forget_followups(repos, result, config)
        # The posted calls change as in chat; the running bot sends the edits with the notices (see Outbox.run).
        for request_id in result.changed_requests:
            followups += await update_announcement(repos, config, request_id)
        if followups:
            event_id = f"cli-forget-{secrets.token_hex(8)}"
            messages = outgoing(event_id, followups[0].room_id or "", {}, Reply.quiet(followups=followups))
            await repos.outbox.add(event_id, messages, now=now)
    return result


async def report(db: Database) -> tuple[list[KindReport], int]:
    """Rows per table with their age, and how many people were forgotten so far."""
    async with db.transaction() as repos:
        return await repos.privacy.report(TIME_COLUMNS), await repos.privacy.forgotten_count()
