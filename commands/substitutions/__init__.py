"""Substitutions between cities: the commands (`commands`), the pure rules and request grammar (`rules`), the
scheduled reminders, expiry and completion (`jobs`), and what they say (`texts`)."""

from collections.abc import Sequence

from bot.config import Config
from bot.dispatch import Feature
from bot.scheduler import JobEnv, Jobs
from commands.substitutions.commands import SubstitutionTexts, apply_due, offer_accepted_before, router
from commands.substitutions.jobs import SubstitutionJobs


def _jobs(env: JobEnv, config: Config) -> Sequence[Jobs]:
    return [
        SubstitutionJobs(
            env,
            reminder_before=config.substitution_reminder,
            default_language=config.default_language,
            texts=SubstitutionTexts(config.command_prefix),
            apply_due=apply_due,
            accepted_before=offer_accepted_before,
        )
    ]


feature = Feature(router, jobs=_jobs)

__all__ = ["SubstitutionJobs", "feature", "router"]
