"""The bot introduces itself once in each room it is invited into: who it is, what it does in this kind of room (a
project group's room, the network room, a direct chat, any other room) and `!hilfe`, in the configured default
language (the room is shared, the people in it are not known yet).

Once per room, also across restarts: the room is claimed (`room_settings.introduced_at`) in the same unit of work
that queues the message in the outbox, which sends it exactly once. A room the bot is invited back into was claimed
before, and so were the rooms it found itself in when it started (joined before introductions existed, or direct
chats it opened itself): it never introduces itself there.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence

from bot.clock import Clock
from bot.config import Config
from bot.i18n import Catalog
from bot.outbox import Outbox
from bot.replies import Reply, md_escape, message_content
from storage import Database
from storage.outbox import Outgoing

log = logging.getLogger(__name__)

MESSAGES: dict[str, dict[str, str]] = {
    "intro.group": {
        "de": "👋 Hallo! Ich bin der re@di-Bot und helfe der Projektgruppe **{group}**: Termine mit Erinnerungen "
        "(`{prefix}termin`), Beschlüsse und Protokolle (`{prefix}beschluss`, `{prefix}sitzung`) und wer sich mit "
        "einem Thema auskennt (`{prefix}werweiss`). Ich melde mich nur, wenn mich jemand mit `{prefix}` anspricht "
        "oder ein Termin ansteht. Überblick: `{prefix}hilfe`",
        "en": "👋 Hello! I'm the re@di bot and help the project group **{group}**: meetings with reminders "
        "(`{prefix}meeting`), decisions and minutes (`{prefix}decision`, `{prefix}minutes`) and who knows about a "
        "topic (`{prefix}whoknows`). I only speak when someone addresses me with `{prefix}` or a meeting is coming "
        "up. Overview: `{prefix}help`",
    },
    "intro.network": {
        "de": "👋 Hallo! Ich bin der re@di-Bot. Hier im Netzwerkraum kündige ich an, wenn eine Stadt eine Vertretung "
        "sucht – einspringen mit `{prefix}übernehme <Nr>` oder ✋ auf die Ankündigung; was sich daraus ergibt, "
        "bekommt ihr per Direktnachricht. Sonst melde ich mich nur, wenn mich jemand mit `{prefix}` anspricht. "
        "Überblick: `{prefix}hilfe`",
        "en": "👋 Hello! I'm the re@di bot. In this network room I announce when a city needs a stand-in – offer "
        "with `{prefix}offer <no>` or ✋ on the announcement; what follows comes by direct message. Otherwise I only "
        "speak when someone addresses me with `{prefix}`. Overview: `{prefix}help`",
    },
    "intro.direct": {
        "de": "👋 Hallo! Ich bin der re@di-Bot. Hier kannst du mich fragen, ohne dass andere mitlesen: "
        "`{prefix}werweiss <Thema>` findet Kolleg:innen, die sich auskennen, `{prefix}profil` zeigt, was ich über "
        "dich weiß, `{prefix}erinnere mich …` erinnert dich an etwas. Überblick: `{prefix}hilfe`",
        "en": "👋 Hello! I'm the re@di bot. Here you can ask me without others reading along: "
        "`{prefix}whoknows <topic>` finds colleagues who know about it, `{prefix}profile` shows what I know about "
        "you, `{prefix}remindme …` reminds you of something. Overview: `{prefix}help`",
    },
    "intro.room": {
        "de": "👋 Hallo! Ich bin der re@di-Bot. In diesem Raum trage ich Termine ein und erinnere daran "
        "(`{prefix}termin`), halte Beschlüsse fest (`{prefix}beschluss`) und finde Leute, die sich auskennen "
        "(`{prefix}werweiss`). Ich melde mich nur, wenn mich jemand mit `{prefix}` anspricht oder ein Termin "
        "ansteht. Überblick: `{prefix}hilfe`",
        "en": "👋 Hello! I'm the re@di bot. In this room I keep meetings and remind you of them "
        "(`{prefix}meeting`), log decisions (`{prefix}decision`) and find people who know about a topic "
        "(`{prefix}whoknows`). I only speak when someone addresses me with `{prefix}` or a meeting is coming up. "
        "Overview: `{prefix}help`",
    },
}

_catalog = Catalog(MESSAGES)


def introduction(config: Config, room_id: str, *, direct: bool) -> Reply:
    """What the bot says when it arrives in a room, in the configured default language."""
    language, prefix = config.default_language, config.command_prefix
    group = config.group_of_room(room_id)
    if room_id == config.network_room:
        return Reply.text(_catalog.text(language, "intro.network", prefix=prefix))
    if group is not None:
        return Reply.text(_catalog.text(language, "intro.group", prefix=prefix, group=md_escape(group)))
    return Reply.text(_catalog.text(language, "intro.direct" if direct else "intro.room", prefix=prefix))


def _key(room_id: str) -> str:
    """Stands for a command's event id in the outbox: the introduction is sent like a reply, exactly once."""
    return "intro:" + room_id


def _txn_id(room_id: str) -> str:
    return "intro-" + hashlib.sha256(room_id.encode()).hexdigest()[:32]


class Introductions:
    """What the transport calls when it joined a room on an invite (`joined`) and with the rooms it is in at start
    (`present`)."""

    def __init__(self, db: Database, outbox: Outbox, config: Config, clock: Clock) -> None:
        self.db = db
        self.outbox = outbox
        self.config = config
        self.clock = clock

    async def joined(self, room_id: str, *, direct: bool) -> None:
        """Introduce the bot in a room it just joined, unless it did so before."""
        now = self.clock.now()
        async with self.db.transaction() as repos:
            if not await repos.rooms.claim_introduction(room_id, now=now):
                log.info("back in %s: introduced there before, saying nothing", room_id)
                return
            content = message_content(introduction(self.config, room_id, direct=direct))
            await repos.outbox.add(_key(room_id), [Outgoing(_txn_id(room_id), content, room_id=room_id)], now=now)
        await self.outbox.deliver(_key(room_id))

    async def present(self, room_ids: Sequence[str]) -> None:
        """The rooms the bot is in when it starts: it arrived there before, so it never introduces itself there."""
        now = self.clock.now()
        async with self.db.transaction() as repos:
            known = await repos.rooms.introduced(room_ids)
            for room_id in room_ids:
                if room_id not in known:
                    await repos.rooms.claim_introduction(room_id, now=now)
