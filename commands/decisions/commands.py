"""Decision log, meeting minutes and action items, and the coordinator's queries, exports and the yearly
report. Nothing is ever deleted by a command: decisions are superseded or revoked, minutes items undone
are kept hidden, and every change is in the audit trail."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo

from bot.dispatch import CommandContext, IncomingMessage, Router, bounded_text, is_number_word, record_number
from bot.errors import BadArgument, Forbidden, Localized, NotFound
from bot.replies import Attachment, Reply, md_escape, mention_link, message_content
from bot.schedule_parsing import format_when, occurrences, parse_date
from commands import rights
from commands.arguments import Year
from commands.decisions.query import DecisionQuery, describe_decision_query, parse_decision_query
from commands.decisions.render import (
    DecisionRow,
    GroupReport,
    MinutesItem,
    MinutesSession,
    decisions_csv,
    decisions_markdown,
    minutes_markdown,
    yearly_report_markdown,
)
from commands.expertise.importing import MAX_TOPICS
from commands.expertise.matching import topic_key
from commands.substitutions.commands import balance_table
from commands.timezones import room_timezone
from storage import Repositories
from storage.decisions import MAX_REASON, MAX_TAG, MAX_TITLE, DecisionRecord, ItemRecord, SessionRecord
from storage.text import MATRIX_USER_ID, fold, slug, without_controls

MAX_TEXT = 5000
PAGE = 10
EXAMPLE_DE = "!beschluss Wir führen die E-Rechnung zum 1.1. ein #XRechnung"
EXAMPLE_EN = "!decision We introduce e-invoicing on 1 Jan #XRechnung"

MESSAGES: dict[str, dict[str, str]] = {
    "dec.usage": {
        "de": "So hältst du einen Beschluss fest: `{example_de}` – auch als Antwort auf die Nachricht, um die es geht.",
        "en": "This is how you log a decision: `{example_en}` – also as a reply to the message it is about.",
    },
    "dec.logged": {
        "de": "Beschluss #{id} festgehalten{group}. Zeigen: `{prefix}beschluss {id}`",
        "en": "Decision #{id} logged{group}. Show it: `{prefix}decision {id}`",
    },
    "dec.group": {"de": " (Gruppe {group})", "en": " (group {group})"},
    "dec.in_minutes": {"de": "Steht auch im Protokoll „{title}“.", "en": "Also in the minutes “{title}”."},
    "dec.forbidden_log": {
        "de": "Beschlüsse, Protokolle und Aufgaben hält hier nur die Koordination fest (`[decisions].who_may_log`).",
        "en": "Only coordinators log decisions, minutes and action items here (`[decisions].who_may_log`).",
    },
    "dec.too_many_tags": {
        "de": "Das sind {count} Schlagworte; höchstens {limit} gehen, z. B. `#eAkte #Vergabe`.",
        "en": "That is {count} tags; at most {limit} work, e.g. `#eAkte #Vergabe`.",
    },
    "dec.too_long": {
        "de": "Das ist zu lang: höchstens {limit} Zeichen. Fass den Beschluss kürzer und antworte damit auf "
        "die ausführliche Nachricht – die speichere ich mit.",
        "en": "That is too long: at most {limit} characters. Summarise it and reply to the detailed message – "
        "I keep that one too.",
    },
    "dec.not_found": {
        "de": "Einen Beschluss #{id} gibt es nicht. Suchen: `{prefix}beschluesse <Begriff>`",
        "en": "There is no decision #{id}. Search: `{prefix}decisions <term>`",
    },
    "dec.other_group": {
        "de": "Beschluss #{id} gehört zu einer anderen Gruppe; den zeigt dir die Koordination.",
        "en": "Decision #{id} belongs to another group; the coordinators can show it to you.",
    },
    "dec.show": {
        "de": "**Beschluss #{id}** ({status}) · {when} · {group} · {author}\n\n{text}",
        "en": "**Decision #{id}** ({status}) · {when} · {group} · {author}\n\n{text}",
    },
    "dec.status.active": {"de": "gültig", "en": "in force"},
    "dec.status.superseded": {"de": "ersetzt", "en": "superseded"},
    "dec.status.revoked": {"de": "aufgehoben", "en": "revoked"},
    "dec.no_group": {"de": "ohne Gruppe", "en": "no group"},
    "dec.tags": {"de": "Schlagworte: {tags}", "en": "Tags: {tags}"},
    "dec.context": {"de": "Bezieht sich auf {sender}: „{text}“", "en": "Refers to {sender}: “{text}”"},
    "dec.context.edited": {
        "de": "(die Nachricht wurde danach bearbeitet; hier steht der Stand beim Beschluss)",
        "en": "(the message was edited afterwards; this is how it read at the time)",
    },
    "dec.context.redacted": {
        "de": "(die Nachricht wurde im Chat gelöscht; der Beschluss behält seine Kopie)",
        "en": "(the message was deleted in the chat; the decision keeps its copy)",
    },
    "dec.superseded_by": {"de": "Ersetzt durch #{id}.", "en": "Superseded by #{id}."},
    "dec.supersedes": {"de": "Ersetzt #{id}.", "en": "Supersedes #{id}."},
    "dec.revoked_because": {"de": "Aufgehoben: {reason}", "en": "Revoked: {reason}"},
    "dec.link": {"de": "[Im Chat ansehen]({link})", "en": "[See it in the chat]({link})"},
    "dec.history": {"de": "Verlauf:", "en": "History:"},
    "dec.audit.created": {"de": "festgehalten", "en": "logged"},
    "dec.audit.superseded": {"de": "ersetzt", "en": "superseded"},
    "dec.audit.supersedes": {"de": "ersetzt einen älteren", "en": "supersedes an older one"},
    "dec.audit.revoked": {"de": "aufgehoben", "en": "revoked"},
    "dec.audit.context_edited": {"de": "Quellnachricht bearbeitet", "en": "source message edited"},
    "dec.audit.context_redacted": {"de": "Quellnachricht gelöscht", "en": "source message deleted"},
    "dec.not_active": {
        "de": "Beschluss #{id} ist schon {status}; ändern lässt sich nur ein gültiger. {hint}",
        "en": "Decision #{id} is already {status}; only one in force can be changed. {hint}",
    },
    "dec.see_successor": {"de": "Der aktuelle ist #{id}.", "en": "The current one is #{id}."},
    "dec.need_text": {
        "de": "Was gilt stattdessen? `{prefix}beschluss ersetzen {id} <neuer Text>`",
        "en": "What holds instead? `{prefix}decision supersede {id} <new text>`",
    },
    "dec.need_reason": {
        "de": "Warum wird er aufgehoben? `{prefix}beschluss aufheben {id} <Grund>`",
        "en": "Why is it revoked? `{prefix}decision revoke {id} <reason>`",
    },
    "dec.superseded": {
        "de": "Beschluss #{new} ersetzt #{old}; #{old} bleibt im Log, als ersetzt markiert.",
        "en": "Decision #{new} supersedes #{old}; #{old} stays in the log, marked as superseded.",
    },
    "dec.revoked": {
        "de": "Beschluss #{id} ist aufgehoben; er bleibt im Log, mit Grund.",
        "en": "Decision #{id} is revoked; it stays in the log, with the reason.",
    },
    # Queries
    "dec.results": {"de": "**Beschlüsse** – {query}: {total}", "en": "**Decisions** – {query}: {total}"},
    "dec.none": {
        "de": "Keine Beschlüsse gefunden ({query}).",
        "en": "No decisions found ({query}).",
    },
    "dec.hidden": {
        "de": "{count} weitere sind ersetzt oder aufgehoben: mit `status:alle` siehst du auch die.",
        "en": "{count} more are superseded or revoked: add `status:all` to see them.",
    },
    "dec.next_page": {"de": "Weiter: `{command} seite:{page}`", "en": "Next: `{command} page:{page}`"},
    "dec.scope_room": {"de": "dieser Raum", "en": "this room"},
    "dec.scope_all": {"de": "alle Gruppen", "en": "all groups"},
    "dec.cross_group": {
        "de": "Gruppenübergreifend suchen darf die Koordination (in ihrem Raum oder per Direktnachricht). "
        "Hier geht es um die Gruppe {group}.",
        "en": "Searching across groups is for the coordinators (in their room or a direct message). "
        "This room is about the group {group}.",
    },
    "dec.bad_page": {"de": "„{page}“ ist keine Seitenzahl.", "en": "“{page}” is not a page number."},
    # Minutes
    "min.started": {
        "de": "Protokoll „{title}“ läuft. Festhalten mit `{prefix}info …`, `{prefix}beschluss …`, "
        "`{prefix}aufgabe @wer [bis Datum] …`; `{prefix}rueckgaengig` nimmt den letzten Punkt zurück; "
        "`{prefix}sitzung ende` beendet es.",
        "en": "Minutes “{title}” are running. Add `{prefix}info …`, `{prefix}decision …`, "
        "`{prefix}action @who [by date] …`; `{prefix}undo` takes back the last item; `{prefix}minutes end` ends them.",
    },
    "min.already": {
        "de": "Hier läuft schon ein Protokoll: „{title}“, begonnen {when} von {who}. Erst `{prefix}sitzung ende`.",
        "en": "Minutes are already running here: “{title}”, started {when} by {who}. First `{prefix}minutes end`.",
    },
    "min.none": {
        "de": "Hier läuft gerade kein Protokoll. Starten: `{prefix}sitzung start Jour fixe`",
        "en": "No minutes are running here. Start: `{prefix}minutes start jour fixe`",
    },
    "min.status": {
        "de": "Protokoll „{title}“ läuft seit {when}: {count} Punkte.",
        "en": "Minutes “{title}” running since {when}: {count} items.",
    },
    "min.default_title": {"de": "Sitzung vom {day}", "en": "Meeting of {day}"},
    "min.noted": {"de": "Notiert ({kind} {number} im Protokoll).", "en": "Noted ({kind} {number} in the minutes)."},
    "min.kind.info": {"de": "Info", "en": "info"},
    "min.undone": {
        "de": "Zurückgenommen: {kind} „{text}“.{extra}",
        "en": "Taken back: {kind} “{text}”.{extra}",
    },
    "min.undone_decision": {
        "de": " Beschluss #{id} ist damit aufgehoben (er bleibt im Log).",
        "en": " Decision #{id} is revoked with it (it stays in the log).",
    },
    "min.nothing_to_undo": {"de": "Im Protokoll steht noch nichts.", "en": "The minutes are still empty."},
    "min.ended": {
        "de": "Protokoll beendet; hier ist es auch als Datei.",
        "en": "Minutes ended; here they are as a file too.",
    },
    "min.need_text": {
        "de": "Was soll ins Protokoll? z. B. `{prefix}{command} Haushalt ist freigegeben`",
        "en": "What goes into the minutes? e.g. `{prefix}{command} budget approved`",
    },
    # Action items
    "act.usage": {
        "de": "So geht's: `{prefix}aufgabe @maria:example.org bis 10.12. Angebot einholen`",
        "en": "Like this: `{prefix}action @maria:example.org by 10.12. get a quote`",
    },
    "act.added": {
        "de": "Aufgabe #{id} für {owner}{due}: {text}{reminder}",
        "en": "Action item #{id} for {owner}{due}: {text}{reminder}",
    },
    "act.due": {"de": " bis {day}", "en": " by {day}"},
    "act.reminder": {
        "de": " – am Fälligkeitstag erinnere ich per Direktnachricht.",
        "en": " – I'll remind them by direct message on the due date.",
    },
    "act.past": {
        "de": "„{day}“ liegt in der Vergangenheit; eine Aufgabe braucht ein künftiges Datum.",
        "en": "“{day}” is in the past; an action item needs a future date.",
    },
    "act.list": {"de": "**Offene Aufgaben**{scope}", "en": "**Open action items**{scope}"},
    "act.none": {"de": "Keine offenen Aufgaben{scope}. 🎉", "en": "No open action items{scope}. 🎉"},
    "act.line": {"de": "#{id} {text} – {owner}{due}", "en": "#{id} {text} – {owner}{due}"},
    "act.done": {"de": "Aufgabe #{id} ist erledigt. Danke!", "en": "Action item #{id} is done. Thank you!"},
    "act.already_done": {"de": "Aufgabe #{id} war schon erledigt.", "en": "Action item #{id} was already done."},
    "act.not_found": {
        "de": "Eine offene Aufgabe #{id} gibt es nicht. Offene Aufgaben: `{prefix}aufgaben`",
        "en": "There is no action item #{id}. Open ones: `{prefix}actions`",
    },
    "act.remind": {
        "de": "⏰ Heute fällig – Aufgabe #{id}: {text}{group}",
        "en": "⏰ Due today – action item #{id}: {text}{group}",
    },
    # Export and report
    "exp.usage": {
        "de": "So geht's: `{prefix}export beschluesse csv` oder `{prefix}export beschluesse md eAkte 2026`",
        "en": "Like this: `{prefix}export decisions csv` or `{prefix}export decisions md eAkte 2026`",
    },
    "exp.done": {"de": "{count} Beschlüsse als {kind}-Datei.", "en": "{count} decisions as a {kind} file."},
    "exp.title": {"de": "Beschlüsse {scope}", "en": "Decisions {scope}"},
    "rep.forbidden": {
        "de": "Den Jahresbericht über alle Gruppen erstellt die Koordination; in einem Gruppenraum gibt es "
        "den Bericht der Gruppe.",
        "en": "The yearly report across all groups is for the coordinators; a group room gets its group's report.",
    },
    "rep.done": {
        "de": "Jahresbericht {year}{scope}: {decisions} Beschlüsse, {meetings} Termine, {minutes} Protokolle, "
        "{actions} offene Aufgaben. Die Datei hängt an.",
        "en": "Yearly report {year}{scope}: {decisions} decisions, {meetings} meetings, {minutes} minutes, "
        "{actions} open action items. The file is attached.",
    },
    "rep.balance": {"de": "Vertretungsbilanz", "en": "Substitution balance"},
    "rep.asked": {"de": "Meistgefragte Themen bei Wer weiß was", "en": "Most-asked topics in who knows what"},
    "rep.bad_year": {
        "de": "„{year}“ ist kein Jahr. Schreib z. B. `{prefix}jahresbericht 2026`.",
        "en": "“{year}” is not a year. Write e.g. `{prefix}annualreport 2026`.",
    },
}

router = Router("decisions", title_de="Beschlüsse und Protokolle", title_en="Decisions and minutes", messages=MESSAGES)

_TAG = re.compile(r"(?<![\w#])#([^\W\d_][\w-]*)")
_PAGE = re.compile(r"(?:^|\s)(?:seite|page):(\S+)\s*$", re.IGNORECASE)


# --- helpers -------------------------------------------------------------------------------------------------


def _group(ctx: CommandContext) -> str | None:
    return ctx.config.group_of_room(ctx.room_id)


def _check_may_log(ctx: CommandContext) -> None:
    if ctx.config.decisions_by_coordinators_only and not ctx.is_coordinator:
        raise Forbidden("dec.forbidden_log")


def permalink(room_id: str, event_id: str) -> str:
    return f"https://matrix.to/#/{quote(room_id, safe='!:')}/{quote(event_id, safe='$:')}"


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


def _row(record: DecisionRecord, names: dict[str, str | None]) -> DecisionRow:
    return DecisionRow(
        id=record.id,
        created_at=record.created_at,
        group=record.group,
        room_id=record.room_id,
        author=record.author,
        author_name=names.get(record.author),
        text=record.text,
        tags=record.tags,
        permalink=record.permalink,
        status=record.status,
        superseded_by=record.superseded_by,
        note=record.note,
    )


async def _names(repos: Repositories, user_ids: Sequence[str]) -> dict[str, str | None]:
    profiles = await repos.profiles.get_many(user_ids)
    return {uid: (profiles[uid].display_name if uid in profiles else None) for uid in user_ids}


async def _decision(ctx: CommandContext, decision_id: int, *, lock: bool = False) -> DecisionRecord:
    record = await ctx.repos.decisions.get(decision_id, lock=lock)
    if record is None:
        raise NotFound("dec.not_found", id=decision_id)
    own_group = _group(ctx)
    visible = ctx.is_coordinator or record.room_id == ctx.room_id or (own_group and record.group == own_group)
    if not visible:
        raise Forbidden("dec.other_group", id=decision_id)
    return record


# --- logging and revising ------------------------------------------------------------------------------------

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
    _check_may_log(ctx)
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
        group=_group(ctx),
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
    group = _group(ctx)
    lines = [
        ctx.t("dec.logged", id=record.id, group=ctx.t("dec.group", group=group) if group else "", prefix=ctx.prefix)
    ]
    if session is not None:
        lines.append(ctx.t("dec.in_minutes", title=md_escape(session.title)))
    return Reply.text("\n\n".join(lines))


async def _show(ctx: CommandContext, decision_id: int) -> Reply:
    record = await _decision(ctx, decision_id)
    audit = await ctx.repos.decisions.audit(decision_id)
    tz = await room_timezone(ctx)
    names = await _names(ctx.repos, [record.author, *(a.actor for a in audit if a.actor)])
    lines = [
        ctx.t(
            "dec.show",
            id=record.id,
            status=ctx.t(f"dec.status.{record.status}"),
            when=md_escape(format_when(record.created_at.astimezone(tz), language=ctx.language)),
            group=md_escape(record.group or ctx.t("dec.no_group")),
            author=mention_link(record.author, names.get(record.author)),
            text=md_escape(record.text),
        )
    ]
    if record.tags:
        lines.append(ctx.t("dec.tags", tags=", ".join(md_escape("#" + t) for t in record.tags)))
    if record.context_text is not None:
        context = ctx.t(
            "dec.context",
            sender=mention_link(record.context_sender or "?", None),
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
        who = mention_link(item.actor, names.get(item.actor)) if item.actor else "🤖"
        label = ctx.t(f"dec.audit.{item.action}") if f"dec.audit.{item.action}" in ctx.t.catalog else item.action
        detail = f" – {md_escape(item.detail)}" if item.detail else ""
        steps.append(f"- {item.at.astimezone(tz).strftime('%d.%m.%Y %H:%M')} {who}: {label}{detail}")
    lines.append(ctx.t("dec.history") + "\n" + "\n".join(steps))
    return Reply.text("\n\n".join(lines))


async def _revisable(ctx: CommandContext, decision_id: int) -> DecisionRecord:
    record = await _decision(ctx, decision_id, lock=True)
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


# --- queries -------------------------------------------------------------------------------------------------


class _Scope:
    """Which decisions a search may see: the room's group, the room, or (coordinators) all groups."""

    def __init__(self, groups: list[str] | None, room_id: str | None, label: str) -> None:
        self.groups = groups
        self.room_id = room_id
        self.label = label


