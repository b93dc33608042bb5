"""The daily purge (DSGVO Art. 5(1)(e)): at 03:30 local time, what is older than its configured retention
([privacy] in the config) is deleted, exactly once per day: the run claims a ledger row (kind `privacy-purge`, the
day's instant) in the same transaction as the deletions, so a second scheduler, a restart or a retry finds it done.
A day the bot was down is no loss: every run deletes everything past its cutoff."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config import Retention
from bot.scheduler import JobEnv
from storage.privacy import PurgeCutoffs

log = logging.getLogger(__name__)

KIND = "privacy-purge"
JOB_ID = "privacy-purge"
PURGE_AT = time(3, 30)  # local time: nobody is working, and it is after the nightly backup of most cities
RETRY = timedelta(minutes=10)


def cutoffs(retention: Retention, activity_window: timedelta, now: datetime) -> PurgeCutoffs:
    def before(days: int) -> datetime:
        return now - timedelta(days=days)

    return PurgeCutoffs(
        substitution_text=before(retention.substitution_text_days),
        personal_reminders=before(retention.personal_reminders_days),
        saved_searches=before(retention.saved_searches_days),
        revoked_quotes=before(retention.revoked_quotes_days),
        handled_commands=before(retention.handled_commands_days),
        ledger=before(retention.ledger_days),
        topic_activity=now - activity_window,
        records=before(retention.records_days) if retention.records_days else None,
        web=now,  # sign-in links and sessions are gone once they ended: nothing to keep them for
    )


class PurgeJobs:
    """Plans the next purge; `fire` is the job (a plain function, so tests call it)."""

    kinds = frozenset({KIND})

    def __init__(self, env: JobEnv, *, retention: Retention, activity_window: timedelta, timezone: ZoneInfo) -> None:
        self.env = env
        self.retention = retention
        self.activity_window = activity_window
        self.timezone = timezone

    def next_run(self, now: datetime) -> datetime:
        local = now.astimezone(self.timezone)
        run = datetime.combine(local.date(), PURGE_AT, self.timezone)
        if run <= now:
            run = datetime.combine(local.date() + timedelta(days=1), PURGE_AT, self.timezone)
        return run

    async def start(self) -> None:
        self._plan()

    async def refresh(self, kind: str, ref_id: int) -> None:
        self._plan()

    def _plan(self, after: datetime | None = None) -> None:
        now = self.env.clock.now()
        when = self.next_run(max(now, after) if after is not None else now)
        self.env.scheduler.at(JOB_ID, when, self.fire, when)

    async def fire(self, when: datetime) -> dict[str, int] | None:
        """Purge once for the run planned at `when`; None if that run was done before. Plans the next run."""
        now = self.env.clock.now()
        counts: dict[str, int] | None = None
        try:
            async with self.env.db.transaction() as repos:
                entry = await repos.ledger.claim(KIND, 0, when, 0, now=now)
                if entry is not None:
                    counts = await repos.privacy.purge(cutoffs(self.retention, self.activity_window, now))
                    await repos.ledger.mark_batch_sent([entry.id], event_id=KIND, now=now)
        except Exception:
            log.exception("the privacy purge failed; retrying in %s", RETRY)
            self.env.scheduler.at(JOB_ID, now + RETRY, self.fire, when)
            return None
        if counts is not None:  # counts only: what was purged is nobody's business in the log
            log.info("privacy purge done: %s", ", ".join(f"{kind} {n}" for kind, n in counts.items()))
        self._plan(after=when)
        return counts
