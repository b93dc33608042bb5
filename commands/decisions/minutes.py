"""Meeting minutes: `!sitzung` (status, start, end), `!info` and `!rueckgaengig`. Decisions and action items
logged while minutes run (`log`, `actions`) are items of the minutes too; an item taken back stays hidden, not
deleted."""

from __future__ import annotations

from babel.lists import format_list

from bot.dispatch import CommandContext, bounded_text
from bot.errors import BadArgument, Forbidden, Localized
from bot.replies import Attachment, Reply, md_escape
from bot.schedule_parsing import format_when
from commands import rights
from commands.decisions.render import minutes_markdown
from commands.decisions.shared import (
    MAX_TEXT,
    check_may_log,
    minutes_item,
    minutes_session,
    people,
    room_group,
    router,
)
from commands.timezones import room_timezone
from storage.decisions import MAX_TITLE, SessionRecord
from storage.text import slug


@router.command(
    "sitzung",
    aliases=["minutes"],
    help_de="Zeigt das laufende Protokoll; sitzung start Titel, sitzung ende",
    help_en="Shows the running minutes; minutes start title, minutes end",
    details_de="Während des Protokolls: `!info …`, `!beschluss …`, `!aufgabe @wer [bis Datum] …`, `!rueckgaengig`.",
    details_en="While taking minutes: `!info …`, `!decision …`, `!action @who [by date] …`, `!undo`.",
    labels={"_words": ("start|ende", "start|end")},
)
async def minutes(ctx: CommandContext, *, _words: str | None = None) -> Reply:
    """Anything else after `!sitzung` shows the status, as it always did."""
    session = await ctx.repos.minutes.open_session(ctx.room_id)
    if session is None:
        return Reply.text(ctx.t("min.none", prefix=ctx.prefix))
    items = await ctx.repos.minutes.items(session.id)
    tz = await room_timezone(ctx)
    when = md_escape(format_when(session.started_at.astimezone(tz), language=ctx.language))
    counts = [
        ctx.t(f"min.count.{kind}", count=count)
        for kind in ("info", "decision", "action")
        if (count := sum(item.kind == kind for item in items))
    ]
    if not counts:
        return Reply.text(ctx.t("min.status_empty", title=md_escape(session.title), when=when))
    listed = format_list(counts, locale=ctx.language)
    return Reply.text(ctx.t("min.status", title=md_escape(session.title), when=when, items=listed))


@router.subcommand(
    "sitzung", "start", aliases=["beginn", "beginnen", "begin"], name_en="start",
    help_de="Beginnt ein Protokoll in diesem Raum", help_en="Starts taking minutes in this room",
    labels={"title": ("Titel", "title")},
)  # fmt: skip
async def start_minutes(ctx: CommandContext, *, title: str | None = None) -> Reply:
    return await _start(ctx, (title or "").strip())


@router.subcommand(
    "sitzung", "ende", aliases=["end", "stop", "beenden", "schluss"],
    help_de="Beendet das Protokoll und schickt es formatiert und als Datei",
    help_en="Ends the minutes and sends them, formatted and as a file",
)  # fmt: skip
async def end_minutes(ctx: CommandContext) -> Reply:
    return await _end(ctx)


async def _start(ctx: CommandContext, title: str) -> Reply:
    check_may_log(ctx)
    tz = await room_timezone(ctx)
    now = ctx.clock.now()
    title = title or ctx.t("min.default_title", day=now.astimezone(tz).strftime("%d.%m.%Y"))
    bounded_text(title, MAX_TITLE, Localized("Der Titel", "The title"))
    session = await ctx.repos.minutes.start(
        room_id=ctx.room_id, group=room_group(ctx), title=title, started_by=ctx.sender, now=now
    )
    if session is None:
        running = await ctx.repos.minutes.open_session(ctx.room_id)
        assert running is not None
        when = md_escape(format_when(running.started_at.astimezone(tz), language=ctx.language))
        named = await people(ctx, [running.started_by])
        raise BadArgument("min.already", title=running.title, when=when, who=named.link(running.started_by))
    return Reply.text(ctx.t("min.started", title=md_escape(title), prefix=ctx.prefix))


