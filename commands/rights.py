"""Who may change a record: the one rule behind every command that changes, undoes, ends or closes something.

A record (meeting, decision, minutes session or entry, action item, substitution request, a room's setting) may
be changed by
- whoever it belongs to (`owners`: who created it; for an action item also the person it is for),
- moderators (power level ≥ 50) of the room the record belongs to, while they act in that very room,
- coordinators: `[network].coordinators` and moderators of configured rooms (`[rooms]`, the network room),
  network-wide (computed by the dispatcher).

Why a moderator counts only in their own room: anyone can open a room with the bot and is its admin there. That
room's records are theirs to tidy up, as Matrix lets them redact anything in it, but it must give no power over
records of other rooms. In a configured room a moderator is also a coordinator, so there it changes nothing.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from bot.dispatch import CommandContext
from bot.errors import Forbidden

RecordKind = Literal["meeting", "decision", "minutes", "minutes_item", "action", "substitution", "room"]

# One refusal per kind of record, saying who may do it.
MESSAGES = {
    "rights.meeting": {
        "de": "Termin #{id} ändern oder absagen dürfen nur, wer ihn eingetragen hat, die Moderation dieses Raums "
        "und die Koordination. Du kannst einen eigenen Termin eintragen: `{prefix}termin …`",
        "en": "Only whoever created meeting #{id}, this room's moderators and the coordinators may change or "
        "cancel it. You can create a meeting of your own: `{prefix}meeting …`",
    },
    "rights.decision": {
        "de": "Beschluss #{id} ersetzen oder aufheben dürfen nur, wer ihn festgehalten hat, die Moderation des "
        "Raums, in dem er festgehalten wurde, und die Koordination.",
        "en": "Only whoever logged decision #{id}, the moderators of the room it was logged in and the "
        "coordinators may supersede or revoke it.",
    },
    "rights.minutes": {
        "de": "Das Protokoll „{id}“ beenden dürfen nur, wer es gestartet hat, die Moderation dieses Raums und die "
        "Koordination. Mit `{prefix}info …` kannst du weiter etwas festhalten.",
        "en": "Only whoever started the minutes “{id}”, this room's moderators and the coordinators may end "
        "them. You can still add to them with `{prefix}info …`.",
    },
    "rights.minutes_item": {
        "de": "Von dir steht im laufenden Protokoll nichts, was du zurücknehmen könntest. Punkte anderer nehmen nur "
        "sie selbst, die Moderation dieses Raums oder die Koordination zurück.",
        "en": "Nothing in the running minutes is yours to take back. Other people's entries can only be taken "
        "back by them, this room's moderators or the coordinators.",
    },
    "rights.action": {
        "de": "Aufgabe #{id} als erledigt melden dürfen nur, für wen sie ist, wer sie notiert hat, die Moderation "
        "des Raums, in dem sie notiert wurde, und die Koordination. Deine Aufgaben: `{prefix}aufgaben meine`",
        "en": "Only the person action item #{id} is for, whoever noted it, the moderators of the room it was "
        "noted in and the coordinators may mark it done. Your items: `{prefix}actions mine`",
    },
    "rights.substitution": {
        "de": "Vertretung #{id} absagen oder Zusagen geben dürfen nur, wer sie angefragt hat, die Moderation des "
        "Raums, in dem sie angefragt wurde, und die Koordination. Selbst einspringen: `{prefix}übernehme {id}`",
        "en": "Only whoever asked for substitution #{id}, the moderators of the room it was asked in and the "
        "coordinators may cancel it or accept offers. To stand in yourself: `{prefix}offer {id}`",
    },
    "rights.room": {
        "de": "Das stellen nur die Moderation dieses Raums (Power-Level ab 50) und die Koordination ein.",
        "en": "Only this room's moderators (power level 50 or more) and the coordinators set that.",
    },
}


@dataclass(frozen=True)
class Actor:
    """Who is acting, where, and with which standing (from the dispatcher's context)."""

    user_id: str
    room_id: str
    is_coordinator: bool = False
    is_room_moderator: bool = False  # power level ≥ 50 in `room_id`


def actor_of(ctx: CommandContext) -> Actor:
    return Actor(ctx.sender, ctx.room_id, ctx.is_coordinator, ctx.is_room_moderator)


def may_change(actor: Actor, *, owners: Collection[str | None], room_id: str) -> bool:
    """True if `actor` may change a record of `room_id` that belongs to `owners`."""
    if actor.is_coordinator or actor.user_id in owners:
        return True
    return actor.is_room_moderator and actor.room_id == room_id


def require(
    ctx: CommandContext, kind: RecordKind, *, owners: Collection[str | None], room_id: str, record_id: int | str = ""
) -> None:
    """Raise Forbidden, saying who may, unless the sender may change this record."""
    if not may_change(actor_of(ctx), owners=owners, room_id=room_id):
        raise Forbidden(f"rights.{kind}", id=record_id)
