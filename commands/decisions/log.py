"""`!beschluss`: log a decision (as a reply, the message replied to is kept with it), show it with its history,
supersede or revoke it. Nothing is deleted: a superseded or revoked decision stays in the log, every change is in
the audit trail, and an edited or deleted source message is noted, not followed (`source_changed`)."""

from __future__ import annotations

import re
from datetime import datetime

from bot.dispatch import CommandContext, IncomingMessage, bounded_text, is_number_word, record_number
from bot.errors import BadArgument, Localized
from bot.replies import Reply, md_escape
from bot.schedule_parsing import format_when
from commands import rights
from commands.decisions.shared import (
    MAX_TEXT,
    check_may_log,
    people,
    permalink,
    room_group,
    router,
    visible_decision,
)
from commands.expertise.importing import MAX_TOPICS
from commands.expertise.matching import topic_key
from commands.timezones import room_timezone
from storage import Repositories
from storage.decisions import MAX_REASON, MAX_TAG, DecisionRecord
from storage.text import without_controls

EXAMPLE_DE = "!beschluss Wir führen die E-Rechnung zum 1.1. ein #XRechnung"


EXAMPLE_EN = "!decision We introduce e-invoicing on 1 Jan #XRechnung"


_TAG = re.compile(r"(?<![\w#])#([^\W\d_][\w-]*)")


def _split_tags(ctx: CommandContext, text: str) -> tuple[str, tuple[str, ...]]:
    """Tags (#XRechnung) out of the text: trailing ones are removed, ones inside a sentence stay as words."""
    tags = tuple(dict.fromkeys(m.group(1) for m in _TAG.finditer(text)))
    label = Localized("Ein Schlagwort", "A tag")
    for tag in tags:
        bounded_text(tag, MAX_TAG, label)
    if len(tags) > MAX_TOPICS:
        raise BadArgument("dec.too_many_tags", count=len(tags), limit=MAX_TOPICS)
    trailing = re.compile(r"(?:(?:^|\s+)#[^\W\d_][\w-]*)+\s*$")
    return trailing.sub("", text).strip(), tags


_LABEL = Localized("Beschluss", "decision")


@router.command(
    "beschluss",
    aliases=["decision"],
    help_de="Hält einen Beschluss fest (auch als Antwort); mit Nummer: zeigen, ersetzen, aufheben",
    help_en="Logs a decision (also as a reply); with a number: show, supersede, revoke",
    details_de=(
        f"`{EXAMPLE_DE}` – als Antwort auf eine Nachricht wird diese mitgespeichert.\n"
        "`!beschluss 17` zeigt ihn mit Verlauf, `!beschluss ersetzen 17 <Text>` ersetzt ihn, "
        "`!beschluss aufheben 17 <Grund>` hebt ihn auf (wer ihn festgehalten hat, die Raum-Moderation und die "
        "Koordination)."
    ),
    details_en=(
        f"`{EXAMPLE_EN}` – as a reply, the message replied to is kept with it.\n"
        "`!decision 17` shows it with its history, `!decision supersede 17 <text>` supersedes it, "
        "`!decision revoke 17 <reason>` revokes it (its author, the room's moderators and the coordinators)."
    ),
    labels={"text": ("Text", "text")},
    wants_quote=True,
)
async def decision(ctx: CommandContext, *, text: str | None = None) -> Reply:
    words = (text or "").split(maxsplit=1)
    if not words:
        return Reply.text(ctx.t("dec.usage", example_de=EXAMPLE_DE, example_en=EXAMPLE_EN))
    if is_number_word(words[0]) and len(words) == 1:
        return await _show(ctx, record_number(words[0], _LABEL))
    return await _log(ctx, text or "")


@router.subcommand(
    "beschluss", "ersetzen", aliases=["supersede", "ersetze"],
    help_de="Ersetzt einen Beschluss durch einen neuen (Autor:in, Raum-Moderation und Koordination)",
    help_en="Supersedes a decision with a new one (author, room moderators and coordinators)",
    labels={"number": ("Nr", "no."), "text": ("neuer Text", "new text")},
)  # fmt: skip
async def supersede_decision(ctx: CommandContext, *, number: int, text: str | None = None) -> Reply:
    return await _supersede(ctx, number, text or "")


@router.subcommand(
    "beschluss", "aufheben", aliases=["revoke", "aufhebung"],
    help_de="Hebt einen Beschluss mit Grund auf (Autor:in, Raum-Moderation und Koordination)",
    help_en="Revokes a decision, with a reason (author, room moderators and coordinators)",
    labels={"number": ("Nr", "no."), "reason": ("Grund", "reason")},
)  # fmt: skip
async def revoke_decision(ctx: CommandContext, *, number: int, reason: str | None = None) -> Reply:
    return await _revoke(ctx, number, reason or "")


