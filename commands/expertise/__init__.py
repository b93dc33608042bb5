"""Who knows what: profiles and search (`commands`), the German-aware topic matching and ranking (`matching`), the
profile import from CSV/TOML (`importing`), and what the commands say (`texts`)."""

from bot.dispatch import Feature
from commands.expertise.commands import router

feature = Feature(router)

__all__ = ["feature", "router"]
