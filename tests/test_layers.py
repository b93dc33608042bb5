"""The layer contract covers every module of `bot`: a new module that is in no layer would escape the check."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_bot_module_is_in_a_layer() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["type"] == "layers")["layers"]
    named = {module.strip() for layer in layers for module in layer.split(":")}
    modules = {f"bot.{p.stem}" for p in (ROOT / "bot").glob("*.py") if p.stem != "__init__"}
    modules |= {f"bot.{p.name}" for p in (ROOT / "bot").iterdir() if (p / "__init__.py").exists()}
    assert modules - named == set(), "add these to a layer in pyproject.toml [tool.importlinter]"
