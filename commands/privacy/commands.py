"""`!meinedaten` (access, Art. 15) and `!vergissmich` (erasure, Art. 17, with a confirmation code).

The confirmation code is derived, not stored: a hash of the person's id and the current quarter hour, accepted in
that quarter hour and the next one (so between 15 and 30 minutes). It proves that the person read the preview and
means it; it is no secret, since only the person themselves can confirm their own erasure.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from bot.config import Config
from bot.dispatch import CommandContext, Router
from bot.errors import BadArgument
from bot.i18n import Catalog
from bot.replies import Followup, Reply, md_code
from commands.privacy.export import personal_export
from commands.privacy.notice import config_notice
from commands.privacy.texts import MESSAGES
from commands.substitutions.commands import update_announcement
from storage import Repositories
from storage.privacy import ForgetResult

router = Router(
    "privacy",
    title_de="Datenschutz",
    title_en="Privacy",
    messages=MESSAGES,
    highlights=("datenschutz", "meinedaten", "vergissmich"),
)
_catalog = Catalog(MESSAGES)

CODE_WINDOW_S = 15 * 60
CODE_MINUTES = 15


def confirmation_code(user_id: str, now: datetime, *, windows_ago: int = 0) -> str:
    window = int(now.timestamp()) // CODE_WINDOW_S - windows_ago
    return hashlib.sha256(f"redi-bot forget|{user_id}|{window}".encode()).hexdigest()[:6]


def code_is_valid(user_id: str, code: str, now: datetime) -> bool:
    given = code.strip().lower()
    return any(given == confirmation_code(user_id, now, windows_ago=ago) for ago in (0, 1))


@router.command(
    "meinedaten",
    aliases=["meine-daten", "mydata"],
    help_de="Schickt dir per Direktnachricht alles, was ich über dich gespeichert habe",
    help_en="Sends you everything I store about you by direct message",
    details_de="Eine JSON-Datei für Programme und eine lesbare Markdown-Zusammenfassung, verschlüsselt im "
    "Direktchat (DSGVO Art. 15). Löschen: `!vergissmich`.",
    details_en="A JSON file for programs and a readable Markdown summary, encrypted in the direct chat "
    "(GDPR Art. 15). To delete: `!forgetme`.",
    replay_safe=True,  # nothing changes; the files go out at once and are never kept in the outbox
    name_en="mydata",
)
async def my_data(ctx: CommandContext) -> Reply:
    export = await personal_export(ctx.repos, ctx.sender, ctx.clock.now())
    dm = Reply.text(
        ctx.t("privacy.mydata.dm", count=export.count, prefix=ctx.prefix), attachments=export.attachments(ctx.language)
    )
    return Reply.text(ctx.t("privacy.mydata.sent"), followups=[Followup(dm, user_id=ctx.sender)])


@router.command(
    "vergissmich",
    aliases=["vergiss-mich", "forgetme"],
    help_de="Löscht deine Daten beim Bot (mit Bestätigung)",
    help_en="Deletes your data at the bot (with a confirmation)",
    details_de="Nur im Direktchat mit mir. Ohne Code sage ich, was gelöscht und was in den Aufzeichnungen der "
    "Gruppen als „ehemaliges "
    "Mitglied“ behalten wird, und nenne einen Code; `!vergissmich <Code>` löscht dann (DSGVO Art. 17).",
    details_en="Only in your direct chat with me. Without a code I say what is deleted and what stays in the "
    "groups' records as “ehemaliges "
    "Mitglied” (former member), and give a code; `!forgetme <code>` then deletes (GDPR Art. 17).",
    labels={"code": ("Code", "code")},
    name_en="forgetme",
)
async def forget_me(ctx: CommandContext, *, code: str | None = None) -> Reply:
    now = ctx.clock.now()
    export = await ctx.repos.privacy.export(ctx.sender)
    if not ctx.message.is_direct:
        # Only in the direct chat: the preview and the confirmation name the person's pseudonym, and the note to
        # the coordinators would link it to whoever confirmed in front of the group. A code given here deletes
        # nothing; the direct message has the preview with a code to confirm there.
        if not any(export.values()):
            text = ctx.t("privacy.export.nothing")
        else:
            text = await _preview(ctx, export, now)
        return Reply.text(ctx.t("privacy.forget.in_direct"), followups=[Followup(Reply.text(text), user_id=ctx.sender)])
    if not any(export.values()):  # nothing to delete: no pseudonym, no notice to the coordinators
        return Reply.text(ctx.t("privacy.export.nothing"))
    if code is None:
        return Reply.text(await _preview(ctx, export, now))
    if not code_is_valid(ctx.sender, code, now):
        raise BadArgument("privacy.forget.bad_code", code=code)
    result = await ctx.repos.privacy.forget(ctx.sender, now=now)
    for request_id in {w.request_id for w in result.withdrawn} | set(result.cancelled_requests):
        ctx.replan("substitution", request_id)
    followups = await forget_followups(ctx.repos, result, ctx.config)
    # The posted calls change where the state did: a filled request open again, the person's own ones cancelled.
    for request_id in result.changed_requests:
        followups += await update_announcement(ctx.repos, ctx.config, request_id)
    deleted = ctx.t("privacy.forget.deleted", count=sum(result.deleted.values()))
    return Reply.text(ctx.t("privacy.forget.done", deleted=deleted, pseudonym=result.pseudonym), followups=followups)


async def _preview(ctx: CommandContext, export: dict[str, list[dict[str, Any]]], now: datetime) -> str:
    open_offers = await ctx.repos.privacy.open_offer_count(ctx.sender)
    open_requests = sum(1 for row in export["substitution_requests"] if row["state"] in ("open", "filled"))
    reminders = sum(1 for row in export["personal_reminders"] if row["cancelled_at"] is None)
    return ctx.t(
        "privacy.forget.preview",
        reminders=reminders,
        offers=open_offers,
        requests=open_requests,
        user=md_code(ctx.sender),
        minutes=CODE_MINUTES,
        code=confirmation_code(ctx.sender, now),
        prefix=ctx.prefix,
    )


async def forget_followups(repos: Repositories, result: ForgetResult, config: Config) -> list[Followup]:
    """Direct messages to the requesters whose request lost an offer (in their language), and a note for the
    coordinators in the network room that someone was forgotten (their pseudonym, not who)."""
    languages = await repos.users.languages([w.requester for w in result.withdrawn], default=config.default_language)
    followups = []
    for withdrawn in result.withdrawn:
        language = languages[withdrawn.requester]
        text = _catalog.text(language, "privacy.forget.withdrawn", id=withdrawn.request_id)
        if withdrawn.reopened:
            text += " " + _catalog.text(language, "privacy.forget.reopened", id=withdrawn.request_id)
        followups.append(Followup(Reply.text(text), user_id=withdrawn.requester))
    if config.network_room:
        notice = _catalog.text(config.default_language, "privacy.forget.coordinators", pseudonym=result.pseudonym)
        followups.append(Followup(Reply.text(notice), room_id=config.network_room))
    return followups


@router.command(
    "datenschutz",
    aliases=["privacy"],
    help_de="Was ich über Personen speichere, wozu, wie lange, und wie du es siehst oder löschst",
    help_en="What I store about people, why, for how long, and how to see or delete it",
    replay_safe=True,
    name_en="privacy",
)
async def privacy(ctx: CommandContext) -> Reply:
    return Reply.text(config_notice(ctx.config, ctx.language))