def _scope(ctx: CommandContext, asked_group: str | None) -> _Scope:
    own = _group(ctx)
    if asked_group is not None:
        if not ctx.is_coordinator and asked_group != own:
            raise Forbidden("dec.cross_group", group=own or ctx.t("dec.scope_room"))
        return _Scope([asked_group], None, asked_group)
    if own is not None:
        return _Scope([own], None, own)
    if ctx.is_coordinator:
        return _Scope(None, None, ctx.t("dec.scope_all"))
    return _Scope(None, ctx.room_id, ctx.t("dec.scope_room"))


async def _query(ctx: CommandContext, text: str) -> DecisionQuery:
    tz = await room_timezone(ctx)
    return parse_decision_query(text, now=ctx.clock.now(), tz=tz, groups=ctx.config.groups)


@router.command(
    "beschluesse",
    aliases=["beschlüsse", "decisions"],
    help_de="Sucht Beschlüsse (Begriff, gruppe:, seit:, bis:, #Schlagwort, von:, status:)",
    help_en="Searches decisions (term, group:, since:, until:, #tag, from:, status:)",
    details_de=(
        '`!beschluesse XRechnung gruppe:"Digitale Rechnung" seit:1.1.2026 #Pflicht status:alle` – neueste zuerst. '
        "Im Gruppenraum sucht er in der Gruppe; die Koordination sucht im eigenen Raum oder per Direktnachricht "
        "über alle Gruppen."
    ),
    details_en=(
        '`!decisions XRechnung group:"Digitale Rechnung" since:1.1.2026 #duty status:all` – newest first. '
        "In a group room it searches the group; coordinators search all groups in their room or a direct message."
    ),
    labels={"text": ("Suche", "search")},
    replay_safe=True,
)
async def search_decisions(ctx: CommandContext, *, text: str | None = None) -> Reply:
    raw = text or ""
    page = 1
    found = _PAGE.search(raw)
    if found:
        if not is_number_word(found.group(1)):
            raise BadArgument("dec.bad_page", page=found.group(1))
        page = record_number(found.group(1), Localized("Seite", "page"))
        raw = raw[: found.start()]
    query = await _query(ctx, raw)
    scope = _scope(ctx, query.group)
    tz = await room_timezone(ctx)
    since, until = query.created_range(tz)
    search = functools.partial(
        ctx.repos.decisions.search,
        words=query.words,
        groups=scope.groups,
        room_id=scope.room_id,
        since=since,
        until=until,
        tags=query.tags,
        author=query.author,
        ids=query.ids,
    )
    result = await search(status=query.status, limit=PAGE, offset=(page - 1) * PAGE)
    described = describe_decision_query(query, language=ctx.language) or ""
    heading = md_escape(", ".join(x for x in (scope.label, described) if x))
    if result.total == 0:
        lines = [ctx.t("dec.none", query=heading)]
    else:
        names = await _names(ctx.repos, [d.author for d in result.decisions])
        lines = [ctx.t("dec.results", query=heading, total=result.total)]
        lines.append("\n".join(_line(ctx, d, names, tz) for d in result.decisions))
        if page * PAGE < result.total:
            command = f"{ctx.prefix}{ctx.invoked_as} {raw.strip()}".strip()
            lines.append(ctx.t("dec.next_page", command=command, page=page + 1))
    if query.status == "active" and not query.ids:
        everything = await search(status="all", limit=0)
        if everything.total > result.total:
            lines.append(ctx.t("dec.hidden", count=everything.total - result.total))
    return Reply.text("\n\n".join(lines))


