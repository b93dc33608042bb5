"""Action items: `!aufgabe`, `!aufgaben`, `!erledigt`, and the owner's direct message on the due day
(`action_reminder_content`, sent by `jobs`)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from bot.dispatch import CommandContext
from bot.errors import BadArgument, NotFound
from bot.i18n import Catalog
from bot.replies import Reply, md_escape, message_content
from bot.schedule_parsing import parse_date
from commands import rights
from commands.decisions.shared import MAX_TEXT, check_may_log, people, room_group, router
from commands.decisions.texts import MESSAGES
from commands.timezones import room_timezone
from storage.decisions import ItemRecord
from storage.text import MATRIX_USER_ID

_catalog = Catalog(MESSAGES)


@router.command(
    "aufgabe",
    aliases=["action"],
    help_de="Notiert eine Aufgabe für jemanden, optional mit Frist (auch ohne Protokoll)",
    help_en="Notes an action item for someone, optionally with a due date (also outside minutes)",
    details_de="`!aufgabe @maria:example.org bis 10.12. Angebot einholen` – am Fälligkeitstag erinnere ich per "
    "Direktnachricht.",
    details_en="`!action @maria:example.org by 10.12. get a quote` – I remind them by direct message on the due date.",
    labels={"text": ("@wer [bis Datum] was", "@who [by date] what")},
)
async def action(ctx: CommandContext, *, text: str | None = None) -> Reply:
    check_may_log(ctx)
    owner, owner_name, due, what = await _parse_action(ctx, text or "")
    now = ctx.clock.now()
    session = await ctx.repos.minutes.open_session(ctx.room_id)
    item = await ctx.repos.minutes.add_item(
        room_id=ctx.room_id,
        group=session.group if session else room_group(ctx),
        kind="action",
        text=what,
        author=ctx.sender,
        now=now,
        session_id=session.id if session else None,
        owner=owner,
        due=due,
    )
    if due is not None and owner.startswith("@"):
        ctx.replan("action", item.id)
    due_text = ctx.t("act.due", day=md_escape(_day(due, ctx.language))) if due else ""
    reminder = ctx.t("act.reminder") if due and owner.startswith("@") else ""
    # The pill names the owner; it pings them only if they said `!erwähnen ja` (and not whoever notes their own).
    named = await people(ctx, [owner], known={owner: owner_name})
    lines = [
        ctx.t(
            "act.added",
            number=item.number,
            owner=named.link(owner),
            due=due_text,
            text=md_escape(what),
            reminder=reminder,
        )
    ]
    if session is not None:
        lines.append(ctx.t("dec.in_minutes", title=md_escape(session.title)))
    mentions = named.mentions(owner) if owner != ctx.sender else []
    return Reply.text("\n\n".join(lines), mentions=mentions)


def _day(day: date, language: str) -> str:
    return day.strftime("%d.%m.%Y") if language == "de" else day.strftime("%d %b %Y")


async def _parse_action(ctx: CommandContext, text: str) -> tuple[str, str | None, date | None, str]:
    """Who, their name as the sender's client showed it (for a pill), the due day, and what."""
    rest = text.strip()
    owner: str | None = None
    shown: str | None = None
    mxid = MATRIX_USER_ID.match(rest)
    if mxid:
        owner, rest = mxid.group(0), rest[mxid.end() :].strip()
    elif ctx.message.mentions:
        # A pill shows as the display name in the body ("Ben Müller: bis …"): take the mentioned user and
        # drop the name, known from the profile, else up to the colon clients put after it.
        owner = ctx.message.mentions[0]
        profile = await ctx.repos.profiles.get(owner)
        name = profile.display_name if profile else None
        if name and rest.casefold().startswith(name.casefold()):
            rest = rest[len(name) :]
        elif ":" in rest[:80]:
            shown, rest = rest.split(":", 1)
            shown = " ".join(shown.split()) or None
        rest = rest.lstrip(" :,")
    elif rest.startswith("@"):
        first = rest.split(maxsplit=1)
        owner, rest = first[0][1:], first[1] if len(first) > 1 else ""
    if not owner:
        raise BadArgument("act.usage")
    due: date | None = None
    match = re.match(r"(?:bis|by|until|due)\s+(\S+(?:\s+\d{4})?)\s+(.*)$", rest, re.IGNORECASE | re.DOTALL)
    if match:
        tz = await room_timezone(ctx)
        due = parse_date(match.group(1), now=ctx.clock.now(), tz=tz)
        if due < ctx.clock.now().astimezone(tz).date():
            raise BadArgument("act.past", day=match.group(1))
        rest = match.group(2).strip()
    if not rest:
        raise BadArgument("act.usage")
    if len(rest) > MAX_TEXT:
        raise BadArgument("dec.too_long", limit=MAX_TEXT)
    return owner, shown, due, rest


@router.command(
    "aufgaben",
    aliases=["actions"],
    help_de="Zeigt offene Aufgaben (der Gruppe dieses Raums; meine = nur deine)",
    help_en="Lists open action items (of this room's group; mine = only yours)",
    labels={"which": ("meine|alle", "mine|all")},
    replay_safe=True,
)
async def actions(ctx: CommandContext, *, which: Literal["meine", "mine", "alle", "all"] | None = None) -> Reply:
    own = room_group(ctx)
    mine = which in ("meine", "mine")
    everything = which in ("alle", "all") and ctx.is_coordinator
    if everything or mine:
        items = await ctx.repos.minutes.open_actions(owner=ctx.sender if mine else None)
        scope = ""
    elif own is not None:
        items = await ctx.repos.minutes.open_actions(groups=[own])
        scope = f" ({md_escape(own)})"
    else:
        items = await ctx.repos.minutes.open_actions(room_id=ctx.room_id)
        scope = ""
    if not items:
        return Reply.text(ctx.t("act.none", scope=scope))
    shown = items[:50]
    named = await people(ctx, [item.owner for item in shown])
    lines = [ctx.t("act.list", scope=scope)]
    for item in shown:
        due = ctx.t("act.due", day=md_escape(_day(item.due, ctx.language))) if item.due else ""
        owner = named.link(item.owner) if item.owner else "?"
        lines.append("- " + ctx.t("act.line", number=item.number, text=md_escape(item.text), owner=owner, due=due))
    return Reply.text("\n".join(lines))


@router.command(
    "erledigt",
    aliases=["done"],
    help_de="Meldet eine Aufgabe als erledigt",
    help_en="Marks an action item as done",
    labels={"number": ("Nr", "no")},
)
async def done(ctx: CommandContext, *, number: int) -> Reply:
    """`number` is the one people see ("Aufgabe #3"), not the row id."""
    item = await ctx.repos.minutes.get_action(number)
    if item is None or item.withdrawn_at is not None:
        raise NotFound("act.not_found", number=number)
    rights.require(ctx, "action", owners=(item.owner, item.author), room_id=item.room_id, record_id=number)
    if not await ctx.repos.minutes.complete(item.id, by=ctx.sender, now=ctx.clock.now()):
        return Reply.text(ctx.t("act.already_done", number=number))
    ctx.replan("action", item.id)
    return Reply.text(ctx.t("act.done", number=number))


def action_reminder_content(item: ItemRecord, language: str) -> dict[str, Any]:
    """The owner's direct message on an action item's due day."""
    group = f" ({md_escape(item.group)})" if item.group else ""
    text = _catalog.text(language, "act.remind", number=item.number, text=md_escape(item.text), group=group)
    return message_content(Reply.text(text))
