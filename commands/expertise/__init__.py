"""Who knows what: profiles and search (`commands`), the German-aware topic matching and ranking (`matching`), and
the profile import from CSV/TOML (`importing`)."""

from commands.expertise.commands import router

__all__ = ["router"]