def _line(ctx: CommandContext, record: DecisionRecord, names: dict[str, str | None], tz: ZoneInfo) -> str:
    day = record.created_at.astimezone(tz).strftime("%d.%m.%Y")
    status = "" if record.status == "active" else f" ({ctx.t(f'dec.status.{record.status}')})"
    link = f" · [↗]({record.permalink})" if record.permalink else ""
    group = md_escape(record.group or ctx.t("dec.no_group"))
    text = md_escape(record.text if len(record.text) <= 300 else record.text[:300] + "…")
    author = mention_link(record.author, names.get(record.author))
    return f"- **#{record.id}** · {day} · {group} · {author}: {text}{status}{link}"


# --- minutes ---------------------------------------------------------------------------------------------------


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
    return Reply.text(ctx.t("min.status", title=md_escape(session.title), when=when, count=len(items)))


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
    _check_may_log(ctx)
    tz = await room_timezone(ctx)
    now = ctx.clock.now()
    title = title or ctx.t("min.default_title", day=now.astimezone(tz).strftime("%d.%m.%Y"))
    bounded_text(title, MAX_TITLE, Localized("Der Titel", "The title"))
    session = await ctx.repos.minutes.start(
        room_id=ctx.room_id, group=_group(ctx), title=title, started_by=ctx.sender, now=now
    )
    if session is None:
        running = await ctx.repos.minutes.open_session(ctx.room_id)
        assert running is not None
        when = md_escape(format_when(running.started_at.astimezone(tz), language=ctx.language))
        raise BadArgument(
            "min.already",
            title=running.title,
            when=when,
            who=mention_link(running.started_by, None),
        )
    return Reply.text(ctx.t("min.started", title=md_escape(title), prefix=ctx.prefix))