async def _open_session(ctx: CommandContext) -> SessionRecord:
    session = await ctx.repos.minutes.open_session(ctx.room_id)
    if session is None:
        raise BadArgument("min.none")
    return session


async def _end(ctx: CommandContext) -> Reply:
    check_may_log(ctx)
    session = await _open_session(ctx)
    rights.require(
        ctx, "minutes", owners=(session.started_by,), room_id=session.room_id, record_id=md_escape(session.title)
    )
    ended = await ctx.repos.minutes.end(session.id, now=ctx.clock.now())
    items = await ctx.repos.minutes.items(session.id)
    tz = await room_timezone(ctx)
    named = await people(ctx, [session.started_by, *(i.author for i in items), *(i.owner for i in items)])
    text = minutes_markdown(
        minutes_session(ended), [minutes_item(i) for i in items], tz=tz, language=ctx.language, names=named.names
    )
    day = ended.started_at.astimezone(tz).strftime("%Y-%m-%d")
    filename = f"protokoll-{slug(ended.title) or 'sitzung'}-{day}.md"
    attachment = Attachment(filename, "text/markdown", text.encode("utf-8"))
    return Reply.text(ctx.t("min.ended") + "\n\n" + text, attachments=[attachment])


@router.command(
    "info",
    help_de="Hält eine Information im laufenden Protokoll fest",
    help_en="Adds a piece of information to the running minutes",
    labels={"text": ("Text", "text")},
)
async def info(ctx: CommandContext, *, text: str | None = None) -> Reply:
    check_may_log(ctx)
    session = await _open_session(ctx)
    if not text or not text.strip():
        raise BadArgument("min.need_text", command=ctx.invoked_as)
    if len(text) > MAX_TEXT:
        raise BadArgument("dec.too_long", limit=MAX_TEXT)
    await ctx.repos.minutes.add_item(
        room_id=ctx.room_id, group=session.group, kind="info", text=text.strip(), author=ctx.sender,
        now=ctx.clock.now(), session_id=session.id,
    )  # fmt: skip
    # Infos have no number of their own: "Info 2" is the second in these minutes, as the file lists them.
    number = sum(item.kind == "info" for item in await ctx.repos.minutes.items(session.id))
    return Reply.text(ctx.t("min.noted", number=number, title=md_escape(session.title)))


@router.command(
    "rueckgaengig",
    aliases=["rückgängig", "undo"],
    help_de="Nimmt deinen letzten Punkt des laufenden Protokolls zurück",
    help_en="Takes back your last item of the running minutes",
)
async def undo(ctx: CommandContext) -> Reply:
    check_may_log(ctx)
    session = await _open_session(ctx)
    # Moderators and coordinators take back the last entry; everyone else their own last entry.
    anyones = rights.may_change(rights.actor_of(ctx), owners=(), room_id=session.room_id)
    author = None if anyones else ctx.sender
    item = await ctx.repos.minutes.undo_last(session.id, now=ctx.clock.now(), author=author)
    if item is None:
        if await ctx.repos.minutes.items(session.id):
            raise Forbidden("rights.minutes_item")
        raise BadArgument("min.nothing_to_undo")
    extra = ""
    if item.kind == "decision" and item.decision_id is not None:
        record = await ctx.repos.decisions.get(item.decision_id, lock=True)
        if record is not None and record.status == "active":
            reason = "im Protokoll zurückgenommen" if ctx.language == "de" else "taken back in the minutes"
            await ctx.repos.decisions.revoke(record.id, actor=ctx.sender, reason=reason, now=ctx.clock.now())
            extra = ctx.t("min.undone_decision", id=record.id)
    number = item.decision_id if item.kind == "decision" else item.number
    what = ctx.t(f"min.undone.{item.kind}", number=number)
    return Reply.text(ctx.t("min.undone", what=what, text=md_escape(item.text[:200]), extra=extra))
