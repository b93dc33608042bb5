"""Meetings: one-off and recurring meetings of a room (`commands`), their reminders and personal reminders
(`jobs`), and what they say (`texts`). Dates: `bot.schedule_parsing`."""

from collections.abc import Sequence

from bot.config import Config
from bot.dispatch import Feature
from bot.scheduler import JobEnv, Jobs
from commands.meetings import feeds  # noqa: F401 - registers `!termine abo` on the router
from commands.meetings.commands import meeting_reminder_content, personal_reminder_content, router
from commands.meetings.jobs import ReminderPlanner


def _jobs(env: JobEnv, config: Config) -> Sequence[Jobs]:
    return [
        ReminderPlanner(
            env,
            meeting_content=meeting_reminder_content(config.default_language),
            personal_content=personal_reminder_content,
        )
    ]


feature = Feature(router, jobs=_jobs)

__all__ = ["ReminderPlanner", "feature", "router"]