async def _open_session(ctx: CommandContext) -> SessionRecord:
    session = await ctx.repos.minutes.open_session(ctx.room_id)
    if session is None:
        raise BadArgument("min.none")
    return session


def _minutes_item(item: ItemRecord) -> MinutesItem:
    return MinutesItem(item.kind, item.text, item.author, item.created_at, item.owner, item.due, item.decision_id)


def _minutes_session(session: SessionRecord) -> MinutesSession:
    return MinutesSession(
        session.id,
        session.title,
        session.room_id,
        session.group,
        session.started_by,
        session.started_at,
        session.ended_at,
    )


async def _end(ctx: CommandContext) -> Reply:
    _check_may_log(ctx)
    session = await _open_session(ctx)
    rights.require(
        ctx, "minutes", owners=(session.started_by,), room_id=session.room_id, record_id=md_escape(session.title)
    )
    ended = await ctx.repos.minutes.end(session.id, now=ctx.clock.now())
    items = await ctx.repos.minutes.items(session.id)
    tz = await room_timezone(ctx)
    people = [session.started_by, *(i.author for i in items), *(i.owner for i in items if i.owner)]
    names = {k: v for k, v in (await _names(ctx.repos, people)).items() if v}
    text = minutes_markdown(
        _minutes_session(ended), [_minutes_item(i) for i in items], tz=tz, language=ctx.language, names=names
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
    _check_may_log(ctx)
    session = await _open_session(ctx)
    if not text or not text.strip():
        raise BadArgument("min.need_text", command=ctx.invoked_as)
    if len(text) > MAX_TEXT:
        raise BadArgument("dec.too_long", limit=MAX_TEXT)
    await ctx.repos.minutes.add_item(
        room_id=ctx.room_id, group=session.group, kind="info", text=text.strip(), author=ctx.sender,
        now=ctx.clock.now(), session_id=session.id,
    )  # fmt: skip
    count = len(await ctx.repos.minutes.items(session.id))
    return Reply.text(ctx.t("min.noted", kind=ctx.t("min.kind.info"), number=count))


@router.command(
    "rueckgaengig",
    aliases=["rückgängig", "undo"],
    help_de="Nimmt deinen letzten Punkt des laufenden Protokolls zurück",
    help_en="Takes back your last item of the running minutes",
)
async def undo(ctx: CommandContext) -> Reply:
    _check_may_log(ctx)
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
    kind = {"info": "Info", "decision": "Beschluss", "action": "Aufgabe"}[item.kind]
    if ctx.language == "en":
        kind = {"info": "info", "decision": "decision", "action": "action item"}[item.kind]
    return Reply.text(ctx.t("min.undone", kind=kind, text=md_escape(item.text[:200]), extra=extra))


# --- action items ----------------------------------------------------------------------------------------------


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
    _check_may_log(ctx)
    owner, due, what = await _parse_action(ctx, text or "")
    now = ctx.clock.now()
    session = await ctx.repos.minutes.open_session(ctx.room_id)
    item = await ctx.repos.minutes.add_item(
        room_id=ctx.room_id,
        group=session.group if session else _group(ctx),
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
    return Reply.text(
        ctx.t("act.added", id=item.id, owner=_owner(owner), due=due_text, text=md_escape(what), reminder=reminder)
    )


def _day(day: date, language: str) -> str:
    return day.strftime("%d.%m.%Y") if language == "de" else day.strftime("%d %b %Y")


def _owner(owner: str) -> str:
    return mention_link(owner, None) if owner.startswith("@") and ":" in owner else md_escape(owner)


async def _parse_action(ctx: CommandContext, text: str) -> tuple[str, date | None, str]:
    rest = text.strip()
    owner: str | None = None
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
            rest = rest.split(":", 1)[1]
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
    return owner, due, rest


@router.command(
    "aufgaben",
    aliases=["actions"],
    help_de="Zeigt offene Aufgaben (der Gruppe dieses Raums; meine = nur deine)",
    help_en="Lists open action items (of this room's group; mine = only yours)",
    labels={"which": ("meine|alle", "mine|all")},
    replay_safe=True,
)
async def actions(ctx: CommandContext, *, which: Literal["meine", "mine", "alle", "all"] | None = None) -> Reply:
    own = _group(ctx)
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
    lines = [ctx.t("act.list", scope=scope)]
    for item in items[:50]:
        due = ctx.t("act.due", day=md_escape(_day(item.due, ctx.language))) if item.due else ""
        lines.append(
            "- " + ctx.t("act.line", id=item.id, text=md_escape(item.text), owner=_owner(item.owner or "?"), due=due)
        )
    return Reply.text("\n".join(lines))


@router.command(
    "erledigt",
    aliases=["done"],
    help_de="Meldet eine Aufgabe als erledigt",
    help_en="Marks an action item as done",
    labels={"item_id": ("Nr", "no")},
)
async def done(ctx: CommandContext, *, item_id: int) -> Reply:
    item = await ctx.repos.minutes.get_item(item_id)
    if item is None or item.kind != "action" or item.withdrawn_at is not None:
        raise NotFound("act.not_found", id=item_id)
    rights.require(ctx, "action", owners=(item.owner, item.author), room_id=item.room_id, record_id=item_id)
    if not await ctx.repos.minutes.complete(item_id, by=ctx.sender, now=ctx.clock.now()):
        return Reply.text(ctx.t("act.already_done", id=item_id))
    ctx.replan("action", item_id)
    return Reply.text(ctx.t("act.done", id=item_id))


# --- export and yearly report -----------------------------------------------------------------------------------


@router.command(
    "export",
    help_de="Schickt Beschlüsse als CSV- oder Markdown-Datei, optional für eine Gruppe und ein Jahr",
    help_en="Sends decisions as a CSV or Markdown file, optionally for one group and year",
    details_de="`!export beschluesse csv`, `!export beschluesse md eAkte 2026`. Auf der Kommandozeile: "
    "`redi-bot export decisions --format csv`.",
    details_en="`!export decisions csv`, `!export decisions md eAkte 2026`. On the command line: "
    "`redi-bot export decisions --format csv`.",
    labels={"text": ("beschluesse csv|md [Gruppe] [Jahr]", "decisions csv|md [group] [year]")},
    replay_safe=True,
)
async def export(ctx: CommandContext, *, text: str | None = None) -> Reply:
    words = (text or "").split()
    if len(words) < 2 or fold(words[0]) not in ("beschluesse", "decisions") or fold(words[1]) not in ("csv", "md"):
        raise BadArgument("exp.usage")
    kind = fold(words[1])
    year: int | None = None
    rest = words[2:]
    if rest and re.fullmatch(r"\d{4}", rest[-1]):
        year = int(rest.pop())
    query_text = f'gruppe:"{" ".join(rest)}"' if rest else ""
    query = await _query(ctx, query_text)
    scope = _scope(ctx, query.group)
    tz = await room_timezone(ctx)
    attachment, count = await export_decisions(
        ctx.repos,
        kind=kind,
        groups=scope.groups,
        room_id=scope.room_id,
        year=year,
        tz=tz,
        language=ctx.language,
        scope_label=scope.label,
        group_order=ctx.config.groups,
    )
    return Reply.text(ctx.t("exp.done", count=count, kind=kind.upper()), attachments=[attachment])


async def export_decisions(
    repos: Repositories,
    *,
    kind: str,
    groups: Sequence[str] | None,
    room_id: str | None,
    year: int | None,
    tz: ZoneInfo,
    language: str,
    scope_label: str,
    group_order: Sequence[str] = (),
) -> tuple[Attachment, int]:
    """All decisions of the scope (every status, oldest first) as CSV or Markdown; also for the CLI."""
    since = datetime(year, 1, 1, tzinfo=tz) if year else None
    until = datetime(year + 1, 1, 1, tzinfo=tz) if year else None
    result = await repos.decisions.search(
        groups=groups, room_id=room_id, since=since, until=until, status="all", limit=None, newest_first=False
    )
    names = await _names(repos, list({d.author for d in result.decisions}))
    rows = [_row(d, names) for d in result.decisions]
    label = " ".join(x for x in (scope_label, str(year) if year else "") if x)
    name = f"beschluesse-{slug(label) or 'alle'}"
    if kind == "csv":
        return Attachment(f"{name}.csv", "text/csv", decisions_csv(rows, tz=tz)), len(rows)
    title = MESSAGES["exp.title"][language].format(scope=label)
    markdown = decisions_markdown(rows, tz=tz, title=title, language=language, group_order=group_order)
    return Attachment(f"{name}.md", "text/markdown", markdown.encode("utf-8")), len(rows)


@router.command(
    "jahresbericht",
    aliases=["annualreport", "yearlyreport"],
    help_de="Erstellt den Jahresbericht (Beschlüsse, Termine, Protokolle, Aufgaben, Vertretungen) als Datei",
    help_en="Builds the yearly report (decisions, meetings, minutes, action items, substitutions) as a file",
    labels={"year": ("Jahr", "year")},
    replay_safe=True,
)
async def yearly_report(ctx: CommandContext, *, year: Annotated[int, Year(ahead=0)] | None = None) -> Reply:
    tz = await room_timezone(ctx)
    chosen = year or ctx.clock.now().astimezone(tz).year
    own = _group(ctx)
    if own is None and not ctx.is_coordinator:
        raise Forbidden("rep.forbidden")
    groups = [own] if own is not None else list(ctx.config.groups)
    await ctx.tally.flush(ctx.repos.search_stats)  # the searches of the last minutes count too
    markdown, totals = await build_report(
        ctx.repos, chosen, groups, tz=tz, language=ctx.language, room_groups=dict(ctx.config.room_groups),
        whole_network=own is None,
    )  # fmt: skip
    scope = f" ({md_escape(own)})" if own else ""
    attachment = Attachment(
        f"jahresbericht-{chosen}{'-' + slug(own) if own else ''}.md", "text/markdown", markdown.encode("utf-8")
    )
    return Reply.text(ctx.t("rep.done", year=chosen, scope=scope, **totals), attachments=[attachment])


async def build_report(
    repos: Repositories,
    year: int,
    groups: Sequence[str],
    *,
    tz: ZoneInfo,
    language: str,
    room_groups: dict[str, str],
    whole_network: bool,
) -> tuple[str, dict[str, int]]:
    """The yearly report as Markdown and its totals (also used by `redi-bot export report`)."""
    since, until = datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)
    found = await repos.decisions.search(
        groups=list(groups), since=since, until=until, status="all", limit=None, newest_first=False
    )
    names = await _names(repos, list({d.author for d in found.decisions}))
    sessions = await repos.minutes.sessions(since=since, until=until, groups=list(groups))
    open_items = await repos.minutes.open_actions(groups=list(groups))
    held = await _meetings_held(repos, since, until, room_groups)
    reports = []
    for group in groups:
        reports.append(
            GroupReport(
                name=group,
                decisions=[_row(d, names) for d in found.decisions if d.group == group],
                meetings_held=held.get(group, 0),
                minutes=[_minutes_session(s) for s in sessions if s.group == group],
                open_actions=[_minutes_item(i) for i in open_items if i.group == group],
            )
        )
    extra: list[tuple[str, str]] = []
    if whole_network:
        table = await balance_table(repos, year, tz, language)
        if table:
            extra.append((MESSAGES["rep.balance"][language], table))
        asked = await repos.search_stats.top(since=since.date(), until=until.date())
        if asked:
            lines = [f"{n}. {md_escape(label)} ({count}×)" for n, (label, count) in enumerate(asked, 1)]
            extra.append((MESSAGES["rep.asked"][language], "\n".join(lines)))
    markdown = yearly_report_markdown(year, reports, tz=tz, extra_sections=extra, language=language)
    totals = {
        "decisions": len(found.decisions),
        "meetings": sum(held.get(g, 0) for g in groups),
        "minutes": len(sessions),
        "actions": len(open_items),
    }
    return markdown, totals


async def _meetings_held(
    repos: Repositories, since: datetime, until: datetime, room_groups: dict[str, str]
) -> dict[str, int]:
    """Occurrences of each group's meetings in [since, until) that were not skipped or cancelled before."""
    counts: dict[str, int] = {}
    for room_id, group in room_groups.items():
        for meeting in await repos.meetings.in_room(room_id, cancelled_since=since):
            end = min(until, meeting.cancelled_at) if meeting.cancelled_at else until
            tz = ZoneInfo(meeting.timezone)
            dates = occurrences(
                meeting.start,
                meeting.rrule,
                tz=tz,
                after=since - timedelta(seconds=1),
                count=400,
                exdates=meeting.skips,
            )
            counts[group] = counts.get(group, 0) + sum(1 for d in dates if since <= d < end)
    return counts


def action_reminder_content(item: ItemRecord, language: str) -> dict[str, Any]:
    """The owner's direct message on an action item's due day."""
    group = f" ({md_escape(item.group)})" if item.group else ""
    text = MESSAGES["act.remind"][language].format(id=item.id, text=md_escape(item.text), group=group)
    return message_content(Reply.text(text))
