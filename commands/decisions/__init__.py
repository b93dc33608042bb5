"""Decision log, meeting minutes and action items, and the coordinator's queries, exports and the yearly report.
Nothing is ever deleted by a command: decisions are superseded or revoked, minutes items undone are kept hidden,
and every change is in the audit trail.

- `log`: `!beschluss` – log a decision, show, supersede or revoke it
- `search`: `!beschluesse`, the search of the decision log
- `minutes`: `!sitzung`, `!info`, `!rueckgaengig`
- `actions`: `!aufgabe`, `!aufgaben`, `!erledigt`, and the reminder on the due day
- `export`: `!export` and `!jahresbericht`
- `query`: the search grammar and the full-text queries; `render`: decisions, minutes and the yearly report as
  CSV and Markdown
- `texts`: what the commands say; `shared`: the router and the helpers several command modules use
- `jobs`: the action-item reminders
"""

from collections.abc import Sequence

from bot.config import Config
from bot.dispatch import Feature
from bot.scheduler import JobEnv, Jobs

# Importing a command module declares its commands on `router`; `!hilfe` lists them in the order of this line.
from commands.decisions import log, search, minutes, actions, export  # noqa: F401  # isort: skip
from commands.decisions.actions import action_reminder_content
from commands.decisions.jobs import ActionJobs
from commands.decisions.shared import router


def _jobs(env: JobEnv, config: Config) -> Sequence[Jobs]:
    return [
        ActionJobs(
            env, timezone=config.timezone, default_language=config.default_language, content=action_reminder_content
        )
    ]


feature = Feature(router, jobs=_jobs)

__all__ = ["ActionJobs", "feature", "router"]
