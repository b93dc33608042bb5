"""Which time zone a command's times are read in: the room's for meetings, the person's for their own reminders."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.dispatch import CommandContext


async def room_timezone(ctx: CommandContext) -> ZoneInfo:
    """The zone new meetings of this room are planned in: the room's own, else the configured default."""
    stored = await ctx.repos.rooms.timezone(ctx.room_id)
    return ZoneInfo(stored) if stored else ctx.config.timezone


async def personal_timezone(ctx: CommandContext) -> ZoneInfo:
    """The zone the sender's own times are read in: theirs (`!zeitzone`), else the room's."""
    settings = await ctx.repos.users.get(ctx.sender)
    return ZoneInfo(settings.timezone) if settings and settings.timezone else await room_timezone(ctx)
