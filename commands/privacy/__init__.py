"""Data protection: what the bot stores about a person, for them to see (`!meinedaten`) and delete
(`!vergissmich`); the queries over every table are in `storage.privacy`."""

from bot.dispatch import Feature
from commands.privacy.commands import router

feature = Feature(router)

__all__ = ["feature", "router"]
