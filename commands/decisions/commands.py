"""Where `bot.cli` finds `export_decisions` (`redi-bot export decisions`). The commands live in the modules the
package docstring lists; once the CLI imports `commands.decisions.export`, this module can go."""

from commands.decisions.export import export_decisions

__all__ = ["export_decisions"]
