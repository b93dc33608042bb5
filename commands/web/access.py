"""Who a signed-in person is to the web pages: the rights chat would give them, decided the same way.

Chat decides per message: a command in a group room sees that group's records, one in a room without a group that
room's, and a coordinator (named in the config, or a moderator, power level ≥ 50, of a configured room) sees every
group. A page has no room, so it gets the union of what the person could ask in chat: the groups of the rooms they
share with the bot, those rooms themselves, and everything for a coordinator. Membership is read from the transport
on every request, so leaving a room takes its records off the pages at once.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.dispatch import COORDINATOR_POWER_LEVEL
from storage import Repositories


@dataclass(frozen=True)
class Viewer:
    user_id: str
    language: str
    rooms: frozenset[str]
    """The rooms the person shares with the bot now."""
    groups: frozenset[str]
    """The configured groups of those rooms."""
    is_coordinator: bool

    def may_see(self, *, room_id: str, group: str | None) -> bool:
        """A record of this room and group: what `!beschluss 17` shows in some room the person is in."""
        return self.is_coordinator or room_id in self.rooms or (group is not None and group in self.groups)


def viewer(
    config: Config, user_id: str, *, rooms: Collection[str], power: Callable[[str], int], language: str
) -> Viewer:
    """`power(room_id)` is the person's power level in a room. As in chat (`bot.dispatch`), network-wide rights
    come only from the config or moderation of a configured room, never from a room the person opened."""
    shared = frozenset(rooms)
    configured = [room for room in shared if room in config.room_groups or room == config.network_room]
    is_coordinator = user_id in config.coordinators or any(
        power(room) >= COORDINATOR_POWER_LEVEL for room in configured
    )
    groups = frozenset(group for room in shared if (group := config.group_of_room(room)) is not None)
    return Viewer(user_id, language, shared, groups, is_coordinator)


async def viewer_timezone(repos: Repositories, viewer: Viewer, config: Config) -> ZoneInfo:
    """The zone a page shows the person's times in: theirs (`!zeitzone`), else the configured one (a page has no
    room whose zone chat would fall back to)."""
    settings = await repos.users.get(viewer.user_id)
    return ZoneInfo(settings.timezone) if settings and settings.timezone else config.timezone
