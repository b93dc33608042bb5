"""The bot's web pages, from the chat's side: `!web` sends a single-use sign-in link by direct message, `!web
abmelden` ends every session, `!widget` adds the pages to the room as a widget; `access` says who a signed-in person
is to the pages (their rooms, groups and whether they coordinate), exactly as chat decides it. The pages of a
feature live with the feature (`commands.decisions.web`); the HTTP machinery is the transport's (`bot.web`)."""

from bot.dispatch import Feature
from commands.web import widget  # noqa: F401  # declares `!widget` on the router
from commands.web.signin import router

feature = Feature(router)

__all__ = ["feature", "router"]
