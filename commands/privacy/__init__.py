"""Data protection: what the bot stores about a person, for them to see (`!meinedaten`) and delete
(`!vergissmich`), what it stores and how long (`!datenschutz`), and the daily purge (`jobs`); the queries over every
table are in `storage.privacy`."""

from collections.abc import Sequence

from bot.config import Config
from bot.dispatch import Feature
from bot.scheduler import JobEnv, Jobs
from commands.privacy.commands import router
from commands.privacy.jobs import PurgeJobs


def _jobs(env: JobEnv, config: Config) -> Sequence[Jobs]:
    return [
        PurgeJobs(env, retention=config.retention, activity_window=config.activity_window, timezone=config.timezone)
    ]


feature = Feature(router, jobs=_jobs)

__all__ = ["PurgeJobs", "feature", "router"]
