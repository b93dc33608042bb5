"""Decision log, minutes and action items: the commands (`commands`), the search grammar, rendering, exports and
the yearly report (`text`), and the action-item reminders (`jobs`)."""

from collections.abc import Sequence

from bot.config import Config
from bot.dispatch import Feature
from bot.scheduler import JobEnv, Jobs
from commands.decisions.commands import action_reminder_content, router
from commands.decisions.jobs import ActionJobs


def _jobs(env: JobEnv, config: Config) -> Sequence[Jobs]:
    return [
        ActionJobs(
            env, timezone=config.timezone, default_language=config.default_language, content=action_reminder_content
        )
    ]


feature = Feature(router, jobs=_jobs)

__all__ = ["ActionJobs", "feature", "router"]
