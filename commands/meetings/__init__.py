"""Meetings: one-off and recurring meetings of a room (`commands`), their reminders and personal reminders
(`jobs`, which for now also runs the other features' scheduled steps). Dates: `bot.schedule_parsing`."""

from commands.meetings.commands import meeting_reminder_content, personal_reminder_content, router
from commands.meetings.jobs import ReminderPlanner

__all__ = ["ReminderPlanner", "meeting_reminder_content", "personal_reminder_content", "router"]
