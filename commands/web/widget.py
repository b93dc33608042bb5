"""`!widget`: the bot's web pages as a widget of this room (Element: Room info → Extensions); `!widget entfernen`
takes it out again. Signing in happens in the widget itself (`bot.web.widget`): the chat client vouches for the
person with an OpenID token, so nobody needs a link.

The widget is a state event `im.vector.modular.widgets` (what Element reads; other clients fall back to it when a
room has no `m.widget`, so one event serves both), with the state key `redi`: adding it again replaces it, removing
it empties the content. Its address holds only template variables that carry no person: the client's language
(for the texts before sign-in) and the widget id (for the widget API). The user id a client could put in the
address proves nothing and would land in the proxy's logs; who is using the widget is what the OpenID token says.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from bot.dispatch import CommandContext
from bot.errors import BadArgument, Forbidden, NotFound
from bot.replies import Reply
from commands import rights
from commands.web.signin import router

WIDGET_EVENT = "im.vector.modular.widgets"
STATE_KEY = "redi"
NAME = "re@di"
TEMPLATE = "widget?lang=$org.matrix.msc2873.client_language&widgetId=$matrix_widget_id"


@runtime_checkable
class RoomState(Protocol):
    """What `!widget` needs of the Matrix transport besides sending messages."""

    def state_power(self, room_id: str, event_type: str) -> tuple[int, int]:
        """(the power level this room asks for sending a state event of this type, the bot's power level)"""
        ...

    async def put_state(self, room_id: str, event_type: str, state_key: str, content: Mapping[str, Any]) -> bool:
        """Set a state event; False when the homeserver refused for lack of power (403)."""
        ...


def widget_content(url: str, *, bot_user: str) -> dict[str, Any]:
    return {
        "type": "m.custom",
        "url": url,
        "name": NAME,
        "id": STATE_KEY,
        "creatorUserId": bot_user,
        "waitForIframeLoad": True,  # the client starts the widget API when the page has loaded
        "data": {"title": "Webseiten des Bots / The bot's web pages"},
    }


def _transport(ctx: CommandContext) -> RoomState:
    files = ctx.files
    if not isinstance(files, RoomState):  # a test's fake transport without room state
        raise NotFound("widget.unavailable")
    return files


async def _set(ctx: CommandContext, content: Mapping[str, Any]) -> None:
    """Set the widget's state event, after checking the sender may and the bot can."""
    rights.require(ctx, "room", owners=(), room_id=ctx.room_id)
    state = _transport(ctx)
    needed, has = state.state_power(ctx.room_id, WIDGET_EVENT)
    if has < needed or not await state.put_state(ctx.room_id, WIDGET_EVENT, STATE_KEY, content):
        raise Forbidden("widget.no_power", needed=needed, has=has)


@router.command(
    "widget", aliases=["raumwidget"],
    help_de="Richtet die Webseiten des Bots als Widget in diesem Raum ein, mit Anmeldung über den Chat (Moderation)",
    help_en="Adds the bot's web pages to this room as a widget that signs in through the chat (moderators)",
    replay_safe=True,  # setting the same state again changes nothing
    name_en="widget",
)  # fmt: skip
async def add_widget(ctx: CommandContext) -> Reply:
    web = ctx.config.web
    if web is None:
        raise BadArgument("web.no_web")
    if not web.widget_parents:
        raise BadArgument("widget.off")
    content = widget_content(web.url(TEMPLATE), bot_user=ctx.config.matrix.user_id)
    await _set(ctx, content)
    return Reply.text(ctx.t("widget.added", prefix=ctx.prefix))


@router.subcommand(
    "widget", "entfernen", aliases=["remove", "löschen"],
    help_de="Nimmt das Widget aus diesem Raum (Moderation)",
    help_en="Removes the widget from this room (moderators)",
    replay_safe=True,
    name_en="remove",
)  # fmt: skip
async def remove_widget(ctx: CommandContext) -> Reply:
    await _set(ctx, {})  # an empty widget event is a removed widget
    return Reply.text(ctx.t("widget.removed"))
