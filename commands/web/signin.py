"""`!web`: a single-use link to the bot's web pages, by encrypted direct message; `!web abmelden` signs out everywhere.

Like a calendar subscription's address (`commands.meetings.feeds`), the link is never stored, only its SHA-256, and the
command is replay-safe so that the direct message with it is not kept in the outbox either. The link is valid for
`LINK_VALID` and opens one session; a second opening is refused.
"""

from __future__ import annotations

import secrets

from bot.dispatch import CommandContext, Router
from bot.errors import BadArgument
from bot.replies import Followup, Reply
from commands.web.texts import MESSAGES
from storage.web import LINK_VALID, SESSION_IDLE, SESSION_LONGEST

router = Router("web", title_de="Webseiten", title_en="Web pages", messages=MESSAGES)


def sign_in_path(token: str) -> str:
    return f"anmelden/{token}"


@router.command(
    "web", aliases=["webseite", "website"],
    help_de="Schickt dir einen Anmelde-Link für die Webseiten des Bots (Termine, Beschlüsse, Vertretungen, "
    "Wer weiß was, Jahresbericht), 10 Minuten gültig",
    help_en="Sends you a sign-in link for the bot's web pages (meetings, decisions, substitutions, who knows what, "
    "yearly report), valid for 10 minutes",
    replay_safe=True,  # the link must not be kept in the outbox; a repeat after a crash only adds a link
    name_en="web",
)  # fmt: skip
async def web_link(ctx: CommandContext) -> Reply:
    web = ctx.config.web
    if web is None:
        raise BadArgument("web.no_web")
    token = secrets.token_urlsafe(32)
    await ctx.repos.web.add_link(user_id=ctx.sender, token=token, now=ctx.clock.now(), valid=LINK_VALID)
    minutes = int(LINK_VALID.total_seconds() // 60)
    dm = ctx.t(
        "web.dm",
        url=web.url(sign_in_path(token)),
        minutes=minutes,
        hours=int(SESSION_IDLE.total_seconds() // 3600),
        days=SESSION_LONGEST.days,
        prefix=ctx.prefix,
    )
    if ctx.message.is_direct and ctx.message.encrypted:
        return Reply.text(dm)
    # Anywhere else, an unencrypted direct chat too, the link goes to the person's own encrypted direct chat.
    return Reply.text(ctx.t("web.sent", minutes=minutes), followups=[Followup(Reply.text(dm), user_id=ctx.sender)])


@router.subcommand(
    "web", "abmelden", aliases=["logout", "abmeldung", "signout"],
    help_de="Meldet dich auf allen Geräten von den Webseiten ab",
    help_en="Signs you out of the web pages on every device",
    name_en="logout",
)  # fmt: skip
async def web_logout(ctx: CommandContext) -> Reply:
    ended = await ctx.repos.web.end_sessions(ctx.sender, now=ctx.clock.now())
    return Reply.text(ctx.t("web.logged_out", count=ended) if ended else ctx.t("web.no_sessions"))
