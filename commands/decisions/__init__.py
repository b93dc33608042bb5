"""Decision log, minutes and action items: the commands (`commands`), the search grammar, rendering, exports and
the yearly report (`text`), and the action-item reminders (`jobs`)."""

from commands.decisions.commands import action_reminder_content, router
from commands.decisions.jobs import ActionJobs

__all__ = ["ActionJobs", "action_reminder_content", "router"]