async def _log(ctx: CommandContext, text: str) -> Reply:
    check_may_log(ctx)
    body, tags = _split_tags(ctx, text)
    if not body:
        return Reply.text(ctx.t("dec.usage", example_de=EXAMPLE_DE, example_en=EXAMPLE_EN))
    if len(body) > MAX_TEXT:
        raise BadArgument("dec.too_long", limit=MAX_TEXT)
    now = ctx.clock.now()
    session = await ctx.repos.minutes.open_session(ctx.room_id)
    quoted = ctx.quoted
    record = await ctx.repos.decisions.add(
        room_id=ctx.room_id,
        group=room_group(ctx),
        author=ctx.sender,
        text=body,
        tags=tags,
        now=now,
        event_id=ctx.message.event_id,
        permalink=permalink(ctx.room_id, ctx.message.event_id),
        context_sender=quoted.sender if quoted else None,
        context_text=without_controls(quoted.body)[:MAX_TEXT] if quoted else None,
        context_event_id=quoted.event_id if quoted else None,
        session_id=session.id if session else None,
    )
    if session is not None:
        await ctx.repos.minutes.add_item(
            room_id=ctx.room_id,
            group=session.group,
            kind="decision",
            text=body,
            author=ctx.sender,
            now=now,
            session_id=session.id,
            decision_id=record.id,
        )
    for label in tags:  # who decides on a topic knows about it: `!werweiss` lists them ("aus Beschlüssen")
        key = topic_key(label)
        if key:
            await ctx.repos.profiles.record_activity(
                ctx.sender, (key, label), source="decision", ref_id=record.id, at=now
            )
    group = room_group(ctx)
    lines = [
        ctx.t("dec.logged", id=record.id, group=ctx.t("dec.group", group=group) if group else "", prefix=ctx.prefix)
    ]
    if session is not None:
        lines.append(ctx.t("dec.in_minutes", title=md_escape(session.title)))
    return Reply.text("\n\n".join(lines))


async def _show(ctx: CommandContext, decision_id: int) -> Reply:
    record = await visible_decision(ctx, decision_id)
    audit = await ctx.repos.decisions.audit(decision_id)
    tz = await room_timezone(ctx)
    named = await people(ctx, [record.author, record.context_sender, *(a.actor for a in audit)])
    lines = [
        ctx.t(
            "dec.show",
            id=record.id,
            status=ctx.t(f"dec.status.{record.status}"),
            when=md_escape(format_when(record.created_at.astimezone(tz), language=ctx.language)),
            group=md_escape(record.group or ctx.t("dec.no_group")),
            author=named.link(record.author),
            text=md_escape(record.text),
        )
    ]
    if record.tags:
        lines.append(ctx.t("dec.tags", tags=", ".join(md_escape("#" + t) for t in record.tags)))
    if record.context_text is not None:
        context = ctx.t(
            "dec.context",
            sender=named.link(record.context_sender) if record.context_sender else "?",
            text=md_escape(record.context_text[:500]),
        )
        if record.context_state in ("edited", "redacted"):
            context += " " + ctx.t(f"dec.context.{record.context_state}")
        lines.append(context)
    if record.supersedes:
        lines.append(ctx.t("dec.supersedes", id=record.supersedes))
    if record.superseded_by:
        lines.append(ctx.t("dec.superseded_by", id=record.superseded_by))
    if record.status == "revoked" and record.note:
        lines.append(ctx.t("dec.revoked_because", reason=md_escape(record.note)))
    if record.permalink:
        lines.append(ctx.t("dec.link", link=record.permalink))
    steps = []
    for item in audit:
        who = named.link(item.actor) if item.actor else "🤖"
        label = ctx.t(f"dec.audit.{item.action}") if f"dec.audit.{item.action}" in ctx.t.catalog else item.action
        detail = f" – {md_escape(item.detail)}" if item.detail else ""
        steps.append(f"- {item.at.astimezone(tz).strftime('%d.%m.%Y %H:%M')} {who}: {label}{detail}")
    lines.append(ctx.t("dec.history") + "\n" + "\n".join(steps))
    return Reply.text("\n\n".join(lines))


async def _revisable(ctx: CommandContext, decision_id: int) -> DecisionRecord:
    record = await visible_decision(ctx, decision_id, lock=True)
    rights.require(ctx, "decision", owners=(record.author,), room_id=record.room_id, record_id=decision_id)
    if record.status != "active":
        hint = ctx.t("dec.see_successor", id=record.superseded_by) if record.superseded_by else ""
        raise BadArgument("dec.not_active", id=decision_id, status=ctx.t(f"dec.status.{record.status}"), hint=hint)
    return record


async def _supersede(ctx: CommandContext, decision_id: int, text: str) -> Reply:
    old = await _revisable(ctx, decision_id)
    body, tags = _split_tags(ctx, text)
    if not body:
        raise BadArgument("dec.need_text", id=decision_id)
    if len(body) > MAX_TEXT:
        raise BadArgument("dec.too_long", limit=MAX_TEXT)
    now = ctx.clock.now()
    new = await ctx.repos.decisions.add(
        room_id=old.room_id,
        group=old.group,
        author=ctx.sender,
        text=body,
        tags=tags or old.tags,
        now=now,
        event_id=ctx.message.event_id,
        permalink=permalink(ctx.room_id, ctx.message.event_id),
    )
    await ctx.repos.decisions.supersede(old.id, new_id=new.id, actor=ctx.sender, now=now)
    return Reply.text(ctx.t("dec.superseded", new=new.id, old=old.id))


async def _revoke(ctx: CommandContext, decision_id: int, reason: str) -> Reply:
    record = await _revisable(ctx, decision_id)
    if not reason.strip():
        raise BadArgument("dec.need_reason", id=decision_id)
    reason = bounded_text(reason.strip(), MAX_REASON, Localized("Der Grund", "The reason"))
    await ctx.repos.decisions.revoke(record.id, actor=ctx.sender, reason=reason, now=ctx.clock.now())
    return Reply.text(ctx.t("dec.revoked", id=record.id))


@router.on_change
async def source_changed(repos: Repositories, message: IncomingMessage, now: datetime) -> None:
    """A message copied as a decision's context was edited or deleted: keep our copy, note what happened."""
    assert message.changes is not None
    if await repos.decisions.by_context_event(message.changes):
        state = "redacted" if message.new_body is None else "edited"
        new_text = None if message.new_body is None else without_controls(message.new_body)
        await repos.decisions.mark_context(message.changes, state=state, now=now, new_text=new_text)
